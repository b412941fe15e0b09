#!/usr/bin/env bash
# Several replicas on one machine: starts a throwaway PostgreSQL 15 (in a
# temporary directory, on 127.0.0.1, as the `postgres` user when run as
# root, since PostgreSQL refuses root), three leadrouterd replicas on it
# (free ports on 127.0.0.1, printed) with the example config, and routes
# one lead through each with leadctl; then serves until Ctrl-C, and removes
# it all.
#   deploy/replicas-demo.sh            # after building (see README)
#   deploy/replicas-demo.sh --once     # route, then stop (used by the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
once=${1:-}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/leadrouter-replicas-XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$work"
  as_pg=(runuser -u postgres --)
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${as_pg[@]}" "$bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$bin/initdb" -D "$work/pg" -U leadrouter -A trust --no-locale \
  -E UTF8 >/dev/null
# The first port from 55432 on that nothing listens on (and that PostgreSQL
# then gets: another program may take it meanwhile, so try a few).
started=""
for port in $(seq 55432 55531); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  if "${as_pg[@]}" "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
       -o "-p $port -k $work -c listen_addresses=127.0.0.1" start >/dev/null; then
    started=yes
    break
  fi
done
[ -n "$started" ] || { cat "$work/pg.log"; exit 1; }
store="postgresql://leadrouter@127.0.0.1:$port/postgres"
echo "PostgreSQL on 127.0.0.1:$port; store: $store"

address=()
for i in 1 2 3; do
  "$build/server/leadrouterd" --config=deploy/config/example.yaml \
    --store="$store" --listen=127.0.0.1:0 --metrics_listen= \
    2>"$work/leadrouterd-$i.log" &
  pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 300); do
    grep -q '"event":"serving"' "$work/leadrouterd-$i.log" && break
    sleep 0.1
  done
  line=$(grep '"event":"serving"' "$work/leadrouterd-$i.log") || {
    cat "$work/leadrouterd-$i.log"; exit 1; }
  address[$i]=$(sed -E 's/.*"address":"([^"]+)".*/\1/' <<<"$line")
done

for i in 1 2 3; do
  echo "--- replica $i (${address[$i]})"
  "$build/client/leadctl" --server="${address[$i]}" route --id="demo-lead-$i" \
    --country=DE --postal=80331 --products=insights --score=85 --stage=sql \
    --email="buyer@acme-$i.example.com"
done
echo "--- the lead of replica 1, read through replica 3"
"$build/client/leadctl" --server="${address[3]}" get demo-lead-1

if [ "$once" = "--once" ]; then exit 0; fi
echo "Three replicas serve on ${address[1]}, ${address[2]} and ${address[3]}."
echo "Ctrl-C stops them and PostgreSQL, and removes $work."
wait
