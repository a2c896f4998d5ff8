-- Which browser sessions belong to which user, so a user can see and end their own and a password
-- change or deprovisioning can end them at once. token is the scs session token (the sessions
-- table's key, which holds it already); a row whose session has expired is simply not listed.

-- +goose Up
CREATE TABLE user_sessions (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    token      text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    method     text        NOT NULL DEFAULT 'password'
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- +goose Down
DROP TABLE user_sessions;
