"""Read config/tickers/<universe>.txt and sync them with pipeline.sync_universe.

One EODHD code per line (AAPL.US), `#` starts a comment, blank lines are ignored.
What a well-formed code is, is the database's rule: market.is_valid_ticker, the check constraint
of market.assets. The file check asks it for every code of every file in one query
(malformed_codes); the allowed exchanges come from market.universes. A bad line is an error
naming the file, the line number and the code, never silently skipped, and nothing is synced
while any file has one.
A file without any code would deactivate its whole universe: syncing it is an error unless
allow_empty (`sync-universe --allow-empty`) says that is meant.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from fetcher import sql

EXAMPLE = "expected SYMBOL.EXCHANGE, e.g. AAPL.US"


class UniverseFileError(ValueError):
    """A universe file (or directory) cannot be synced: a malformed line, a missing or empty file."""


@dataclass(frozen=True)
class UniverseFile:
    universe: str
    path: Path
    tickers: list[str]


def read_codes(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line holding a code: `#` starts a comment, blank lines are skipped."""
    codes = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            codes.append((lineno, line))
    return codes


def malformed_codes(conn: psycopg.Connection, codes: Iterable[str]) -> set[str]:
    """The codes market.is_valid_ticker refuses, all asked in one query: the database owns the rule.

    (A text with a NUL character cannot be sent as text at all: it is malformed without asking.)
    """
    unique = set(codes)
    sendable = sorted(c for c in unique if "\x00" not in c)
    with conn.cursor() as cur:
        cur.execute(sql.MALFORMED_CODES, (sendable,))
        return set(cur.fetchone()[0]) | (unique - set(sendable))


def file_problems(
    path: Path,
    codes: list[tuple[int, str]],
    allowed_exchanges: set[str] | None,
    malformed: Collection[str] = (),
) -> list[str]:
    """Every bad line of one file as `path:line: ...`: a code in `malformed`, one on an exchange
    not in allowed_exchanges, a duplicate."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, code in codes:
        if code in malformed:
            problems.append(f"{path}:{lineno}: malformed EODHD code {code!r} ({EXAMPLE})")
            continue
        exchange = code.rpartition(".")[2] if "." in code else ""
        if allowed_exchanges is not None and exchange not in allowed_exchanges:
            problems.append(
                f"{path}:{lineno}: {code!r} is on exchange {exchange or '(none)'}, "
                f"not one of {', '.join(sorted(allowed_exchanges))} allowed in {path.name}"
            )
            continue
        if code in seen:
            problems.append(f"{path}:{lineno}: duplicate code {code!r} (first on line {seen[code]})")
            continue
        seen[code] = lineno
    return problems


def parse_universe_file(
    path: Path, allowed_exchanges: set[str] | None = None, conn: psycopg.Connection | None = None
) -> UniverseFile:
    """Parse one file; raise UniverseFileError listing every bad line as path:line.

    With conn, the database judges each code (malformed_codes); without, only exchanges and
    duplicates are checked (a file read back after refresh-universe wrote it).
    """
    codes = read_codes(path)
    malformed = malformed_codes(conn, (c for _, c in codes)) if conn is not None else set()
    problems = file_problems(path, codes, allowed_exchanges, malformed)
    if problems:
        raise UniverseFileError("\n".join(problems))
    return UniverseFile(universe=path.stem, path=path, tickers=[c for _, c in codes])


def universe_exchanges(conn: psycopg.Connection) -> dict[str, set[str]]:
    with conn.cursor() as cur:
        cur.execute(sql.UNIVERSE_EXCHANGES)
        return {u: set(codes) for u, codes in cur.fetchall()}


def check_universe_dir(directory: Path) -> None:
    """A missing directory (or a file in its place) is an error naming it, never an empty universe."""
    if not directory.exists():
        raise UniverseFileError(f"universe directory {directory} does not exist")
    if not directory.is_dir():
        raise UniverseFileError(f"universe directory {directory} is not a directory")


def read_universe_dir(
    conn: psycopg.Connection, directory: Path, allowed: dict[str, set[str]] | None = None
) -> list[UniverseFile]:
    """Parse every <universe>.txt of the directory and check it against the database: unknown
    file names, malformed codes (every file's codes in one query), codes of another exchange and
    duplicates are errors, all of them listed in one UniverseFileError.

    allowed: the exchanges of each universe (default: read from market.universes).
    """
    check_universe_dir(directory)
    if allowed is None:
        allowed = universe_exchanges(conn)
    problems: list[str] = []
    found: dict[Path, list[tuple[int, str]]] = {}
    for path in sorted(directory.glob("*.txt")):
        if path.stem not in allowed:
            problems.append(f"{path}: no universe named {path.stem!r} in market.universes")
            continue
        found[path] = read_codes(path)
    malformed = malformed_codes(conn, (code for codes in found.values() for _, code in codes))
    files: list[UniverseFile] = []
    for path, codes in found.items():
        problems += file_problems(path, codes, allowed[path.stem], malformed)
        files.append(UniverseFile(universe=path.stem, path=path, tickers=[c for _, c in codes]))
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
            cur.execute(sql.COUNT_ACTIVE_ASSETS, (f.universe,))
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
    files = read_universe_dir(conn, directory, allowed)
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
            cur.execute(sql.SYNC_UNIVERSE, (f.universe, f.tickers, as_of, allow_empty))
            value = cur.fetchone()[0]
            results[f.universe] = value if isinstance(value, dict) else json.loads(value)
    return results
