#!/bin/sh
# Runs once, when the postgres image initialises its volume (docker-entrypoint-initdb.d): the group
# role the migrations grant to, and the login role `serve` connects as. POSTGRES_USER stays the owner
# that `leakdesk migrate` uses (docs/operations.md, "Database roles").
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v pw="$LEAKDESK_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE leakdesk_app NOLOGIN;
CREATE ROLE leakdesk_web LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE leakdesk_app;
SQL
