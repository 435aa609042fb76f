#!/usr/bin/env bash
# The one migration entry point (production, tests, demo):
#   1. applies each numbered migration db/NNNN_*.sql once, in order, each in one transaction
#      together with its row in pipeline.schema_migrations (file name + sha256 checksum);
#      a landed migration whose file changed afterwards is refused;
#   2. re-applies every file of db/functions/, db/aggregates/ and then db/views/ (desired state,
#      `create or replace`), one transaction per file. A function whose result is a view's row
#      lives in db/views/ as db/views/<schema>.<name>.sql (one object per file, named after it):
#      it is dropped before the views are re-applied (a materialized view's file drops and
#      re-creates its view) and created after all of them;
#   3. applies db/grants.sql: who may execute and read what (desired state).
# Idempotent: a second run on a migrated database changes nothing.
#   usage: DATABASE_URL=postgresql://... db/migrate.sh
set -euo pipefail

DB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${DATABASE_URL:?DATABASE_URL must name the database to migrate}"
QUIET="${MIGRATE_QUIET:-}"

say() { [[ -n "$QUIET" ]] || echo "migrate: $*"; }
run_psql() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

run_psql -c "create schema if not exists pipeline" \
  -c "create table if not exists pipeline.schema_migrations (
        filename text constraint schema_migrations_pkey primary key,
        checksum text not null,
        applied_at timestamptz not null default clock_timestamp())" \
  -c "comment on table pipeline.schema_migrations is
        'Numbered migrations applied by db/migrate.sh, with the sha256 of each file as applied.'"

declare -A LANDED=()
while IFS='|' read -r name sum; do
  [[ -n "$name" ]] && LANDED["$name"]="$sum"
done < <(run_psql -tA -F '|' -c "select filename, checksum from pipeline.schema_migrations")

applied=0
for file in "$DB_DIR"/[0-9][0-9][0-9][0-9]_*.sql; do
  [[ -e "$file" ]] || continue
  name="$(basename "$file")"
  sum="$(sha256sum "$file" | cut -d' ' -f1)"
  if [[ -n "${LANDED[$name]:-}" ]]; then
    if [[ "${LANDED[$name]}" != "$sum" ]]; then
      echo "migrate: refusing to continue: landed migration $name was edited after it was applied" >&2
      echo "migrate: (recorded sha256 ${LANDED[$name]}, file now $sum); add a new migration instead" >&2
      exit 3
    fi
    continue
  fi
  say "applying $name"
  run_psql --single-transaction \
    -c "lock table pipeline.schema_migrations in exclusive mode" \
    -f "$file" \
    -c "insert into pipeline.schema_migrations (filename, checksum) values ('$name', '$sum')"
  applied=$((applied + 1))
done

# A file of db/views/ that creates a function (e.g. market.run_screen, which returns rows of
# market.screener_latest): dropped first by its file name, created after every view.
creates_function() { grep -qiE '^create (or replace )?function' "$1"; }
view_functions=()
views=()
for file in "$DB_DIR"/views/*.sql; do
  [[ -e "$file" ]] || continue
  if creates_function "$file"; then
    view_functions+=("$file")
    run_psql -c "drop function if exists $(basename "$file" .sql)"
  else
    views+=("$file")
  fi
done

# Function bodies may call functions defined in later files: check them at run time.
reapplied=0
for file in "$DB_DIR"/functions/*.sql "$DB_DIR"/aggregates/*.sql "${views[@]}" "${view_functions[@]}"; do
  [[ -e "$file" ]] || continue
  PGOPTIONS="-c check_function_bodies=off" run_psql --single-transaction -f "$file"
  reapplied=$((reapplied + 1))
done
# Privileges last, on everything the files above created (desired state, see the file).
run_psql --single-transaction -f "$DB_DIR/grants.sql"
say "$applied migration(s) applied, $reapplied function/aggregate/view file(s) re-applied, grants applied"
