-- Each case pins the rule set version in force when it was opened (issue 16, docs/rules.md): the
-- case_opened event records version and hash inside the hash chain, and this column is its
-- projection, so "which open cases run under version N" (moving cases to a newer version, the
-- yearly review) is one indexed read. Cases opened before versions existed are version 1's.

-- +goose Up
ALTER TABLE cases ADD COLUMN rules_version integer NOT NULL DEFAULT 1 CHECK (rules_version >= 1);
CREATE INDEX cases_rules_version_open ON cases (rules_version) WHERE status = 'open';

-- +goose Down
DROP INDEX cases_rules_version_open;
ALTER TABLE cases DROP COLUMN rules_version;
