-- Evidence files attached to a case's stages (stage records, docs/records.md). The case history
-- carries an evidence_attached event with the file's name, size and SHA-256; the bytes live here,
-- written in the same transaction as that event, and never change: a file is evidence only if what
-- is downloaded later is what was uploaded (the hash is recomputed on every download).

-- +goose Up
CREATE SEQUENCE case_evidence_id_seq;

CREATE TABLE case_evidence (
    id           bigint      PRIMARY KEY,
    case_id      bigint      NOT NULL REFERENCES cases (id),
    stage        text        NOT NULL,
    name         text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL CHECK (size > 0),
    sha256       bytea       NOT NULL CHECK (length(sha256) = 32),
    data         bytea       NOT NULL,
    uploaded_by  bigint      NOT NULL REFERENCES users (id),
    uploaded_at  timestamptz NOT NULL,
    CHECK (length(data) = size)
);
CREATE INDEX case_evidence_case_idx ON case_evidence (case_id, id);
-- Office files and PDFs are already compressed: store them as they are.
ALTER TABLE case_evidence ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TRIGGER case_evidence_append_only BEFORE UPDATE OR DELETE ON case_evidence
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_evidence_no_truncate BEFORE TRUNCATE ON case_evidence
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE case_evidence;
DROP SEQUENCE case_evidence_id_seq;
