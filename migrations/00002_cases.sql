-- The case engine's tables. `case_events` is the source of truth: an append-only, hash-chained
-- history per case. `cases` is the projection of those events used to list and show cases quickly;
-- it is rewritten in the same transaction as the events it reflects, and can be rebuilt from them.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SEQUENCE case_request_id_seq;

CREATE TABLE cases (
    id             bigserial   PRIMARY KEY,
    number         text        NOT NULL UNIQUE,
    title          text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('open', 'closed', 'closed_not_incident')),
    drill          boolean     NOT NULL DEFAULT false,
    version        bigint      NOT NULL,           -- seq of the newest event
    owner_id       bigint      REFERENCES users (id),
    created_by     bigint      NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    recognized_at  timestamptz,
    current_stage  text        NOT NULL DEFAULT 'discovery',
    pending_requests int       NOT NULL DEFAULT 0,
    next_due_at    timestamptz,                    -- earliest open deadline (law engine)
    search_text    text        NOT NULL DEFAULT '', -- number, title and free text, for search
    state          jsonb       NOT NULL             -- the whole projected aggregate
);
-- Keyset pagination over the default order (newest activity first).
CREATE INDEX cases_updated_idx ON cases (updated_at DESC, id DESC);
CREATE INDEX cases_status_updated_idx ON cases (status, updated_at DESC, id DESC);
CREATE INDEX cases_next_due_idx ON cases (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX cases_owner_idx ON cases (owner_id, updated_at DESC, id DESC);
CREATE INDEX cases_search_trgm_idx ON cases USING gin (search_text gin_trgm_ops);

CREATE TABLE case_events (
    case_id   bigint      NOT NULL REFERENCES cases (id),
    seq       bigint      NOT NULL CHECK (seq >= 1),
    type      text        NOT NULL,
    actor_id  bigint      REFERENCES users (id),
    at        timestamptz NOT NULL,
    payload   jsonb       NOT NULL,
    prev_hash bytea       NOT NULL,
    hash      bytea       NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX case_events_type_idx ON case_events (type, at);

-- Every case ever opened, in one global hash chain. Case creation is rare, so one lock per creation
-- is cheap; the chain makes the disappearance of a whole case (row and history) detectable.
CREATE TABLE case_registry (
    seq        bigint      PRIMARY KEY,
    case_id    bigint      NOT NULL UNIQUE,
    number     text        NOT NULL,
    created_at timestamptz NOT NULL,
    prev_hash  bytea       NOT NULL,
    hash       bytea       NOT NULL
);

-- Periodic anchors of every case's chain head: deleting the newest events of a case (which its own
-- chain cannot notice) is detected against the last anchor.
CREATE TABLE chain_anchors (
    seq        bigint      PRIMARY KEY,
    at         timestamptz NOT NULL,
    heads      jsonb       NOT NULL,   -- [[case_id, seq, hash_hex], ...] for cases changed since the previous anchor
    prev_hash  bytea       NOT NULL,
    hash       bytea       NOT NULL
);

-- Approval requests, one row per request (the events hold the history; this is the inbox index).
CREATE TABLE case_requests (
    id           bigint      PRIMARY KEY,
    case_id      bigint      NOT NULL REFERENCES cases (id),
    stage        text        NOT NULL,
    kind         text        NOT NULL,
    state        text        NOT NULL,
    requested_by bigint      NOT NULL REFERENCES users (id),
    requested_at timestamptz NOT NULL,
    decided_at   timestamptz
);
CREATE INDEX case_requests_pending_idx ON case_requests (state, requested_at) WHERE state = 'pending';
CREATE INDEX case_requests_case_idx ON case_requests (case_id);

-- Who looked at which case page, and which personal data: kept apart from the timeline so that
-- reading never changes a case's version.
CREATE TABLE access_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    user_id   bigint      NOT NULL REFERENCES users (id),
    case_id   bigint      REFERENCES cases (id),
    page      text        NOT NULL,
    subjects  jsonb       NOT NULL DEFAULT '[]',  -- ids of affected persons shown decrypted, if any
    reason    text        NOT NULL DEFAULT ''
);
CREATE INDEX access_log_case_idx ON access_log (case_id, at);
CREATE INDEX access_log_user_idx ON access_log (user_id, at);

CREATE TABLE case_numbers (
    year  int PRIMARY KEY,
    last  int NOT NULL
);

-- History tables are append-only for everyone, including the app's own role: no UPDATE, DELETE or
-- TRUNCATE. (A superuser can still disable the trigger; `leakdesk audit verify` then finds the edit.)
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_registry_append_only BEFORE UPDATE OR DELETE ON case_registry
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER case_registry_no_truncate BEFORE TRUNCATE ON case_registry
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_anchors_append_only BEFORE UPDATE OR DELETE ON chain_anchors
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_anchors_no_truncate BEFORE TRUNCATE ON chain_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
-- A case row may change (it is the projection) but never disappear.
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE case_numbers;
DROP TABLE access_log;
DROP TABLE case_requests;
DROP TABLE chain_anchors;
DROP TABLE case_registry;
DROP TABLE case_events;
DROP TABLE cases;
DROP SEQUENCE case_request_id_seq;
