-- TOTP secrets are sealed with the data key (AES-256-GCM, like the register and evidence files):
-- a copy of the database alone must not let anyone generate a user's codes. Existing rows cannot
-- be sealed here (the key is not in the database): the server seals them at start
-- (store.SealPendingTOTP) and key rotation re-seals them; until then a row keeps its plaintext.

-- +goose Up
ALTER TABLE user_totp ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE user_totp ADD COLUMN secret_sealed bytea, ADD COLUMN key_id text;
ALTER TABLE user_totp ADD CONSTRAINT user_totp_one_secret
    CHECK ((secret IS NULL) <> (secret_sealed IS NULL) AND (secret_sealed IS NULL) = (key_id IS NULL));

-- +goose Down
-- A sealed secret cannot be opened in SQL: those enrolments are removed (the users enrol again).
DELETE FROM user_recovery_codes WHERE user_id IN (SELECT user_id FROM user_totp WHERE secret IS NULL);
DELETE FROM user_totp WHERE secret IS NULL;
ALTER TABLE user_totp DROP CONSTRAINT user_totp_one_secret;
ALTER TABLE user_totp DROP COLUMN secret_sealed, DROP COLUMN key_id;
ALTER TABLE user_totp ALTER COLUMN secret SET NOT NULL;
