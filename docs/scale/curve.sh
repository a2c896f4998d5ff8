#!/bin/bash
# The 1 k / 100 k / 1 M curve (docs/performance.md, "Scale"): for each database, one server of its
# own, then dev scalebench with 1 client, with 32 clients back to back (saturation) and with 32
# clients pausing about a second between requests (32 people at work). Databases are made with
# mkdb.sh + `leakdesk dev seed`; env.sh holds LEAKDESK_DATA_KEY, SCALEBENCH_PASSWORD and dburl().
set -euo pipefail
source /tmp/scale/env.sh
BIN=${BIN:-/tmp/scale/leakdesk}
B="--email bench-manager@bench.invalid --auditor bench-auditor@bench.invalid"
for db in ${DBS:-ld1k ld100k ld1m}; do
  export DATABASE_URL=$(dburl $db)
  LEAKDESK_ADDR=127.0.0.1:18090 $BIN serve > /tmp/scale/serve-$db.log 2>&1 &
  srv=$!
  until curl -fs http://127.0.0.1:18090/readyz >/dev/null; do sleep 0.5; done
  echo "### $db 1 client $(date -u +%H:%M:%S)"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests ${REQ:-300} --clients 1
  echo "### $db 32 clients back to back $(date -u +%H:%M:%S)"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests ${REQ32:-200} --clients 32
  echo "### $db 32 clients, think 1 s $(date -u +%H:%M:%S)"
  $BIN dev scalebench --base http://127.0.0.1:18090 $B --requests ${REQ:-300} --clients 32 --think 1s
  kill $srv; wait $srv || true
done
