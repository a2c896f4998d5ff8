-- The register's history rows are the bulk of what a CSV import writes (issue 19, "import at COPY
-- speed"): each imported person becomes one person_history row whose new_row is the whole stored
-- row as jsonb, ≈ 2.2 kB of hex ciphertext and blind indexes, so PostgreSQL compresses it on the way
-- into TOAST. With the default pglz that compression was the largest part of the import's database
-- time; lz4 does the same job several times faster (docs/performance.md, "Import"). The history's
-- content and its trigger are unchanged; only how new values are compressed changes (existing
-- values stay as they are, no table rewrite).
--
-- lz4 needs a PostgreSQL built with it (the Debian and Docker Hub builds are); without it the
-- columns keep pglz and the migration says so instead of failing.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE person_history ALTER COLUMN new_row SET COMPRESSION lz4, ALTER COLUMN old_row SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available in this PostgreSQL build; person_history keeps pglz';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE person_history ALTER COLUMN new_row SET COMPRESSION default, ALTER COLUMN old_row SET COMPRESSION default;
