-- leakdesk_grams in linear time. The first version took substr(s, i, 1) for every i: on multibyte
-- text each substr walks from the start, so a case whose free text is 10 000 characters (a long
-- text fact allows 20 000) spent minutes in this trigger on every save — found by the hostile-input
-- test. Same result (every character and every pair of adjacent characters of the normalised text,
-- whitespace left out), from one split into characters and lead() for the pairs.

-- +goose Up
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT ch, lead(ch) OVER (ORDER BY i) AS nx
            FROM unnest(string_to_array(leakdesk_search_norm(t), NULL)) WITH ORDINALITY AS u(ch, i)
        ) p, LATERAL (VALUES (ch), (ch || nx)) v(g)
        WHERE g IS NOT NULL AND g !~ '[[:space:]]'
        ORDER BY g);

-- +goose Down
CREATE OR REPLACE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT substr(s, i, 1) AS g FROM (SELECT leakdesk_search_norm(t) AS s) n, generate_series(1, char_length(s)) i
            UNION ALL
            SELECT substr(s, i, 2) FROM (SELECT leakdesk_search_norm(t) AS s) n, generate_series(1, char_length(s) - 1) i
        ) x
        WHERE g !~ '[[:space:]]'
        ORDER BY g);
