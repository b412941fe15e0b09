#!/usr/bin/env bash
# Installs the Debian bookworm packages leadrouter needs to build, run and
# test. As root it installs what is missing with apt-get; as another user it
# prints the command to run and exits 1. Nothing is downloaded at build time.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev libssl-dev libyaml-cpp-dev libsqlite3-dev prometheus-cpp-dev
  libpq-dev             # the shared store's client (PostgreSQL 15's libpq)
  zlib1g-dev            # stored assignments are deflated
  libcsv-dev            # leadctl import reads RFC 4180 CSV
  postgresql-15         # the tests start a throwaway PostgreSQL cluster
  libgtest-dev libgmock-dev libbenchmark-dev tzdata
  prometheus            # the server and promtool, for the test suite
  openssl               # certificates made at test time
  libcpp-httplib-dev    # the HTTP/JSON port (cpp-httplib 0.11)
  curl                  # the HTTP tests drive the port with it
  python3-grpcio python3-protobuf   # the Python example, run by the tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
