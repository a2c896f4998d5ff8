-- Lists that leave out the cases a viewer is involved in, and the dashboard's overdue recurrence
-- measures, read the whole `state` jsonb of every candidate case: the board detoasted ≈ 50 KB per
-- row (0.5 ms each, 1 897 of 2 160 buffers at 100 k), and the overdue-measures panel walked the
-- records of *every open case* — O(open cases): seconds at a million. Two projection columns,
-- written with the rest of the case row, answer both from the row itself:
--   involved_ids  the users recorded as involved (incident.Case.InvolvedIDs)
--   measure_due   the earliest due date of a recurrence measure neither withdrawn nor done
--                 (incident.Case.EarliestOpenMeasureDue), indexed for open cases.
-- The backfill reads `state` once per case that has either.

-- +goose Up
ALTER TABLE cases ADD COLUMN involved_ids bigint[] NOT NULL DEFAULT '{}', ADD COLUMN measure_due date;

UPDATE cases SET involved_ids = ARRAY(
        SELECT k::bigint FROM jsonb_each_text(state->'involved') AS e(k, v) WHERE v = 'true' ORDER BY 1)
    WHERE jsonb_typeof(state->'involved') = 'object' AND state->'involved' <> '{}'::jsonb;

UPDATE cases SET measure_due = (
        SELECT min((r->'values'->>'due_date')::date) FROM jsonb_array_elements(state->'records') r
        WHERE r->>'kind' = 'recurrence_measure' AND NOT COALESCE((r->>'withdrawn')::boolean, false)
          AND COALESCE(r->'values'->>'status', '') NOT IN ('done', 'verified')
          AND COALESCE(r->'values'->>'due_date', '') <> '')
    WHERE jsonb_typeof(state->'records') = 'array' AND state->'records' @> '[{"kind": "recurrence_measure"}]';

CREATE INDEX cases_measure_due_idx ON cases (measure_due) WHERE status = 'open' AND measure_due IS NOT NULL;

-- +goose Down
DROP INDEX cases_measure_due_idx;
ALTER TABLE cases DROP COLUMN involved_ids, DROP COLUMN measure_due;
