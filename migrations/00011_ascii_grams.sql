-- Search for short ASCII/digit strings (a police receipt number R-0000…, PPC-4612, an order
-- number): the characters and pairs of such a string (r, -, 0, r-, -0, 00) are in most cases'
-- text, so the gram index returned most police-report cases as candidates and each was rechecked
-- with strpos on the normalised text: 724 ms at 100 k cases and growing with the table
-- (docs/performance.md, "Scale"). leakdesk_grams now also keeps the 3- and 4-character grams made
-- only of printable ASCII (a search text has few: numbers and codes; +13 % array size on seeded
-- cases), and a query term's grams are all its grams of two characters or more, so R-0000 needs
-- r-00, -000 and 0000 as well. Japanese text is unchanged (pairs answer two-character words).
--
-- Every stored search_grams is recomputed (a term's longer grams must be there for existing cases
-- too); the GIN index is rebuilt afterwards rather than maintained row by row.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    c text[] := string_to_array(lower(normalize(coalesce(t, ''), NFKC)), NULL);
    n int := cardinality(c);
BEGIN
    -- unnest of several arrays walks them side by side (linear); see 00008.
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT x AS g FROM unnest(c) x
            UNION ALL
            SELECT a || b FROM unnest(c[1:n - 1], c[2:n]) AS p(a, b)
            UNION ALL
            SELECT a || b || d FROM unnest(c[1:n - 2], c[2:n - 1], c[3:n]) AS p(a, b, d)
                WHERE a || b || d ~ '^[!-~]+$'
            UNION ALL
            SELECT a || b || d || e FROM unnest(c[1:n - 3], c[2:n - 2], c[3:n - 1], c[4:n]) AS p(a, b, d, e)
                WHERE a || b || d || e ~ '^[!-~]+$'
        ) x
        WHERE g !~ '[[:space:]]'
        ORDER BY g);
END;
$$;
-- +goose StatementEnd

CREATE OR REPLACE FUNCTION leakdesk_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN char_length(leakdesk_search_norm(q)) <= 1
        THEN ARRAY[leakdesk_search_norm(q)]
        ELSE ARRAY(SELECT g FROM unnest(leakdesk_grams(q)) g WHERE char_length(g) >= 2) END;

DROP INDEX cases_search_grams_idx;
UPDATE cases SET search_grams = leakdesk_grams(search_text);
CREATE INDEX cases_search_grams_idx ON cases USING gin (search_grams);

-- +goose Down
CREATE OR REPLACE FUNCTION leakdesk_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN char_length(leakdesk_search_norm(q)) <= 1
        THEN ARRAY[leakdesk_search_norm(q)]
        ELSE ARRAY(SELECT g FROM unnest(leakdesk_grams(q)) g WHERE char_length(g) = 2) END;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    c text[] := string_to_array(lower(normalize(coalesce(t, ''), NFKC)), NULL);
    n int := cardinality(c);
BEGIN
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT x AS g FROM unnest(c) x
            UNION ALL
            SELECT a || b FROM unnest(c[1:n - 1], c[2:n]) AS p(a, b)
        ) x
        WHERE g !~ '[[:space:]]'
        ORDER BY g);
END;
$$;
-- +goose StatementEnd
DROP INDEX cases_search_grams_idx;
UPDATE cases SET search_grams = leakdesk_grams(search_text);
CREATE INDEX cases_search_grams_idx ON cases USING gin (search_grams);
