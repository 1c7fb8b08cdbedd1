#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: `scripts/with-postgres.sh pytest -q`.
# The server lives in a temporary folder on a free port and is removed afterwards; the
# command sees its URL in TEST_POSTGRES_URL. Installs PostgreSQL from Debian if missing.
set -euo pipefail

find_bin() {
    command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | tail -n 1
}
if [ -z "$(find_bin initdb)" ]; then
    echo "PostgreSQL is not installed: installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
    chown postgres "$dir"
    as_owner=(runuser -u postgres --)
fi
cleanup() {
    "${as_owner[@]}" "$PG_CTL" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

"${as_owner[@]}" "$INITDB" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log"
# Durability is off: the server holds test data only.
"${as_owner[@]}" "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
"${as_owner[@]}" psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE pervichka_test"

export TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/pervichka_test"
"$@"
