#!/bin/bash
# Runs the scale benchmark against the 1k and 100k databases, interleaved, each through its own server.
source /tmp/scale/env.sh
cd /work/wt/scale
for round in 1 2; do
for db in ld1k ld100k; do
  port=18091; [ $db = ld100k ] && port=18092
  echo "### $db round $round $(date -u +%H:%M:%S)"
  DATABASE_URL="postgres://postgres@127.0.0.1:54322/$db?sslmode=disable" bin/leakdesk dev scalebench --base http://127.0.0.1:$port \
    --email bench-manager@bench.invalid --auditor bench-auditor@bench.invalid --requests ${REQ:-300} --clients 1,32
done
done
