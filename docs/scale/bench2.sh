#!/bin/bash
source /tmp/scale/env.sh
cd /work/wt/scale
B="--email bench-manager@bench.invalid --auditor bench-auditor@bench.invalid"
for db in ld1k ld100k; do
  port=18091; [ $db = ld100k ] && port=18092
  export DATABASE_URL="postgres://postgres@127.0.0.1:54322/$db?sslmode=disable"
  echo "### $db 32 clients $(date -u +%H:%M:%S)"
  for o in "(default)" "case list," "case page" "漏洩" "dashboard"; do
    bin/leakdesk dev scalebench --base http://127.0.0.1:$port $B --requests 100 --clients 32 --only "$o" | grep -v "^cases\|^|---\|^| scenario\|^$"
  done
  echo "### $db replay 1 client $(date -u +%H:%M:%S)"
  bin/leakdesk dev scalebench --base http://127.0.0.1:$port $B --requests 20 --clients 1 --only "replay" | grep -v "^cases\|^|---\|^| scenario\|^$"
done
