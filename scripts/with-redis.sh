#!/usr/bin/env bash
# Run a command against a throwaway Redis server: `scripts/with-redis.sh pytest -q`.
# The server listens on 127.0.0.1 on a free port, keeps nothing on disk and is removed
# afterwards; the command sees its URL in TEST_REDIS_URL. Installs Redis from Debian if
# missing. Composes with scripts/with-postgres.sh (either may wrap the other).
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not installed: installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=""
cleanup() {
    if [ -n "$server" ]; then  # a child of this script, so it is reaped here, not left a zombie
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true  # it has nothing to save and stops at once
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# No persistence: no RDB snapshots, no append-only file; test data only.
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --daemonize no --logfile "$dir/server.log" --protected-mode yes &
server=$!
for _ in $(seq 100); do  # up to 10 s for it to answer
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
    sleep 0.1
done
if ! redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
    echo "Redis did not start; its log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
fi

export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
"$@"
