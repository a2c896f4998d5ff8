-- Law as code: the deadlines index, the reminder ledger and the case documents.
-- Why here: the dashboard must find every open deadline of every open case without replaying
-- histories (case_deadlines is a projection of the latest assessment_changed event, rewritten in
-- the same transaction by a case hook); a reminder must go out once even with several app
-- instances and restarts (reminders_sent, one row per reminder, checked in the job's transaction);
-- generated documents keep drafts editable and finalised versions frozen with their SHA-256.
-- River's own tables (river_job, ...) are created by rivermigrate, not here.

-- +goose Up
CREATE TABLE case_deadlines (
    case_id    bigint      NOT NULL REFERENCES cases (id),
    kind       text        NOT NULL,
    due_at     timestamptz NOT NULL,           -- the instant the deadline expires
    due        text        NOT NULL,           -- as the law engine states it: YYYY-MM-DD or RFC 3339
    met_at     timestamptz,                    -- when it was done (on time or late); NULL = still open
    basis      text        NOT NULL DEFAULT '',
    label_ja   text        NOT NULL DEFAULT '',
    label_en   text        NOT NULL DEFAULT '',
    drill      boolean     NOT NULL DEFAULT false,
    case_open  boolean     NOT NULL DEFAULT true,
    owner_id   bigint      REFERENCES users (id),
    event_seq  bigint      NOT NULL,           -- the assessment_changed event this row reflects
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, kind)
);
-- The dashboard: unmet deadlines of open cases by due time, real cases and drills apart. Missed ones
-- (due_at < now) and the next 7 days are one range scan of this partial index.
CREATE INDEX case_deadlines_board_idx ON case_deadlines (drill, due_at) WHERE met_at IS NULL AND case_open;

-- One row per reminder actually sent. The primary key is the reminder's identity: a second job for
-- the same reminder (another instance, a retry after a crash, a re-insert after River's cleaner
-- removed the first job) finds the row and sends nothing.
CREATE TABLE reminders_sent (
    case_id    bigint      NOT NULL REFERENCES cases (id),
    kind       text        NOT NULL,           -- deadline kind, or request:<id> for a waiting approval
    due_at     timestamptz NOT NULL,
    reminder   text        NOT NULL,           -- offset label: 24h, 2h, missed, waiting_4wh
    sent_at    timestamptz NOT NULL,
    recipients int         NOT NULL,
    drill      boolean     NOT NULL DEFAULT false,
    job_id     bigint,
    PRIMARY KEY (case_id, kind, due_at, reminder)
);
CREATE TRIGGER reminders_sent_append_only BEFORE UPDATE OR DELETE ON reminders_sent
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER reminders_sent_no_truncate BEFORE TRUNCATE ON reminders_sent
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- Generated documents. A draft may be edited; a final version is frozen (trigger below) with the
-- SHA-256 of its canonical body. Editing after finalisation starts the next version.
CREATE TABLE case_documents (
    id           bigserial   PRIMARY KEY,
    case_id      bigint      NOT NULL REFERENCES cases (id),
    kind         text        NOT NULL,
    version      int         NOT NULL CHECK (version >= 1),
    title        text        NOT NULL,
    body         jsonb       NOT NULL,
    status       text        NOT NULL CHECK (status IN ('draft', 'final')),
    sha256       bytea,
    created_by   bigint      NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    updated_by   bigint      REFERENCES users (id),
    updated_at   timestamptz NOT NULL,
    finalised_by bigint      REFERENCES users (id),
    finalised_at timestamptz,
    UNIQUE (case_id, kind, version),
    CONSTRAINT case_documents_final_has_hash CHECK (status = 'draft' OR (sha256 IS NOT NULL AND finalised_at IS NOT NULL AND finalised_by IS NOT NULL))
);
-- At most one draft per case and kind.
CREATE UNIQUE INDEX case_documents_one_draft ON case_documents (case_id, kind) WHERE status = 'draft';

-- +goose StatementBegin
CREATE FUNCTION leakdesk_document_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status = 'final' THEN
        RAISE EXCEPTION 'leakdesk: % of a final document (or any delete) is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER case_documents_frozen BEFORE UPDATE OR DELETE ON case_documents
    FOR EACH ROW EXECUTE FUNCTION leakdesk_document_frozen();
CREATE TRIGGER case_documents_no_truncate BEFORE TRUNCATE ON case_documents
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- The record of finalisations, append-only like every audit record (until the case history gets a
-- document_finalised event type). UNIQUE (document_id): a version is finalised once.
CREATE TABLE document_finalisations (
    id           bigserial   PRIMARY KEY,
    document_id  bigint      NOT NULL UNIQUE REFERENCES case_documents (id),
    case_id      bigint      NOT NULL REFERENCES cases (id),
    kind         text        NOT NULL,
    version      int         NOT NULL,
    sha256       bytea       NOT NULL,
    finalised_by bigint      NOT NULL REFERENCES users (id),
    finalised_at timestamptz NOT NULL
);
CREATE INDEX document_finalisations_case_idx ON document_finalisations (case_id, finalised_at);
CREATE TRIGGER document_finalisations_append_only BEFORE UPDATE OR DELETE ON document_finalisations
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER document_finalisations_no_truncate BEFORE TRUNCATE ON document_finalisations
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE document_finalisations;
DROP TABLE case_documents;
DROP FUNCTION leakdesk_document_frozen();
DROP TABLE reminders_sent;
DROP TABLE case_deadlines;
