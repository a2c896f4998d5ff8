-- A query term's grams, longest only: at a million cases the index condition of R-0000 was
-- {-0,-00,-000,00,000,0000,r-,r-0,r-00}, and intersecting the posting lists of r-, -0 and 00 (in
-- most cases' text) read 750 GIN pages (19 ms) to find 32 rows that the three 4-grams alone name
-- (docs/performance.md, "Scale"). A gram contained in a longer gram of the same term adds nothing:
-- stored grams hold the longer one exactly when the text contains it, and then its parts too.
-- Japanese terms are unchanged (their grams are all pairs); only the function changes, no data.

-- +goose Up
CREATE OR REPLACE FUNCTION leakdesk_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN char_length(leakdesk_search_norm(q)) <= 1
        THEN ARRAY[leakdesk_search_norm(q)]
        ELSE ARRAY(
            WITH g AS (SELECT x FROM unnest(leakdesk_grams(q)) x WHERE char_length(x) >= 2)
            SELECT g.x FROM g
            WHERE NOT EXISTS (SELECT 1 FROM g AS h WHERE char_length(h.x) > char_length(g.x) AND strpos(h.x, g.x) > 0)
            ORDER BY g.x) END;

-- +goose Down
CREATE OR REPLACE FUNCTION leakdesk_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN char_length(leakdesk_search_norm(q)) <= 1
        THEN ARRAY[leakdesk_search_norm(q)]
        ELSE ARRAY(SELECT g FROM unnest(leakdesk_grams(q)) g WHERE char_length(g) >= 2) END;
