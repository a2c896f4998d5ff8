-- Scale fixes found by seeding 1 k / 100 k cases (docs/performance.md, "Scale").
--
-- leakdesk_grams (after 00007 made it linear): the SQL-language versions let the planner pull the normalisation subquery up into
-- both generate_series branches, so NFKC + lower ran once per character of the text (about 300
-- times for a typical case) instead of once: 58 ms per case row, paid by every case write that
-- changes search_text and by seeding. The same result, normalising once, costs about 0.3 ms.
-- Same inputs give the same arrays (the seeder test compares old and new on every seeded case),
-- so existing search_grams values stay valid.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    -- The characters of leakdesk_search_norm(t) (its body, repeated to save a nested SQL-function
    -- call per row), split once.
    c text[] := string_to_array(lower(normalize(coalesce(t, ''), NFKC)), NULL);
    n int := cardinality(c);
BEGIN
    -- unnest of two arrays walks them side by side (linear); c[i] in a loop would walk the array
    -- from its start for every i (quadratic for variable-length elements).
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

-- The case list filtered by stage: without this index PostgreSQL walks cases_updated_idx and
-- discards every case of another stage, so a rare stage (discipline) read 3,076 pages for one page
-- of 50 at 11 k cases and would read most of the table at 1 M. Status has its own index already.
CREATE INDEX cases_stage_updated_idx ON cases (current_stage, updated_at DESC, id DESC);

-- +goose Down
DROP INDEX cases_stage_updated_idx;
-- Back to 00007's linear SQL version.
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT ch, lead(ch) OVER (ORDER BY i) AS nx
            FROM unnest(string_to_array(leakdesk_search_norm(t), NULL)) WITH ORDINALITY AS u(ch, i)
        ) p, LATERAL (VALUES (ch), (ch || nx)) v(g)
        WHERE g IS NOT NULL AND g !~ '[[:space:]]'
        ORDER BY g);
