# usage: mkdb.sh DBNAME  — (re)creates and migrates a database in the scale cluster, with the bench users
source /tmp/scale/env.sh
psql "postgres://postgres@127.0.0.1:54320/postgres" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
DATABASE_URL=$(dburl $1) /tmp/scale/leakdesk migrate up
