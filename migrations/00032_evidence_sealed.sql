-- Evidence sealed like the register: the bytes of an evidence file (often the leaked list itself)
-- leave case_evidence, which keeps what proves the file (name, size, SHA-256 of the plaintext —
-- append-only history), and move to case_evidence_blobs, encrypted with the data key (AES-256-GCM
-- bound to the evidence id, internal/pii). The blob row is rewritten only to re-encrypt it (`key
-- rotate`); a download decrypts and re-hashes against case_evidence.sha256, so a blob replaced by
-- anyone is refused, not served.
--
-- SQL has no data key: the rows carried over here keep their plaintext with key_id NULL until the
-- next `leakdesk serve` start (or `key rotate`) seals them (store.SealPendingEvidence).

-- +goose Up
CREATE TABLE case_evidence_blobs (
    evidence_id bigint PRIMARY KEY REFERENCES case_evidence (id),
    key_id      text,            -- the data key's ID; NULL: plaintext from before this migration
    data        bytea NOT NULL
);
-- Ciphertext does not compress.
ALTER TABLE case_evidence_blobs ALTER COLUMN data SET STORAGE EXTERNAL;
INSERT INTO case_evidence_blobs (evidence_id, key_id, data) SELECT id, NULL, data FROM case_evidence;
ALTER TABLE case_evidence DROP COLUMN data;

CREATE TRIGGER case_evidence_blobs_no_delete BEFORE DELETE ON case_evidence_blobs
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_evidence_blobs_no_truncate BEFORE TRUNCATE ON case_evidence_blobs
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
-- The app inserts and re-encrypts (UPDATE), never removes.
REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON case_evidence_blobs FROM leakdesk_app;

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM case_evidence_blobs WHERE key_id IS NOT NULL) THEN
        RAISE EXCEPTION 'leakdesk: evidence is sealed with the data key; SQL cannot unseal it, so 00032 cannot be rolled back';
    END IF;
END
$$;
-- +goose StatementEnd
ALTER TABLE case_evidence ADD COLUMN data bytea;
ALTER TABLE case_evidence DISABLE TRIGGER case_evidence_append_only;
UPDATE case_evidence e SET data = b.data FROM case_evidence_blobs b WHERE b.evidence_id = e.id;
ALTER TABLE case_evidence ENABLE TRIGGER case_evidence_append_only;
ALTER TABLE case_evidence ALTER COLUMN data SET NOT NULL;
ALTER TABLE case_evidence ADD CHECK (length(data) = size);
ALTER TABLE case_evidence ALTER COLUMN data SET STORAGE EXTERNAL;
DROP TABLE case_evidence_blobs;
