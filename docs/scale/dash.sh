#!/bin/bash
# One scenario (ONLY, default: dashboard) re-measured after a fix: 1 client, 32 back to back,
# 32 paced. Used for the dashboard after 00013 (dash.out) and the R-0000 search after 00014
# (search.out).
set -euo pipefail
source /tmp/scale/env.sh
BIN=/tmp/scale/leakdesk.cur
B="--email bench-manager@bench.invalid --auditor bench-auditor@bench.invalid"
for db in ld1k ld100k ld1m; do
  export DATABASE_URL=$(dburl $db)
  LEAKDESK_ADDR=127.0.0.1:18090 $BIN serve > /tmp/scale/serve-$db.log 2>&1 &
  srv=$!
  until curl -fs http://127.0.0.1:18090/readyz >/dev/null; do sleep 0.5; done
  echo "### $db ${ONLY:-dashboard} $(date -u +%H:%M:%S)"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 300 --clients 1 --only "${ONLY:-dashboard}" | grep "^| "
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 200 --clients 32 --only "${ONLY:-dashboard}" | grep "^| "
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests 300 --clients 32 --think 1s --only "${ONLY:-dashboard}" | grep "^| "
  kill $srv; wait $srv || true
done
