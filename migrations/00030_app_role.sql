-- Least privilege: the app connects as a login role that is a member of the group role
-- `leakdesk_app`, never as the role that owns the tables (the one `leakdesk migrate` connects as,
-- LEAKDESK_MIGRATE_URL). The owner — and a superuser — can ALTER TABLE … DISABLE TRIGGER and then
-- rewrite anything; the app role cannot: it owns nothing (ALTER, DROP and DISABLE TRIGGER need
-- ownership), and on the history tables it may only read and append. The append-only triggers stay
-- as a second wall (they also stop the owner's own mistakes), the grants are the first.
--
-- Roles are cluster-wide and usually created by a DBA: the group role is created here only when it
-- is missing and the migrating role may create roles; otherwise the migration stops and says what to
-- run. The login role is the operator's (docs/operations.md: CREATE ROLE … LOGIN IN ROLE leakdesk_app).

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leakdesk_app') THEN
        BEGIN
            CREATE ROLE leakdesk_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another migration
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'leakdesk: the group role leakdesk_app does not exist and % may not create roles; as a superuser run: CREATE ROLE leakdesk_app NOLOGIN (docs/operations.md)', current_user;
        END;
    END IF;
END
$$;
-- +goose StatementEnd

-- Nobody but the owner creates objects in the schema (PostgreSQL 15 already says so; older
-- clusters upgraded in place may not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO leakdesk_app;

-- Working tables (sessions, projections, the register, River's jobs …): read and write rows.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO leakdesk_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO leakdesk_app;
-- Tables created later by the owner (the next migrations, River's) get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO leakdesk_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO leakdesk_app;

-- History: read and append only. A new append-only table must be added here (in its own
-- migration) — store's TestAppRole_HistoryIsAppendOnly lists them and fails on one it does not know.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON
    case_events, case_registry, chain_anchors, chain_anchor_heads, access_log, admin_events,
    audit_comments, audit_log, document_finalisations, case_evidence, reminders_sent
    FROM leakdesk_app;
-- Cases are never deleted (cases_no_delete), nor documents (a draft is updated until it is final,
-- then frozen by leakdesk_document_frozen): the rows are updated, never removed.
REVOKE DELETE, TRUNCATE ON cases, case_documents FROM leakdesk_app;
-- The app reads the schema version (/readyz: pending migrations) and never writes it.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON goose_db_version FROM leakdesk_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM leakdesk_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM leakdesk_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM leakdesk_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM leakdesk_app;
REVOKE USAGE ON SCHEMA public FROM leakdesk_app;
-- The role itself stays: it is cluster-wide and other databases of the cluster may use it.
