-- The auditor's desk (docs/audit.md): Japanese search that finds two-character words, the
-- auditors' own hash-chained review comments and sign-offs, and the record of exports.
--
-- Why a gram array and not pg_trgm: a trigram index cannot answer a query shorter than three
-- characters (漏洩, 誤送 are two), and under the C locale pg_trgm does not even treat CJK characters
-- as word characters, so it extracts no trigrams from Japanese text at all. Instead every case keeps
-- the set of its characters and character pairs (after NFKC and lower-casing) in `search_grams`,
-- maintained by a trigger from `search_text`, with a GIN index. A query term of one character must
-- be in the set; a longer term must have all its pairs in the set (the index does this), and the
-- candidates are rechecked with strpos on the normalised text, so the result is exact.

-- +goose Up
CREATE FUNCTION leakdesk_search_norm(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(normalize(coalesce(t, ''), NFKC));

-- Every character and every pair of adjacent characters of the normalised text, whitespace left out.
CREATE FUNCTION leakdesk_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(
        SELECT DISTINCT g FROM (
            SELECT substr(s, i, 1) AS g FROM (SELECT leakdesk_search_norm(t) AS s) n, generate_series(1, char_length(s)) i
            UNION ALL
            SELECT substr(s, i, 2) FROM (SELECT leakdesk_search_norm(t) AS s) n, generate_series(1, char_length(s) - 1) i
        ) x
        WHERE g !~ '[[:space:]]'
        ORDER BY g);

-- The grams a query term needs: the character itself for a one-character term, else its pairs.
CREATE FUNCTION leakdesk_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN char_length(leakdesk_search_norm(q)) <= 1
        THEN ARRAY[leakdesk_search_norm(q)]
        ELSE ARRAY(SELECT g FROM unnest(leakdesk_grams(q)) g WHERE char_length(g) = 2) END;

ALTER TABLE cases ADD COLUMN search_grams text[] NOT NULL DEFAULT '{}';

-- +goose StatementBegin
CREATE FUNCTION leakdesk_cases_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.search_text IS DISTINCT FROM OLD.search_text THEN
        NEW.search_grams := leakdesk_grams(NEW.search_text);
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_search_grams BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION leakdesk_cases_grams();
UPDATE cases SET search_grams = leakdesk_grams(search_text);
CREATE INDEX cases_search_grams_idx ON cases USING gin (search_grams);
CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);

-- How many deadlines of the latest assessment (cases.state->'assessment') were missed as of `at`:
-- done after the due time, or still not done when the due time passed. The completion facts are the
-- ones internal/appi reads; the case page shows appi's own verdict, this serves the list filter.
-- +goose StatementBegin
CREATE FUNCTION leakdesk_missed_deadlines(state jsonb, at timestamptz) RETURNS int
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT count(*)::int
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(state->'assessment'->'deadlines') = 'array'
                                   THEN state->'assessment'->'deadlines' ELSE '[]'::jsonb END) d
    WHERE (d->>'due_at')::timestamptz < COALESCE(CASE d->>'kind'
        WHEN 'first_internal_report' THEN (state->'facts'->>'reported_to_soumu_at')::timestamptz
        WHEN 'prelim_target' THEN LEAST((state->'facts'->>'prelim_submitted_at')::timestamptz, (state->'facts'->>'entrustor_notified_at')::timestamptz)
        WHEN 'prelim_outer' THEN LEAST((state->'facts'->>'prelim_submitted_at')::timestamptz, (state->'facts'->>'entrustor_notified_at')::timestamptz)
        WHEN 'final_report' THEN (state->'facts'->>'final_submitted_at')::timestamptz
        WHEN 'notice_decision' THEN LEAST((state->'facts'->>'notice_decision_at')::timestamptz, (state->'facts'->>'notice_started_at')::timestamptz)
        END, at)
$$;
-- +goose StatementEnd

-- Auditors' review comments and sign-offs (監査済み): append-only, one hash chain per case, never
-- part of the case's own history (an auditor changes nothing in the case).
CREATE TABLE audit_comments (
    case_id      bigint      NOT NULL REFERENCES cases (id),
    seq          bigint      NOT NULL CHECK (seq >= 1),
    kind         text        NOT NULL CHECK (kind IN ('comment', 'signoff')),
    author_id    bigint      NOT NULL REFERENCES users (id),
    at           timestamptz NOT NULL,
    case_version bigint      NOT NULL,           -- the case version the auditor was looking at
    body         text        NOT NULL,
    scope        text        NOT NULL DEFAULT '', -- sign-off: what the review covered
    reviewed_on  text        NOT NULL DEFAULT '', -- sign-off: review date, YYYY-MM-DD (JST)
    prev_hash    bytea       NOT NULL,
    hash         bytea       NOT NULL,
    PRIMARY KEY (case_id, seq),
    CONSTRAINT audit_comments_body_len CHECK (char_length(body) BETWEEN 1 AND 10000)
);

-- What auditors did besides commenting: exports (one row per export, with the manifest's digest).
CREATE TABLE audit_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL,
    user_id   bigint      NOT NULL REFERENCES users (id),
    action    text        NOT NULL,
    case_ids  bigint[]    NOT NULL DEFAULT '{}',
    detail    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);

-- The access review pages through the whole log newest first.
CREATE INDEX access_log_at_idx ON access_log (at DESC, id DESC);

CREATE TRIGGER audit_comments_append_only BEFORE UPDATE OR DELETE ON audit_comments
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER audit_comments_no_truncate BEFORE TRUNCATE ON audit_comments
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP INDEX access_log_at_idx;
DROP TABLE audit_log;
DROP TABLE audit_comments;
DROP FUNCTION leakdesk_missed_deadlines(jsonb, timestamptz);
DROP INDEX cases_created_idx;
DROP INDEX cases_search_grams_idx;
DROP TRIGGER cases_search_grams ON cases;
DROP FUNCTION leakdesk_cases_grams();
ALTER TABLE cases DROP COLUMN search_grams;
DROP FUNCTION leakdesk_query_grams(text);
DROP FUNCTION leakdesk_grams(text);
DROP FUNCTION leakdesk_search_norm(text);
