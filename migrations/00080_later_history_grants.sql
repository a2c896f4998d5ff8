-- The history tables added after 00030_app_role (by migrations numbered below or above it, written
-- side by side) get the same rights as the others: the app role reads and appends, never updates,
-- deletes, truncates or adds triggers. 00030's default privileges gave them full rights; this takes
-- the rewriting ones back. store's TestAppRole_HistoryIsAppendOnly lists every append-only table.

-- +goose Up
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON
    approval_delegations, person_history, register_grants
    FROM leakdesk_app;

-- +goose Down
GRANT UPDATE, DELETE ON approval_delegations, person_history, register_grants TO leakdesk_app;
