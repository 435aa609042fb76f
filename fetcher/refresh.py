"""python -m fetcher refresh-universe: rewrite config/tickers/ from /exchange-symbol-list.

One call per EODHD exchange (its price read from pipeline.endpoints), every call landed in the ledger
(raw.land_response, with --execution-id or none). Which exchanges feed which file comes from
market.universes: US is split into nyse.txt and nasdaq.txt by the listing's `Exchange` field
(NYSE, NYSE ARCA, NYSE MKT, AMEX -> nyse; NASDAQ* -> nasdaq; OTC and other venues are left
out), euronext.txt takes PA, AS, BR and LS. Only the instrument types asked for are kept
(default Common Stock, ETF, FUND). A file keeps its header comment; codes of exchanges not
refreshed in this call are kept as they were. A file is never replaced by an empty list, and
an exchange whose call failed leaves its files untouched. Review the diff, then sync-universe.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from fetcher import sql
from fetcher.client import Attempt, EodhdClient, Stopped, install_log_redaction
from fetcher.config import TICKERS_DIR, Config, redact
from fetcher.db import connect
from fetcher.ratelimit import RateLimiter
from fetcher.run import LIMIT_HEADROOM
from fetcher.universe import malformed_codes

log = logging.getLogger("fetcher.refresh")

DEFAULT_TYPES = ("Common Stock", "ETF", "FUND")
ENDPOINT = "exchange-symbol-list"
REFRESHED_MARK = "# Refreshed from EODHD"
# the universes refreshed by default: the bond universe is a hand-kept list of yields
DEFAULT_SKIP = frozenset({"bonds"})


class RefreshError(Exception):
    """An exchange list could not be fetched or read."""


@dataclass(frozen=True)
class Universe:
    name: str
    exchange_codes: tuple[str, ...]
    listing_venue: str | None


def venue_universe(exchange_field: str | None) -> str | None:
    """nyse, nasdaq or None (other US venues) for the Exchange field of a US listing."""
    venue = (exchange_field or "").strip().upper()
    if venue.startswith("NYSE") or venue in ("AMEX", "NYSE AMERICAN"):
        return "nyse"
    if venue.startswith("NASDAQ"):
        return "nasdaq"
    return None


def parse_listing(exchange: str, body: str | None) -> list[dict]:
    """The rows of one exchange-symbol-list answer; RefreshError when it is not that shape."""
    try:
        rows = json.loads(body or "")
    except ValueError as exc:
        raise RefreshError(f"{exchange}: the symbol list is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "Code" in r for r in rows):
        raise RefreshError(f"{exchange}: the symbol list is not an array of {{Code, Type, Exchange, ...}}")
    return rows


def listing_code(row: dict, exchange: str) -> str:
    """The EODHD code of one row of an exchange's symbol list."""
    return f"{str(row['Code']).strip().upper()}.{exchange}"


def select_codes(
    universe: Universe, exchange: str, rows: list[dict], types: set[str], malformed: set[str]
) -> tuple[list[str], int]:
    """Codes of one exchange for one universe; returns (codes, rows dropped as malformed).
    `malformed`: the codes market.is_valid_ticker refuses (fetcher.universe.malformed_codes)."""
    codes: list[str] = []
    dropped = 0
    for row in rows:
        if str(row.get("Type") or "").strip() not in types:
            continue
        if exchange == "US" and universe.listing_venue and venue_universe(row.get("Exchange")) != universe.name:
            continue
        code = listing_code(row, exchange)
        if code in malformed:
            dropped += 1
            continue
        codes.append(code)
    return codes, dropped


def read_header_and_codes(path: Path) -> tuple[list[str], list[str]]:
    """Leading comment lines (without an earlier refresh mark) and the codes of a file."""
    if not path.exists():
        return [], []
    header: list[str] = []
    codes: list[str] = []
    in_header = True
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if in_header and line.startswith("#"):
            if not line.startswith(REFRESHED_MARK):
                header.append(raw.rstrip())
            continue
        in_header = False
        code = line.split("#", 1)[0].strip()
        if code:
            codes.append(code)
    return header, codes


