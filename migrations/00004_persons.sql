-- The register of affected persons (対象者一覧) of a case, and the data key's check value.
-- Why here: notices, apologies and the count reported to the PPC are per person, and the people are
-- the most sensitive data the system holds. Every identifying field is encrypted by the app
-- (AES-256-GCM, see internal/pii) before it reaches PostgreSQL, so a dump, a backup or a DBA sees
-- only ciphertext; exact-match search and dedupe use keyed blind indexes (HMAC-SHA256) instead.

-- +goose Up

-- The data key in use, by ID, with an HMAC check value: a server started with a wrong key stops
-- with a clear message instead of failing on the first decryption. state 'rotating' marks an
-- unfinished `leakdesk key rotate`, during which no server may start.
CREATE TABLE pii_keys (
    key_id      text        PRIMARY KEY,
    check_value bytea       NOT NULL,
    state       text        NOT NULL CHECK (state IN ('active', 'rotating', 'retired')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX pii_keys_one_active ON pii_keys ((true)) WHERE state = 'active';

-- One row per committed CSV import. The file hash is kept for the record, not for idempotency:
-- re-importing the same or an overlapping file adds nobody twice because rows are deduplicated.
CREATE TABLE person_imports (
    id           bigserial   PRIMARY KEY,
    case_id      bigint      NOT NULL REFERENCES cases (id),
    file_sha256  bytea       NOT NULL,
    encoding     text        NOT NULL,
    rows_total   int         NOT NULL,
    rows_added   int         NOT NULL,
    rows_present int         NOT NULL,   -- already in the register (dedupe)
    created_by   bigint      NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_imports_case_idx ON person_imports (case_id, created_at);

-- An uploaded file between its preview and its commit, encrypted like the rows (it is the same
-- data); deleted on commit and after an hour. Never the session: sessions are not encrypted.
CREATE TABLE person_import_uploads (
    id          bigserial   PRIMARY KEY,
    token       bytea       NOT NULL UNIQUE,      -- random; the form carries it
    case_id     bigint      NOT NULL REFERENCES cases (id),
    created_by  bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    payload_enc bytea       NOT NULL
);

CREATE TABLE affected_persons (
    id              bigserial   PRIMARY KEY,
    case_id         bigint      NOT NULL REFERENCES cases (id),
    key_id          text        NOT NULL,   -- key of every *_enc column of the row (rotation)
    -- AES-256-GCM; additional data = table, row id and field, so values cannot be swapped.
    name_enc        bytea,
    kana_enc        bytea,
    postal_enc      bytea,
    address_enc     bytea,
    phone_enc       bytea,
    email_enc       bytea,
    customer_id_enc bytea,
    -- HMAC-SHA256 of the normalised value under a key derived from the data key.
    email_bidx      bytea,
    phone_bidx      bytea,
    customer_bidx   bytea,
    name_addr_bidx  bytea,
    dedupe_bidx     bytea       NOT NULL,   -- customer ID, else e-mail, else phone, else name+address
    data_items      text[]      NOT NULL DEFAULT '{}',
    notice_status   text        NOT NULL DEFAULT 'unnotified'
        CHECK (notice_status IN ('unnotified', 'notified', 'undeliverable', 'returned')),
    notice_method   text        NOT NULL DEFAULT ''
        CHECK (notice_method IN ('', 'post', 'email', 'phone', 'in_person', 'web', 'other')),
    notice_date     date,
    compensation_kind   text    NOT NULL DEFAULT ''
        CHECK (compensation_kind IN ('', 'apology', 'gift_card', 'cash', 'points', 'other')),
    compensation_amount int     NOT NULL DEFAULT 0 CHECK (compensation_amount >= 0),
    inquiries       int         NOT NULL DEFAULT 0 CHECK (inquiries >= 0),
    import_id       bigint      REFERENCES person_imports (id),
    version         bigint      NOT NULL DEFAULT 1,
    created_by      bigint      NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The database itself refuses a second person with the same dedupe key in a case.
CREATE UNIQUE INDEX affected_persons_dedupe_key ON affected_persons (case_id, dedupe_bidx);
CREATE INDEX affected_persons_case_idx ON affected_persons (case_id, id);
CREATE INDEX affected_persons_status_idx ON affected_persons (case_id, notice_status, id);
CREATE INDEX affected_persons_email_idx ON affected_persons (case_id, email_bidx) WHERE email_bidx IS NOT NULL;
CREATE INDEX affected_persons_phone_idx ON affected_persons (case_id, phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX affected_persons_customer_idx ON affected_persons (case_id, customer_bidx) WHERE customer_bidx IS NOT NULL;
CREATE INDEX affected_persons_name_addr_idx ON affected_persons (case_id, name_addr_bidx) WHERE name_addr_bidx IS NOT NULL;
CREATE INDEX affected_persons_key_idx ON affected_persons (key_id, id);

-- +goose Down
DROP TABLE affected_persons;
DROP TABLE person_import_uploads;
DROP TABLE person_imports;
DROP TABLE pii_keys;
