#!/bin/bash
# Dashboard only, after the overdue-measures fix: 1 client, 32 back to back, 32 paced.
set -euo pipefail
source /tmp/scale/env.sh
BIN=/tmp/scale/leakdesk.cur
B="--email bench-manager@bench.invalid --auditor bench-auditor@bench.invalid"
for db in ld1k ld100k ld1m; do
  export DATABASE_URL=$(dburl $db)
  LEAKDESK_ADDR=127.0.0.1:18090 $BIN serve > /tmp/scale/serve-$db.log 2>&1 &
  srv=$!
  until curl -fs http://127.0.0.1:18090/readyz >/dev/null; do sleep 0.5; done
  echo "### $db dashboard $(date -u +%H:%M:%S)"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 300 --clients 1 --only dashboard | grep "^| [rd]"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 200 --clients 32 --only dashboard | grep "^| [rd]"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 300 --clients 32 --think 1s --only dashboard | grep "^| [rd]"
  kill $srv; wait $srv || true
done
