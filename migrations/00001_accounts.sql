-- Accounts, sessions, API tokens and the login-attempt record.
-- Why here: every other table refers to users, and sessions must live in PostgreSQL so that several
-- app instances can serve one browser (scs pgxstore's table layout).

-- +goose Up
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text        NOT NULL,
    name          text        NOT NULL,
    password_hash text        NOT NULL,
    roles         text[]      NOT NULL DEFAULT '{}',
    lang          text        NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en')),
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       bigint      NOT NULL DEFAULT 1,
    CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['staff','manager','privacy_officer','executive','hr','auditor','admin']::text[]),
    CONSTRAINT users_email_len CHECK (length(email) BETWEEN 3 AND 254),
    CONSTRAINT users_name_len CHECK (length(name) BETWEEN 1 AND 200)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- scs/pgxstore expects exactly this shape.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Only the SHA-256 of a token is stored; the token itself is shown once by `leakdesk token create`.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    token_hash   bytea       NOT NULL UNIQUE,
    label        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Every login attempt, successful or not: the rate limiter counts failures per account key and per
-- IP from here, and an administrator can review them. email_key is the lower-cased address typed,
-- whether or not such a user exists, so that lockout does not reveal which addresses are real.
CREATE TABLE login_attempts (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    email_key text        NOT NULL,
    ip        text        NOT NULL,
    success   boolean     NOT NULL,
    reason    text        NOT NULL DEFAULT ''
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email_key, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at);

-- What administrators did to accounts. Append-only like every audit record here.
CREATE TABLE admin_events (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint REFERENCES users (id),
    target_id  bigint REFERENCES users (id),
    action     text NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}'
);

-- +goose StatementBegin
CREATE FUNCTION leakdesk_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'leakdesk: % on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER admin_events_append_only BEFORE UPDATE OR DELETE ON admin_events
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER admin_events_no_truncate BEFORE TRUNCATE ON admin_events
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE admin_events;
DROP FUNCTION leakdesk_forbid_change();
DROP TABLE login_attempts;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
