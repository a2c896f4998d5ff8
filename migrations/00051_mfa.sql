-- A second factor for password logins: TOTP (RFC 6238) with single-use recovery codes, and the
-- roles that must use one. Single-sign-on users rely on their identity provider's MFA.

-- +goose Up
CREATE TABLE user_totp (
    user_id     bigint PRIMARY KEY REFERENCES users (id),
    secret      text        NOT NULL, -- base32; the authenticator app holds the same
    last_step   bigint      NOT NULL, -- the newest 30-second step used: a code is good once
    enrolled_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a recovery code is stored (80 random bits each); used_at marks it spent.
CREATE TABLE user_recovery_codes (
    id        bigserial PRIMARY KEY,
    user_id   bigint      NOT NULL REFERENCES users (id),
    code_hash bytea       NOT NULL,
    used_at   timestamptz,
    CONSTRAINT user_recovery_codes_key UNIQUE (user_id, code_hash)
);

-- Every role that can decrypt the register or decide an approval (auth.DefaultMFARoles).
ALTER TABLE auth_settings ADD COLUMN mfa_roles text[] NOT NULL
    DEFAULT ARRAY['staff','manager','privacy_officer','executive','hr','auditor']::text[];

-- +goose Down
ALTER TABLE auth_settings DROP COLUMN mfa_roles;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
