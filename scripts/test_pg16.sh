#!/usr/bin/env bash
# make test-pg16: the SQL suite (migrations twice + pgTAP) on PostgreSQL 16, production's
# version, on a machine whose system PostgreSQL is 15. PostgreSQL 16 binaries come from the
# `pgserver` wheel (in its own venv, .pg16/venv); pgTAP's files are copied from the system
# package into it. The cluster lives in .pg16/ beside the 15 one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.pg16/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "pg16: installing PostgreSQL 16 binaries (pgserver wheel)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pgserver==0.1.4
fi
PGI="$(ls -d "$VENV"/lib/python3*/site-packages/pgserver/pginstall)"
ext_src="$(ls -d /usr/share/postgresql/*/extension | head -1)"
cp -n "$ext_src"/pgtap* "$PGI/share/postgresql/extension/" 2>/dev/null || true
# the postgres user runs the binaries: it must read the venv (never the cluster's data dir,
# which PostgreSQL wants private)
chmod o+rx "$ROOT/.pg16" && chmod -R o+rX "$VENV"
[[ -d "$ROOT/.pg16/cluster/data" ]] && chmod 700 "$ROOT/.pg16/cluster/data"
export PG_BIN="$PGI/bin" SCREENER_PG_DIR="$ROOT/.pg16/cluster"
scripts/db.sh start
URL="$(scripts/db.sh url)"
TEST_URL="$(.venv/bin/python scripts/dburl.py "$URL" screener_test)"
psql -X -q -v ON_ERROR_STOP=1 "$URL" -tAc "select version()"
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "drop database if exists screener_test with (force)" -c "create database screener_test"
DATABASE_URL="$TEST_URL" db/migrate.sh
DATABASE_URL="$TEST_URL" db/migrate.sh
psql -X -q -v ON_ERROR_STOP=1 "$TEST_URL" -c "create extension if not exists pgtap" -c "set client_min_messages = warning" \
  $(for f in db/tests/helpers/*.sql; do printf -- '-f %s ' "$f"; done)
find db/tests -name "*.sql" -not -path "db/tests/helpers/*" | sort | xargs pg_prove --dbname "$TEST_URL" --failures
scripts/db.sh stop
