#!/usr/bin/env bash
# Everything `make test` and `make demo` need on a fresh machine: Debian packages for
# pgTAP and pg_prove (when root and missing) and the virtual environment with pinned
# versions (re-installed only when requirements change).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need_pkgs=()
command -v pg_prove >/dev/null 2>&1 || need_pkgs+=(libtap-parser-sourcehandler-pgtap-perl)
pg_share="$(pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/15)"
ls /usr/share/postgresql/*/extension/pgtap.control >/dev/null 2>&1 || need_pkgs+=(postgresql-15-pgtap)
command -v psql >/dev/null 2>&1 || need_pkgs+=(postgresql-client-15)
if (( ${#need_pkgs[@]} )); then
  if [[ "$(id -u)" == "0" ]]; then
    echo "setup: installing Debian packages: ${need_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: missing packages ${need_pkgs[*]}; install them (sudo apt-get install ...)" >&2
    exit 1
  fi
fi

stamp=".venv/.requirements-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: creating the virtual environment (.venv) with pinned requirements"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r requirements-dev.txt
  rm -f .venv/.requirements-*
  touch "$stamp"
fi
# the postgres user runs the embedded cluster and must read the checkout
if [[ "$(id -u)" == "0" ]]; then chmod o+rx "$ROOT" 2>/dev/null || true; fi
