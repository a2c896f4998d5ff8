-- The case list searches through search_grams (00006, 00008) since the scale work; nothing reads
-- the trigram index on search_text any more, yet every case write maintained it over up to 20 000
-- characters of free text. The pg_trgm extension stays: dropping an extension needs more rights
-- than the app may have, and it costs nothing unused.

-- +goose Up
DROP INDEX IF EXISTS cases_search_trgm_idx;

-- +goose Down
CREATE INDEX cases_search_trgm_idx ON cases USING gin (search_text gin_trgm_ops);
