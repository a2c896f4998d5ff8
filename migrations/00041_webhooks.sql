-- Webhooks: other systems (chat, SIEM) hear that a case opened, a stage changed, a request waits
-- or was decided, a deadline is near or missed, a case closed. Deliveries are River jobs inserted
-- in the transaction of the change (queue "webhooks"); every attempt is logged here.
--   webhook_endpoints   registered by an administrator: the URL, the signing secret (sealed with
--                       the data key, like the register), the event types wanted, and whether
--                       private addresses are allowed (refused by default: no SSRF).
--   webhook_deliveries  one row per attempt: status code or error, when, how long.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id            bigserial   PRIMARY KEY,
    url           text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    secret_sealed bytea       NOT NULL,
    events        text[]      NOT NULL CHECK (cardinality(events) > 0),
    allow_private boolean     NOT NULL DEFAULT false,
    created_by    bigint      NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    disabled_at   timestamptz
);

CREATE TABLE webhook_deliveries (
    id          bigserial   PRIMARY KEY,
    endpoint_id bigint      NOT NULL REFERENCES webhook_endpoints (id),
    message_id  text        NOT NULL,
    event_type  text        NOT NULL,
    case_id     bigint,
    attempt     int         NOT NULL,
    status      int,         -- HTTP status; NULL when no answer came
    error       text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    duration_ms int         NOT NULL
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (at DESC);
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
