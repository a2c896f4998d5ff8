-- Each event keeps the exact canonical bytes its hash was computed over (issue 19, "verification at
-- hashing speed"): verifying is then hashing the stored bytes and checking, without re-encoding,
-- that the payload the app shows is what they say (store.verifyEventRows). The bytes are written
-- with the event, in the same INSERT, and never after: case_events stays append-only for the app
-- role (its triggers and 00030's grants are unchanged).
--
-- No backfill. Adding a nullable column without a default is a catalogue change only (no table
-- rewrite, a brief lock), so it is safe at 30 M events; the events written before it keep NULL and
-- are verified exactly as before, by re-canonicalising their payload. Filling them in afterwards
-- would mean updating the history, which is what the append-only rule forbids.

-- +goose Up
ALTER TABLE case_events ADD COLUMN canon bytea;

-- +goose Down
ALTER TABLE case_events DROP COLUMN canon;
