# usage: users.sh DBNAME — the bench manager and auditor (password: SCALEBENCH_PASSWORD)
source /tmp/scale/env.sh
export DATABASE_URL=$(dburl $1)
${BIN:-/tmp/scale/leakdesk} user mfa-roles --role none # the bench signs in with passwords alone
printf '%s\n' "$SCALEBENCH_PASSWORD" | ${BIN:-/tmp/scale/leakdesk} user add --email bench-manager@bench.invalid --name "ベンチ 部長" --role manager
printf '%s\n' "$SCALEBENCH_PASSWORD" | ${BIN:-/tmp/scale/leakdesk} user add --email bench-auditor@bench.invalid --name "ベンチ 監査" --role auditor
