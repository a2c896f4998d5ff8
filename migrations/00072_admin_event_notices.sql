-- The admin's actions are visible (issue 21): a grant of a case-reading role is mailed to the
-- privacy officers. admin_event_notices is the ledger of admin_events already looked at by the
-- notifier (a River periodic job): one row per event, written in the same transaction as the mail
-- is sent, so a grant is announced once however many instances run. Events that exist when this
-- migration runs are marked as handled: only grants from now on are mailed.

-- +goose Up
CREATE TABLE admin_event_notices (
    event_id   bigint      PRIMARY KEY REFERENCES admin_events (id),
    mailed     boolean     NOT NULL, -- false: nothing to announce (no case-reading role added)
    handled_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO admin_event_notices (event_id, mailed) SELECT id, false FROM admin_events;

-- +goose Down
DROP TABLE admin_event_notices;
