-- A background verification holds its job by a heartbeat (issue 19). River re-runs a job it takes
-- for stuck (its rescuer, run by whichever River client of the database is the leader), and
-- nothing stopped that second run from starting while the first was still verifying: two runs of
-- one job then wrote the same row's progress and result. A run now takes the job by writing its own
-- runner token and a heartbeat, renewed with every progress report; a later run that finds the job
-- running under a fresh heartbeat waits (River snooze), one that finds the heartbeat stale (the
-- first run died) takes the job over, and the first run, if it was only slow, sees that its token is
-- gone at its next report and stops without writing.

-- +goose Up
ALTER TABLE audit_jobs
    ADD COLUMN heartbeat_at timestamptz,
    ADD COLUMN runner       text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_jobs DROP COLUMN runner, DROP COLUMN heartbeat_at;
