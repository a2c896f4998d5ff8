-- The case row's `state` becomes the aggregate's snapshot: a write loads it under FOR UPDATE,
-- decides, appends the events and stores the new snapshot, instead of replaying the whole history
-- (issue 19). Rows written before this migration hold the in-memory case of the last command
-- (times not truncated to what the events keep), so they are marked 0 and the store replays them
-- once, on their next write, which marks them 1. Replay stays the auditor's and the verifier's tool.

-- +goose Up
ALTER TABLE cases ADD COLUMN state_format smallint NOT NULL DEFAULT 0;
COMMENT ON COLUMN cases.state_format IS
    '1 = state is the snapshot store wrote by applying the stored events (equal to their replay); 0 = replay on the next write';

-- +goose Down
ALTER TABLE cases DROP COLUMN state_format;
