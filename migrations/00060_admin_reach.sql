-- The administrator's reach (issue 20): an admin administers accounts, not case contents.
--   session_epoch         a session carries the epoch it logged in at and ends on its next request
--                         once the epoch moved on: a password reset or disabling bumps it, ending
--                         every session of the user (scs keeps sessions as opaque gob rows, which
--                         cannot be found by user). Sessions from before this column count as 0.
--   must_change_password  a password an administrator set is temporary: the user changes it at
--                         the first login before anything else
--   role_grants           a grant of a case-reading role waits for a second administrator or the
--                         privacy officer (never the requester) before it takes effect

-- +goose Up
-- session_epoch is also added by 00050_sso.sql (issue 18, merged beside this one), which runs first;
-- IF NOT EXISTS lets both stand. This is the one edit of 00060 after it was written, acceptable
-- because 00060 had not been released yet (the issue 18/20 merge).
ALTER TABLE users ADD COLUMN IF NOT EXISTS session_epoch bigint NOT NULL DEFAULT 0,
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

CREATE TABLE role_grants (
    id            bigserial PRIMARY KEY,
    target_id     bigint      NOT NULL REFERENCES users (id),
    roles         text[]      NOT NULL,
    name          text        NOT NULL,
    base_version  bigint      NOT NULL,
    requested_by  bigint      NOT NULL REFERENCES users (id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    state         text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by    bigint      REFERENCES users (id),
    decided_at    timestamptz,
    CONSTRAINT role_grants_roles_known CHECK (roles <@ ARRAY['staff','manager','privacy_officer','executive','hr','auditor','admin']::text[]),
    CONSTRAINT role_grants_four_eyes CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CONSTRAINT role_grants_decided CHECK ((state = 'pending') = (decided_by IS NULL))
);
CREATE UNIQUE INDEX role_grants_one_pending ON role_grants (target_id) WHERE state = 'pending';

-- +goose Down
DROP TABLE role_grants;
-- IF EXISTS: 00050's Down drops session_epoch too (see Up).
ALTER TABLE users DROP COLUMN must_change_password, DROP COLUMN IF EXISTS session_epoch;
