-- Maker ≠ checker on documents (issue 14): every user who saved a version of a document is one of
-- its editors, and no editor may approve that version's finalisation. The trigger records the
-- saver of every draft write, whichever code path wrote it (page, API, seeder's COPY), so the list
-- cannot miss one; a frozen (final) version has no more writes. Append-only like every record of
-- who did what.

-- +goose Up
CREATE TABLE case_document_editors (
    document_id bigint      NOT NULL REFERENCES case_documents (id),
    user_id     bigint      NOT NULL REFERENCES users (id),
    first_at    timestamptz NOT NULL,
    PRIMARY KEY (document_id, user_id)
);
CREATE TRIGGER case_document_editors_append_only BEFORE UPDATE OR DELETE ON case_document_editors
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_document_editors_no_truncate BEFORE TRUNCATE ON case_document_editors
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON case_document_editors FROM leakdesk_app;

-- +goose StatementBegin
CREATE FUNCTION leakdesk_document_editor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_document_editors (document_id, user_id, first_at)
        VALUES (NEW.id, COALESCE(NEW.updated_by, NEW.created_by), NEW.updated_at)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER case_documents_editors AFTER INSERT OR UPDATE ON case_documents
    FOR EACH ROW WHEN (NEW.status = 'draft') EXECUTE FUNCTION leakdesk_document_editor();

-- The versions saved before: their creator and last saver are what is known.
INSERT INTO case_document_editors (document_id, user_id, first_at)
    SELECT id, created_by, created_at FROM case_documents
    UNION
    SELECT id, updated_by, updated_at FROM case_documents WHERE updated_by IS NOT NULL
    ON CONFLICT DO NOTHING;

-- +goose Down
DROP TRIGGER case_documents_editors ON case_documents;
DROP FUNCTION leakdesk_document_editor();
DROP TABLE case_document_editors;
