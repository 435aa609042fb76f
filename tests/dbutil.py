"""Helpers shared by the pytest suite: database URLs and the migration entry point."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MIGRATE = ROOT / "db" / "migrate.sh"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set: run the tests with `make test` (or export it)")
    return url


def url_for(dbname: str, base: str | None = None) -> str:
    parts = urlsplit(base or server_url())
    return urlunsplit(parts._replace(path="/" + dbname))


def conninfo(host: str, port: int | str, user: str, dbname: str, password: str | None) -> str:
    auth = quote(user) + (":" + quote(password) if password else "")
    return f"postgresql://{auth}@{host}:{port}/{dbname}"


def migrate(url: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the one migration entry point against a database."""
    env = dict(os.environ, DATABASE_URL=url, MIGRATE_QUIET="1")
    return subprocess.run([str(MIGRATE)], env=env, capture_output=True, text=True, check=check)
