# usage: mkdb.sh DBNAME — (re)creates and migrates a database in the scale cluster (env.sh: dburl)
source /tmp/scale/env.sh
psql "$(dburl postgres)" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
DATABASE_URL=$(dburl $1) ${BIN:-/tmp/scale/leakdesk} migrate up
