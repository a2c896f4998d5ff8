-- The company's rule book as versioned data (issue 16, docs/rules.md): version 1 is built into the
-- binary; versions 2, 3, … are drafted (uploaded or edited on /rules), checked, approved by the
-- 総務部長 and the 個人情報保護管理者 (neither the drafter) and take effect on their date.
--
-- rule_versions is the working table: one row per drafted version, its canonical JSON and hash
-- (the hash cases pin), its effect date and state. The document never changes once drafted (a
-- change is a new version); the trigger holds that. Two live versions never share an effect date.
--
-- rule_events is the version history as its own hash chain (chain.Hash over the canonical event,
-- like the cases' and the auditor's comments): drafted, approved (one per approver), in_force
-- (the last approval), withdrawn, reviewed (the yearly review, 見直し済み・変更なし). Append-only.
--
-- rule_review_reminders makes each yearly-review reminder go out once (per due date and label),
-- across restarts and instances, like reminders_sent.

-- +goose Up
CREATE TABLE rule_versions (
    version      integer     PRIMARY KEY CHECK (version >= 2),
    effective_on date        NOT NULL,
    title        text        NOT NULL,
    document     bytea       NOT NULL,
    hash         text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    based_on     integer     NOT NULL CHECK (based_on >= 1),
    state        text        NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'approved', 'withdrawn')),
    drafted_by   bigint      NOT NULL REFERENCES users (id),
    drafted_at   timestamptz NOT NULL,
    decided_at   timestamptz,
    CHECK ((state = 'draft') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX rule_versions_effective_on ON rule_versions (effective_on) WHERE state <> 'withdrawn';

-- +goose StatementBegin
CREATE FUNCTION leakdesk_rule_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'leakdesk: rule versions are never deleted (withdraw a draft instead)';
    END IF;
    IF NEW.version <> OLD.version OR NEW.document <> OLD.document OR NEW.hash <> OLD.hash
        OR NEW.effective_on <> OLD.effective_on OR NEW.drafted_by <> OLD.drafted_by OR NEW.drafted_at <> OLD.drafted_at
        OR OLD.state <> 'draft' THEN
        RAISE EXCEPTION 'leakdesk: a drafted rule version does not change (draft a new version)';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER rule_versions_frozen BEFORE UPDATE OR DELETE ON rule_versions
    FOR EACH ROW EXECUTE FUNCTION leakdesk_rule_version_frozen();

CREATE TABLE rule_events (
    seq       bigint      PRIMARY KEY CHECK (seq >= 1),
    at        timestamptz NOT NULL,
    actor_id  bigint      NOT NULL REFERENCES users (id),
    kind      text        NOT NULL CHECK (kind IN ('drafted', 'approved', 'in_force', 'withdrawn', 'reviewed')),
    version   integer     NOT NULL CHECK (version >= 1),
    detail    jsonb       NOT NULL,
    prev_hash bytea       NOT NULL,
    hash      bytea       NOT NULL UNIQUE
);
CREATE INDEX rule_events_version ON rule_events (version, seq);
CREATE TRIGGER rule_events_append_only BEFORE UPDATE OR DELETE ON rule_events
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER rule_events_no_truncate BEFORE TRUNCATE ON rule_events
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

CREATE TABLE rule_review_reminders (
    due_on  date        NOT NULL,
    label   text        NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (due_on, label)
);

REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON rule_events FROM leakdesk_app;
REVOKE DELETE, TRUNCATE ON rule_versions FROM leakdesk_app;

-- +goose Down
DROP TABLE rule_review_reminders;
DROP TABLE rule_events;
DROP TABLE rule_versions;
DROP FUNCTION leakdesk_rule_version_frozen();