def write_universe_file(path: Path, header: list[str], note: str, codes: list[str]) -> None:
    text = "\n".join([*header, note, *codes]) + "\n"
    tmp = path.with_suffix(".txt.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_universes(conn: psycopg.Connection) -> list[Universe]:
    with conn.cursor() as cur:
        cur.execute(sql.UNIVERSES)
        return [Universe(u, tuple(codes), venue) for u, codes, venue in cur.fetchall()]


def endpoint_price(conn: psycopg.Connection, endpoint: str) -> int:
    """API calls one served request of the endpoint costs (pipeline.endpoints)."""
    with conn.cursor() as cur:
        cur.execute(sql.ENDPOINT_COST, (endpoint,))
        row = cur.fetchone()
    if row is None:
        raise RefreshError(f"endpoint {endpoint} has no price in pipeline.endpoints (migration 0015)")
    return int(row[0])


def land(conn: psycopg.Connection, execution_id: int | None, worker: str, a: Attempt) -> None:
    with conn.cursor() as cur:
        cur.execute(
            sql.LAND,
            (
                execution_id,
                a.endpoint,
                None,
                a.code,
                Jsonb(a.params),
                a.status,
                a.body,
                a.received_at,
                a.cost,
                a.duration_ms,
                worker,
                a.error,
            ),
        )


def refresh_universe(
    conn: psycopg.Connection,
    client: EodhdClient,
    directory: Path,
    *,
    exchanges: list[str] | None = None,
    types: tuple[str, ...] = DEFAULT_TYPES,
    execution_id: int | None = None,
    worker: str = "refresh-universe",
    today: dt.date | None = None,
) -> dict:
    """Fetch the lists and rewrite the files; returns a summary per universe and the errors."""
    universes = load_universes(conn)
    if exchanges:
        wanted = {e.upper() for e in exchanges}
        known = {e for u in universes for e in u.exchange_codes}
        unknown = sorted(wanted - known)
        if unknown:
            raise RefreshError(f"unknown exchange code(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        targets = [u for u in universes if wanted & set(u.exchange_codes)]
    else:
        wanted = None
        targets = [u for u in universes if u.name not in DEFAULT_SKIP]
    to_fetch = sorted({e for u in targets for e in u.exchange_codes if wanted is None or e in wanted})

    price = endpoint_price(conn, ENDPOINT)
    lists: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for exchange in to_fetch:
        try:
            a = client.get(ENDPOINT, exchange, {}, on_retry=lambda r: land(conn, execution_id, worker, r), cost=price)
        except Stopped as stop:
            errors[exchange] = f"not fetched: {stop}"
            continue
        land(conn, execution_id, worker, a)
        if not a.ok:
            errors[exchange] = a.error or f"HTTP {a.status}"
            continue
        try:
            lists[exchange] = parse_listing(exchange, a.body)
        except RefreshError as exc:
            errors[exchange] = str(exc)
        log.info("%s: %d listings", exchange, len(lists.get(exchange, [])))

    type_set = set(types)
    refused = malformed_codes(conn, (listing_code(r, e) for e, rows in lists.items() for r in rows))
    day = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    summary: dict = {"universes": {}, "errors": errors, "calls": len(to_fetch)}
    for universe in targets:
        mine = [e for e in universe.exchange_codes if wanted is None or e in wanted]
        if any(e not in lists for e in mine):
            summary["universes"][universe.name] = {"written": False, "reason": "an exchange list is missing"}
            continue
        path = directory / f"{universe.name}.txt"
        header, old_codes = read_header_and_codes(path)
        kept = [c for c in old_codes if c.rsplit(".", 1)[-1] not in mine]
        fetched: list[str] = []
        malformed = 0
        for exchange in mine:
            codes, bad = select_codes(universe, exchange, lists[exchange], type_set, refused)
            fetched += codes
            malformed += bad
        new_codes = sorted(set(kept) | set(fetched))
        if not fetched:
            summary["universes"][universe.name] = {"written": False, "reason": "no listing of the requested types"}
            errors.setdefault(universe.name, f"{universe.name}: no listing of types {', '.join(types)}; file kept")
            continue
        note = (
            f"{REFRESHED_MARK} exchange-symbol-list ({', '.join(mine)}) on {day}:"
            f" {len(new_codes)} codes, types {', '.join(types)}."
        )
        write_universe_file(
            path, header or [f"# {universe.name}: one EODHD code per line (SYMBOL.EXCHANGE)"], note, new_codes
        )
        old = set(old_codes)
        summary["universes"][universe.name] = {
            "written": True,
            "codes": len(new_codes),
            "added": len(set(new_codes) - old),
            "removed": len(old - set(new_codes)),
            "malformed_skipped": malformed,
        }
    return summary


def cmd_refresh_universe(args: argparse.Namespace, config: Config) -> int:
    install_log_redaction(config.api_token)
    exchanges = [e for item in (args.exchange or []) for e in item.split(",") if e.strip()]
    types = tuple(t.strip() for t in args.types.split(",") if t.strip())
    limit = max(1, int(config.rate_limit_per_minute * LIMIT_HEADROOM))
    client = EodhdClient(base_url=config.base_url, token=config.api_token, limiter=RateLimiter(limit))
    try:
        with connect(config.database_url) as conn:
            summary = refresh_universe(
                conn, client, args.dir, exchanges=exchanges or None, types=types, execution_id=args.execution_id
            )
    finally:
        client.close()
    print(json.dumps(summary, sort_keys=True))
    for name, error in summary["errors"].items():
        log.error("refresh-universe %s: %s", name, redact(error, config.api_token))
    if client.stop_reason and client.stop_reason.startswith("configuration"):
        return 2
    return 1 if summary["errors"] else 0


def register(subparsers) -> None:
    p = subparsers.add_parser("refresh-universe", help="rewrite config/tickers/ from EODHD exchange-symbol-list")
    p.add_argument("--exchange", action="append", help="only this EODHD exchange code (repeatable or comma list)")
    p.add_argument(
        "--types", default=",".join(DEFAULT_TYPES), help='instrument types (default "Common Stock,ETF,FUND")'
    )
    p.add_argument("--dir", type=Path, default=TICKERS_DIR, help="the universe directory (default config/tickers)")
    p.add_argument("--execution-id", type=int, dest="execution_id", help="execution to charge the calls to")
    p.set_defaults(func=cmd_refresh_universe, needs_token=True)
