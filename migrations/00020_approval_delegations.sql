-- 代理承認 (SEED003 Art. 3(2)): an administrator registers a deputy for an absent principal over a
-- period; only then may the deputy approve in the principal's slot. A registration ends with its
-- period; rows are never changed or deleted, and each creation is logged in admin_events.

-- +goose Up
CREATE TABLE approval_delegations (
    id           bigserial   PRIMARY KEY,
    principal_id bigint      NOT NULL REFERENCES users (id),
    deputy_id    bigint      NOT NULL REFERENCES users (id),
    valid_from   timestamptz NOT NULL,
    valid_until  timestamptz NOT NULL,
    reason       text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    created_by   bigint      NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT approval_delegations_two_people CHECK (principal_id <> deputy_id),
    CONSTRAINT approval_delegations_period CHECK (valid_until > valid_from)
);
CREATE INDEX approval_delegations_deputy_idx ON approval_delegations (deputy_id, valid_until);
CREATE TRIGGER approval_delegations_append_only BEFORE UPDATE OR DELETE ON approval_delegations
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER approval_delegations_no_truncate BEFORE TRUNCATE ON approval_delegations
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE approval_delegations;
