-- Long auditor work off the request (issue 19): "verify all" ran inside the request and failed past
-- the write timeout at about 80 k cases. It is now a background job (River, queue "audit"); this
-- table is what the auditor's progress page reads and what the job writes: its state, its progress
-- (done of total, in ranges of cases), whether someone asked to cancel it, and its result, kept for
-- download. A working table (not history): the job updates its own row.

-- +goose Up
CREATE TABLE audit_jobs (
    id               bigserial PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('verify')),
    requested_by     bigint      NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    state            text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    done             bigint      NOT NULL DEFAULT 0,
    total            bigint      NOT NULL DEFAULT 0,
    cancel_requested boolean     NOT NULL DEFAULT false,
    result           jsonb,
    error            text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_jobs_created_idx ON audit_jobs (created_at DESC, id DESC);

-- +goose Down
DROP TABLE audit_jobs;
