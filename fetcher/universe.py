"""Read config/tickers/<universe>.txt and sync them with pipeline.sync_universe.

One EODHD code per line (AAPL.US), `#` starts a comment, blank lines are ignored.
A malformed line is an error naming the file and line number, never silently skipped.
A file without any code would deactivate its whole universe: syncing it is an error unless
allow_empty (`sync-universe --allow-empty`) says that is meant.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

CODE = re.compile(r"^[A-Z0-9][A-Z0-9&_-]{0,29}\.[A-Z][A-Z0-9]{0,9}$")


class UniverseFileError(ValueError):
    """A universe file (or directory) cannot be synced: a malformed line, a missing or empty file."""


@dataclass(frozen=True)
class UniverseFile:
    universe: str
    path: Path
    tickers: list[str]


def parse_universe_file(path: Path, allowed_exchanges: set[str] | None = None) -> UniverseFile:
    """Parse one file; raise UniverseFileError listing every bad line as path:line."""
    tickers: list[str] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not CODE.match(line):
            problems.append(f"{path}:{lineno}: malformed EODHD code {line!r} (expected SYMBOL.EXCHANGE, e.g. AAPL.US)")
            continue
        exchange = line.rsplit(".", 1)[1]
        if allowed_exchanges is not None and exchange not in allowed_exchanges:
            problems.append(
                f"{path}:{lineno}: {line!r} is on exchange {exchange}, "
                f"not one of {', '.join(sorted(allowed_exchanges))} allowed in {path.name}"
            )
            continue
        if line in seen:
            problems.append(f"{path}:{lineno}: duplicate code {line!r} (first on line {seen[line]})")
            continue
        seen[line] = lineno
        tickers.append(line)
    if problems:
        raise UniverseFileError("\n".join(problems))
    return UniverseFile(universe=path.stem, path=path, tickers=tickers)


def universe_exchanges(conn: psycopg.Connection) -> dict[str, set[str]]:
    with conn.cursor() as cur:
        cur.execute("select universe, exchange_codes from market.universes")
        return {u: set(codes) for u, codes in cur.fetchall()}


def check_universe_dir(directory: Path) -> None:
    """A missing directory (or a file in its place) is an error naming it, never an empty universe."""
    if not directory.exists():
        raise UniverseFileError(f"universe directory {directory} does not exist")
    if not directory.is_dir():
        raise UniverseFileError(f"universe directory {directory} is not a directory")


def read_universe_dir(directory: Path, allowed: dict[str, set[str]]) -> list[UniverseFile]:
    """Parse every <universe>.txt of the directory; unknown file names are errors too."""
    check_universe_dir(directory)
    files: list[UniverseFile] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.txt")):
        if path.stem not in allowed:
            problems.append(f"{path}: no universe named {path.stem!r} in market.universes")
            continue
        try:
            files.append(parse_universe_file(path, allowed[path.stem]))
        except UniverseFileError as exc:
            problems.append(str(exc))
    if problems:
        raise UniverseFileError("\n".join(problems))
    return files


def check_not_empty(conn: psycopg.Connection, files: list[UniverseFile]) -> None:
    """An empty file (no code: blank, or only comments) is an error naming it and what it would do."""
    empty = [f for f in files if not f.tickers]
    if not empty:
        return
    problems = []
    with conn.cursor() as cur:
        for f in empty:
            cur.execute("select count(*) from market.assets where universe = %s and is_active", (f.universe,))
            active = cur.fetchone()[0]
            problems.append(
                f"{f.path}: no EODHD code in the file (empty, or only comments and blank lines); syncing it would"
                f" deactivate all {active} active asset(s) of universe {f.universe!r}."
                " Fix the file, or pass --allow-empty to mean it"
            )
    raise UniverseFileError("\n".join(problems))


def sync_universe(
    conn: psycopg.Connection,
    directory: Path,
    as_of: dt.date,
    only: list[str] | None = None,
    allow_empty: bool = False,
) -> dict[str, dict]:
    """Sync every file (or the universes named) in one transaction; returns counts per universe.

    Nothing to sync is an error, never a silent `{}`: a directory that does not exist, one
    without any <universe>.txt, a universe asked for whose file is missing. An empty file is an
    error too (it would deactivate its universe) unless allow_empty; then nothing is synced.
    """
    check_universe_dir(directory)
    allowed = universe_exchanges(conn)
    if only:
        # the names first: a typo is named as such, before any file is read
        unknown = sorted(set(only) - set(allowed))
        if unknown:
            raise UniverseFileError(
                f"no universe named {', '.join(map(repr, unknown))} in market.universes"
                f" (known: {', '.join(sorted(allowed))})"
            )
    files = read_universe_dir(directory, allowed)
    if only:
        missing = sorted(set(only) - {f.universe for f in files})
        if missing:
            raise UniverseFileError(
                f"missing universe file(s) in {directory}: {', '.join(f'{u}.txt' for u in missing)}"
            )
        files = [f for f in files if f.universe in only]
    elif not files:
        raise UniverseFileError(
            f"no universe files (<universe>.txt) in {directory}; expected one or more of: "
            f"{', '.join(f'{u}.txt' for u in sorted(allowed))}"
        )
    if not allow_empty:
        check_not_empty(conn, files)
    results: dict[str, dict] = {}
    with conn.transaction(), conn.cursor() as cur:
        for f in files:
            cur.execute(
                "select pipeline.sync_universe(%s, %s, %s, p_allow_empty => %s)",
                (f.universe, f.tickers, as_of, allow_empty),
            )
            value = cur.fetchone()[0]
            results[f.universe] = value if isinstance(value, dict) else json.loads(value)
    return results
