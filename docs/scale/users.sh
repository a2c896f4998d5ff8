# usage: users.sh DBNAME — the bench manager and auditor
source /tmp/scale/env.sh
export DATABASE_URL=$(dburl $1)
printf '%s\n' "$SCALEBENCH_PASSWORD" | /tmp/scale/leakdesk user add --email bench-manager@bench.invalid --name "ベンチ 部長" --role manager
printf '%s\n' "$SCALEBENCH_PASSWORD" | /tmp/scale/leakdesk user add --email bench-auditor@bench.invalid --name "ベンチ 監査" --role auditor
