#!/bin/sh
# Like with_leadrouterd.sh, but secure: makes a CA and a server certificate
# with openssl, an auth file whose one principal ("example", role router)
# has a fresh random token, starts leadrouterd with TLS and that file, and
# runs the command with LEADROUTER_ADDRESS, LEADROUTER_CA and
# LEADROUTER_TOKEN set.
#   with_secure_leadrouterd.sh LEADROUTERD SOURCE_DIR WORK_DIR COMMAND...
set -u
leadrouterd=$1 source_dir=$2 work=$3
shift 3
rm -rf "$work" && mkdir -p "$work"
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 1 -subj /CN=example-ca -keyout "$work/ca.key" -out "$work/ca.pem"
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj /CN=leadrouterd -keyout "$work/server.key" -out "$work/server.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/server.ext"
q openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" \
  -CAkey "$work/ca.key" -CAcreateserial -days 1 -sha256 \
  -extfile "$work/server.ext" -out "$work/server.pem"
LEADROUTER_TOKEN=$(openssl rand -hex 32)
digest=$(printf '%s' "$LEADROUTER_TOKEN" | sha256sum | cut -d' ' -f1)
printf 'principals:\n  - name: example\n    token_sha256: %s\n    roles: [router]\n' \
  "$digest" > "$work/auth.yaml"
"$leadrouterd" --config="$source_dir/deploy/config/example.yaml" \
  --data_dir="$work/data" --listen=127.0.0.1:0 --metrics_listen= \
  --tls_cert="$work/server.pem" --tls_key="$work/server.key" \
  --auth_config="$work/auth.yaml" 2> "$work/leadrouterd.log" &
pid=$!
LEADROUTER_ADDRESS=
for _ in $(seq 100); do
  LEADROUTER_ADDRESS=$(grep '"event":"serving"' "$work/leadrouterd.log" |
                       grep -o '"address":"[^"]*"' | head -1 | cut -d'"' -f4)
  [ -n "$LEADROUTER_ADDRESS" ] && break
  sleep 0.1
done
if [ -z "$LEADROUTER_ADDRESS" ]; then
  echo "leadrouterd did not start:" >&2; cat "$work/leadrouterd.log" >&2
  kill -KILL $pid 2>/dev/null; exit 1
fi
LEADROUTER_CA="$work/ca.pem"
export LEADROUTER_ADDRESS LEADROUTER_CA LEADROUTER_TOKEN
"$@"
rc=$?
kill -TERM $pid && wait $pid
# The token never reaches the log.
if grep -q "$LEADROUTER_TOKEN" "$work/leadrouterd.log"; then
  echo "the token is in the log" >&2; rc=1
fi
exit $rc
