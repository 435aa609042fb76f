#!/usr/bin/env bash
# The project's embedded PostgreSQL cluster: data directory inside the checkout (.pg/),
# a loopback port and a socket directory of its own, run as the `postgres` user when
# invoked as root. Two checkouts on one machine get different ports.
#
#   scripts/db.sh start   start (or keep) the cluster and wait until it accepts connections
#   scripts/db.sh stop    stop it
#   scripts/db.sh restart stop (fast: sessions are cut) and start again
#   scripts/db.sh url     print the DATABASE_URL of the project database
#   scripts/db.sh status  say whether it runs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGDIR="${SCREENER_PG_DIR:-$ROOT/.pg}"
DATA="$PGDIR/data"
DBNAME="${SCREENER_DB_NAME:-screener}"

# PostgreSQL binaries: PG_BIN wins, else the newest Debian server, else whatever is on PATH.
if [[ -z "${PG_BIN:-}" ]]; then
  for v in 16 15; do
    if [[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]]; then PG_BIN="/usr/lib/postgresql/$v/bin"; break; fi
  done
fi
PG_BIN="${PG_BIN:-$(dirname "$(command -v pg_ctl)")}"

as_pg() {
  if [[ "$(id -u)" == "0" ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The socket path must stay under the kernel's 107-byte limit: fall back to /tmp.
socket_dir() {
  local d="$PGDIR/run"
  if (( ${#d} > 80 )); then d="/tmp/screener-pg-$(printf '%s' "$PGDIR" | cksum | cut -d' ' -f1)"; fi
  printf '%s' "$d"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0 || return 1
}

# The port is chosen once per checkout (a hash of its path, then the next free one) and
# remembered in .pg/port, so every later command finds the same cluster.
choose_port() {
  if [[ -f "$PGDIR/port" ]]; then cat "$PGDIR/port"; return; fi
  local p=$(( 20000 + $(printf '%s' "$PGDIR" | cksum | cut -d' ' -f1) % 20000 ))
  while port_in_use "$p"; do p=$(( p + 1 )); done
  mkdir -p "$PGDIR"
  echo "$p" > "$PGDIR/port"
  echo "$p"
}

url() {
  local port; port="$(choose_port)"
  echo "postgresql://postgres@127.0.0.1:$port/$DBNAME"
}

is_running() {
  [[ -f "$DATA/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# As root the cluster runs as `postgres`, which must be able to reach the data directory:
# give traverse-only permission (o+x, no listing) to every ancestor that withholds it, e.g. a
# checkout inside a private `mktemp -d` directory.
let_postgres_reach() {
  local d="$1"
  while [[ "$d" != "/" && -n "$d" ]]; do
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      chmod o+x "$d"
      echo "db: gave the postgres user traverse permission on $d"
    fi
    d="$(dirname "$d")"
  done
}

start() {
  local port sock; port="$(choose_port)"; sock="$(socket_dir)"
  mkdir -p "$PGDIR" "$sock"
  if [[ "$(id -u)" == "0" ]]; then
    chown postgres "$PGDIR" "$sock"
    let_postgres_reach "$PGDIR"
    let_postgres_reach "$sock"
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    echo "db: initialising cluster in $DATA ($("$PG_BIN/postgres" --version))"
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$DATA/postgresql.conf" <<EOF
# project settings (scripts/db.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
timezone = 'UTC'
log_min_messages = warning
EOF
  fi
  if is_running; then
    echo "db: already running on 127.0.0.1:$port"
  else
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$PGDIR/server.log" -w -t 60 start >/dev/null
    echo "db: started on 127.0.0.1:$port"
  fi
  for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.5
  done
  if ! psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "select 1 from pg_database where datname = '$DBNAME'" | grep -q 1; then
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database $DBNAME"
    echo "db: created database $DBNAME"
  fi
}

stop() {
  if is_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "db: stopped"
  else
    echo "db: not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  url) url ;;
  status) if is_running; then echo "db: running on port $(choose_port)"; else echo "db: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
