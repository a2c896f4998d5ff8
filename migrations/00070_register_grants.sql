-- Need-to-know for the affected-person register (issue 21): decrypting a case's register needs a
-- decrypting role AND being assigned to the case (its handler, a writer of one of its stages, the
-- privacy officer, an auditor) — or one of these grants: an explicit, time-limited permission with a
-- reason, given by a privacy officer to one user for one case. The rows are the log of who was let
-- in, by whom and why; they are append-only (a grant ends by expiring), like the other history tables.

-- +goose Up
CREATE TABLE register_grants (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    bigint      NOT NULL REFERENCES cases (id),
    user_id    bigint      NOT NULL REFERENCES users (id),
    granted_by bigint      NOT NULL REFERENCES users (id),
    reason     text        NOT NULL CHECK (length(btrim(reason)) > 0 AND length(reason) <= 500),
    granted_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > granted_at AND expires_at <= granted_at + interval '7 days'),
    CHECK (user_id <> granted_by)
);
CREATE INDEX register_grants_case_user_idx ON register_grants (case_id, user_id, expires_at);

CREATE TRIGGER register_grants_append_only BEFORE UPDATE OR DELETE ON register_grants
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER register_grants_no_truncate BEFORE TRUNCATE ON register_grants
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE register_grants;
