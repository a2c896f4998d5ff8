-- Register edits leave a trail (issue 21). Every change to a row of affected_persons — added by hand
-- or by an import, edited, marked notified, compensation recorded, re-encrypted by a key rotation —
-- writes one person_history row: the row before and after as stored (the *_enc columns are the
-- AES-GCM ciphertext and the *_bidx columns keyed hashes, so the history holds no plaintext), who,
-- when and why. The writer states who and why in its transaction (set_config 'leakdesk.actor' and
-- 'leakdesk.person_reason', store.stampPersonChange); a change without a reason is refused, so no
-- path can change the register silently. person_history is append-only like the other history
-- tables. Statement-level triggers with transition tables keep bulk imports (COPY) and bulk notice
-- updates one INSERT … SELECT.

-- +goose Up
CREATE TABLE person_history (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id bigint      NOT NULL,
    case_id   bigint      NOT NULL REFERENCES cases (id),
    op        text        NOT NULL CHECK (op IN ('insert', 'update')),
    actor_id  bigint      REFERENCES users (id), -- NULL: the system (key rotation, dev seed)
    at        timestamptz NOT NULL DEFAULT now(),
    reason    text        NOT NULL CHECK (length(btrim(reason)) > 0),
    old_row   jsonb,                             -- NULL for an insert
    new_row   jsonb       NOT NULL
);
CREATE INDEX person_history_case_idx ON person_history (case_id, id);
CREATE INDEX person_history_person_idx ON person_history (person_id, id);

-- +goose StatementBegin
CREATE FUNCTION leakdesk_person_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text := NULLIF(btrim(current_setting('leakdesk.person_reason', true)), '');
    actor  bigint := NULLIF(current_setting('leakdesk.actor', true), '')::bigint;
BEGIN
    IF reason IS NULL THEN
        RAISE EXCEPTION 'leakdesk: % on affected_persons without a recorded reason (set leakdesk.person_reason)', TG_OP
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO person_history (person_id, case_id, op, actor_id, reason, old_row, new_row)
        SELECT n.id, n.case_id, 'insert', actor, reason, NULL, to_jsonb(n) FROM new_rows n;
    ELSE
        INSERT INTO person_history (person_id, case_id, op, actor_id, reason, old_row, new_row)
        SELECT n.id, n.case_id, 'update', actor, reason, to_jsonb(o), to_jsonb(n)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER affected_persons_history_insert AFTER INSERT ON affected_persons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_person_history();
CREATE TRIGGER affected_persons_history_update AFTER UPDATE ON affected_persons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_person_history();

CREATE TRIGGER person_history_append_only BEFORE UPDATE OR DELETE ON person_history
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER person_history_no_truncate BEFORE TRUNCATE ON person_history
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TRIGGER affected_persons_history_update ON affected_persons;
DROP TRIGGER affected_persons_history_insert ON affected_persons;
DROP FUNCTION leakdesk_person_history();
DROP TABLE person_history;
