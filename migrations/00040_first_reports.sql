-- First reports (第一報, SEED003 4条 / SEED004 47条1項): every officer and employee may report a
-- suspected leak straight to 総務部, through /report or by phone to 総務部, which enters it.
--   users.roles     gains 'reporter' (every employee; SSO users get it by default).
--   first_reports   one row per case opened from a report: who reported, who entered it, through
--                   which channel, when it was received, and the report as the reporter wrote it
--                   (what they may read back: never the case as 総務部 keeps it).
--   report_messages 総務部's questions to the reporter and the reporter's answers: all a reporter
--                   sees of the case beyond their own report.

-- +goose Up
ALTER TABLE users DROP CONSTRAINT users_roles_known;
ALTER TABLE users ADD CONSTRAINT users_roles_known
    CHECK (roles <@ ARRAY['staff','manager','privacy_officer','executive','hr','auditor','admin','reporter']::text[]);

CREATE TABLE first_reports (
    case_id      bigint      PRIMARY KEY REFERENCES cases (id),
    reporter_id  bigint      REFERENCES users (id), -- NULL: a caller without an account
    entered_by   bigint      NOT NULL REFERENCES users (id),
    channel      text        NOT NULL CHECK (channel IN ('system', 'phone')),
    received_at  timestamptz NOT NULL,
    my_number    boolean     NOT NULL,
    report       jsonb       NOT NULL
);
CREATE INDEX first_reports_reporter ON first_reports (reporter_id, received_at DESC) WHERE reporter_id IS NOT NULL;

CREATE TABLE report_messages (
    id         bigserial   PRIMARY KEY,
    case_id    bigint      NOT NULL REFERENCES first_reports (case_id),
    author_id  bigint      NOT NULL REFERENCES users (id),
    kind       text        NOT NULL CHECK (kind IN ('question', 'answer')),
    body       text        NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL
);
CREATE INDEX report_messages_case ON report_messages (case_id, id);

-- +goose Down
DROP TABLE report_messages;
DROP TABLE first_reports;
UPDATE users SET roles = array_remove(roles, 'reporter');
ALTER TABLE users DROP CONSTRAINT users_roles_known;
ALTER TABLE users ADD CONSTRAINT users_roles_known
    CHECK (roles <@ ARRAY['staff','manager','privacy_officer','executive','hr','auditor','admin']::text[]);
