#!/usr/bin/env bash
# `make shared` / `make shared-stop`: a local PostgreSQL (the shared store) and two app servers
# on it, as several servers behind a load balancer would run (docs/scale-out.md).
#
#   scripts/shared.sh start   PostgreSQL in $SHARED_DIR (initdb on first use), the database,
#                             migrations + demo data + first admin (python -m lib setup), then
#                             `streamlit run app.py` on $SHARED_PORTS, all on one COLLABDESK_STORE
#   scripts/shared.sh stop    stops the servers and PostgreSQL by their pid files
#
# Settings: SHARED_DIR (data/pg), SHARED_PG_PORT (55432), SHARED_PORTS ("8501 8502").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=$(realpath -m "${SHARED_DIR:-data/pg}")
PG_PORT=${SHARED_PG_PORT:-55432}
PORTS=${SHARED_PORTS:-"8501 8502"}
BIN=${VENV_BIN:-.venv/bin}
STORE="postgresql://postgres@127.0.0.1:${PG_PORT}/collabdesk"

pg_bin() {  # initdb / pg_ctl / psql: on PATH, else Debian's /usr/lib/postgresql/<version>/bin
    if command -v "$1" >/dev/null; then command -v "$1"; return; fi
    local found
    found=$(compgen -G "/usr/lib/postgresql/*/bin/$1" | sort -V | tail -1 || true)
    [ -n "$found" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }
    echo "$found"
}

as_owner() {  # PostgreSQL refuses to run as root: as root, run it as the postgres user
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        as_owner "$(pg_bin initdb)" -D "$DIR/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$DIR/initdb.log"
    fi
    if ! as_owner "$(pg_bin pg_ctl)" -D "$DIR/data" status >/dev/null 2>&1; then
        as_owner "$(pg_bin pg_ctl)" -D "$DIR/data" -l "$DIR/postgres.log" -w start \
            -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1"
    fi
    "$(pg_bin psql)" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'collabdesk'" | grep -q 1 ||
        "$(pg_bin psql)" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE collabdesk"
    COLLABDESK_STORE=$STORE "$BIN/python" -m lib setup
    for port in $PORTS; do
        if [ -f "$DIR/app-$port.pid" ] && kill -0 "$(cat "$DIR/app-$port.pid")" 2>/dev/null; then
            echo "app server on port $port is already running"; continue
        fi
        COLLABDESK_STORE=$STORE nohup "$BIN/streamlit" run "$ROOT/app.py" --server.port "$port" \
            --server.headless true --browser.gatherUsageStats false \
            >"$DIR/app-$port.log" 2>&1 &
        echo $! >"$DIR/app-$port.pid"
    done
    for port in $PORTS; do  # a port someone else holds: streamlit exits, and says so
        for _ in $(seq 30); do
            grep -q "Local URL" "$DIR/app-$port.log" 2>/dev/null && break
            kill -0 "$(cat "$DIR/app-$port.pid")" 2>/dev/null || break
            sleep 1
        done
        if ! kill -0 "$(cat "$DIR/app-$port.pid")" 2>/dev/null; then
            echo "app server on port $port did not start: $(tail -2 "$DIR/app-$port.log")" >&2
            rm -f "$DIR/app-$port.pid"; exit 1
        fi
        echo "app server: http://127.0.0.1:$port (log $DIR/app-$port.log)"
    done
    echo "shared store: $STORE; stop everything with: make shared-stop"
}

stop() {
    for pidfile in "$DIR"/app-*.pid; do
        [ -f "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
    if [ -f "$DIR/data/PG_VERSION" ]; then
        as_owner "$(pg_bin pg_ctl)" -D "$DIR/data" -m fast stop 2>/dev/null || true
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
