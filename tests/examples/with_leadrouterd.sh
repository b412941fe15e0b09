#!/bin/sh
# Starts leadrouterd on the example config and a free port, runs the given
# command with LEADROUTER_ADDRESS set to it, stops leadrouterd, and exits
# with the command's code.
#   with_leadrouterd.sh LEADROUTERD SOURCE_DIR WORK_DIR COMMAND...
set -u
leadrouterd=$1 source_dir=$2 work=$3
shift 3
rm -rf "$work" && mkdir -p "$work"
"$leadrouterd" --config="$source_dir/deploy/config/example.yaml" \
  --data_dir="$work/data" --listen=127.0.0.1:0 --metrics_listen= \
  2> "$work/leadrouterd.log" &
pid=$!
LEADROUTER_ADDRESS=
for _ in $(seq 100); do
  LEADROUTER_ADDRESS=$(grep -o '"address":"[^"]*"' "$work/leadrouterd.log" |
                       head -1 | cut -d'"' -f4)
  [ -n "$LEADROUTER_ADDRESS" ] && break
  sleep 0.1
done
if [ -z "$LEADROUTER_ADDRESS" ]; then
  echo "leadrouterd did not start:" >&2; cat "$work/leadrouterd.log" >&2
  kill -KILL $pid 2>/dev/null; exit 1
fi
export LEADROUTER_ADDRESS
"$@"
rc=$?
kill -TERM $pid && wait $pid
exit $rc
