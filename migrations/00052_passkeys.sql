-- Passkeys and security keys (WebAuthn) as a second factor for password logins.

-- +goose Up
CREATE TABLE user_passkeys (
    id            bigserial PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id),
    credential_id bytea       NOT NULL UNIQUE,
    credential    jsonb       NOT NULL, -- go-webauthn's Credential: public key, sign count, flags
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX user_passkeys_user_idx ON user_passkeys (user_id);

-- +goose Down
DROP TABLE user_passkeys;
