#!/usr/bin/env bash
# A store of N routed leads (default 1,000,000), measured: the data
# directory's size per lead, the time from starting leadrouterd to the
# first route it answers, and its memory (RSS) then. Two shapes:
#   open    every lead assigned to one of 20 reps (capacity to spare)
#   queued  20 reps full at 25 leads each; every other lead waits in the
#           team's queue, which leadrouterd keeps in memory
# Leads are realistic (e-mail, name, company, 20-rep traces) and routed over
# gRPC with `leadctl import` (several at once), so the store is as a
# running service leaves it.
#
#   bench/million_leads.sh               # both shapes, 1,000,000 leads
#   bench/million_leads.sh 200000 open   # one shape, fewer leads
#
# Needs a build (cmake --build build) and python3. Uses loopback ports
# 51100-51101 and a directory under /tmp, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
SHAPES=${2:-"open queued"}
BIN=build
WORK=$(mktemp -d /tmp/leadrouter-million.XXXXXX)
PORT=51100
trap 'pkill -f "leadrouterd.*--listen=127.0.0.1:${PORT}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PARTS=4

config() {  # $1: capacity of each rep
  echo "reps:"
  for i in $(seq -w 1 20); do echo "  - { id: rep$i, capacity: $1 }"; done
  echo "teams:"
  echo "  - id: all"
  echo -n "    members: ["
  for i in $(seq -w 1 20); do echo -n "rep$i, "; done
  echo "]"
  echo "rules:"
  echo "  - { id: all, target: { team: all } }"
}

python3 - "$N" "$PARTS" "$WORK" <<'EOF'
import json, sys
n, parts, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
countries = ["DE", "AT", "GB", "FR", "IE", "ES"]
products = ["insights", "automation", "analytics"]
files = [open(f"{work}/leads-{p}.jsonl", "w") for p in range(parts)]
for i in range(n):
    files[i % parts].write(json.dumps({
        "id": f"m-{i}", "email": f"buyer{i}@company{i % 50000}.example",
        "full_name": "Alex Example", "company_name": f"Company {i % 50000} GmbH",
        "company_domain": f"company{i % 50000}.example",
        "country_code": countries[i % 6], "postal_code": str(10000 + i % 89999),
        "language": "en", "product_interests": [products[i % 3]],
        "score": i % 101, "stage": "STAGE_SQL", "source": "webinar",
        "industry": "software", "employee_count": 50 + i % 5000,
        "attributes": {"utm_campaign": "q4-launch"}}) + "\n")
for f in files:
    f.close()
EOF

start() {  # starts leadrouterd on $1 (data dir) with $2 (config); sets PID
  "$BIN/server/leadrouterd" --config="$2" --data_dir="$1" \
    --listen=127.0.0.1:${PORT} --metrics_listen=127.0.0.1:$((PORT + 1)) \
    2>"$WORK/log" &
  PID=$!
  until grep -q '"serving"' "$WORK/log" 2>/dev/null; do
    kill -0 $PID 2>/dev/null || { cat "$WORK/log"; exit 1; }
    sleep 0.01
  done
}

stop() { kill -TERM $PID; wait $PID || true; }

for shape in $SHAPES; do
  data="$WORK/data-$shape"
  if [ "$shape" = open ]; then config 100000 > "$WORK/$shape.yaml"; else config 25 > "$WORK/$shape.yaml"; fi
  fill_start=$(date +%s.%N)
  start "$data" "$WORK/$shape.yaml"
  for p in $(seq 0 $((PARTS - 1))); do
    "$BIN/client/leadctl" --server=127.0.0.1:${PORT} import "$WORK/leads-$p.jsonl" \
      > "$WORK/import-$p.out" 2>&1 &
  done
  wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
  fill_end=$(date +%s.%N)
  stop
  bytes=$(du -sb "$data" | cut -f1)

  t0=$(date +%s.%N)
  start "$data" "$WORK/$shape.yaml"
  "$BIN/client/leadctl" --server=127.0.0.1:${PORT} --timeout=60s route \
    --id="probe-$shape" --country=DE >/dev/null
  t1=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
  queued=$("$BIN/client/leadctl" --server=127.0.0.1:${PORT} queues | awk '$1 == "team/all" {print $3}')
  # Every lead stored: open ones plus waiting ones, from the gauges.
  stored=$(python3 -c "
import urllib.request
total = 0
for line in urllib.request.urlopen('http://127.0.0.1:$((PORT + 1))/metrics').read().decode().splitlines():
    if line.startswith(('leadrouter_open_assignments{', 'leadrouter_queue_depth{')):
        total += float(line.split()[-1])
print(int(total))")
  stop
  awk -v shape="$shape" -v n="$N" -v stored="$stored" -v queued="${queued:-0}" \
      -v fill="$(awk -v a="$fill_start" -v b="$fill_end" 'BEGIN {print b - a}')" \
      -v bytes="$bytes" -v restart="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
      -v rss="$rss" -v hwm="$hwm" 'BEGIN {
    printf "%-7s %9d leads (%d stored, %d waiting) filled in %.0f s | disk %d MB = %d bytes/lead | restart to first route %.2f s | RSS %d MB (peak %d MB)\n",
      shape, n, stored, queued, fill, bytes / 1e6, bytes / n, restart, rss / 1024, hwm / 1024 }'
done
