-- Single sign-on (OpenID Connect): the link from an identity provider's account to a leakdesk
-- user, the sign-in settings an administrator changes, how each login was made, and a session
-- epoch per user so that ending "every session of this user" is one UPDATE (sessions are opaque
-- scs rows keyed by token, so they cannot be found by user).

-- +goose Up
CREATE TABLE user_identities (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    issuer     text        NOT NULL,
    subject    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login timestamptz,
    CONSTRAINT user_identities_key UNIQUE (issuer, subject),
    CONSTRAINT user_identities_len CHECK (length(issuer) BETWEEN 1 AND 1000 AND length(subject) BETWEEN 1 AND 255)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- One row: the sign-in policy. password_login = false leaves the password form to the break-glass
-- administrator alone.
CREATE TABLE auth_settings (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    password_login     boolean NOT NULL DEFAULT true,
    break_glass_user   bigint REFERENCES users (id),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO auth_settings DEFAULT VALUES;

-- A session carries the epoch it was made in; bumping the user's epoch ends all of them at the
-- next request (loadUser compares).
ALTER TABLE users ADD COLUMN session_epoch bigint NOT NULL DEFAULT 0;

-- How a login was made ('password', 'oidc') and, for single sign-on, the IdP's amr/acr claims.
ALTER TABLE login_attempts ADD COLUMN method text NOT NULL DEFAULT 'password',
    ADD COLUMN user_id bigint REFERENCES users (id),
    ADD COLUMN amr text[] NOT NULL DEFAULT '{}',
    ADD COLUMN acr text NOT NULL DEFAULT '';
CREATE INDEX login_attempts_user_idx ON login_attempts (user_id, at) WHERE user_id IS NOT NULL;

-- +goose Down
DROP INDEX login_attempts_user_idx;
ALTER TABLE login_attempts DROP COLUMN acr, DROP COLUMN amr, DROP COLUMN user_id, DROP COLUMN method;
-- IF EXISTS: 00060_admin_reach.sql adds and drops the same column (issue 20).
ALTER TABLE users DROP COLUMN IF EXISTS session_epoch;
DROP TABLE auth_settings;
DROP TABLE user_identities;
