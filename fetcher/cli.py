"""Command line: python -m fetcher <command> ...

Each command module registers itself in COMMANDS; this file only parses and dispatches.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from fetcher.config import TICKERS_DIR, Config, ConfigError, redact

log = logging.getLogger("fetcher")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_load_calendars(args: argparse.Namespace, config: Config) -> int:
    from fetcher.calendars import load_calendars
    from fetcher.db import connect

    with connect(config.database_url) as conn:
        counts = load_calendars(conn, start=args.start, end=args.end, exchanges=args.exchange or None)
    print(json.dumps({"sessions": counts}, sort_keys=True))
    return 0


def cmd_sync_universe(args: argparse.Namespace, config: Config) -> int:
    from fetcher.db import connect
    from fetcher.universe import sync_universe

    with connect(config.database_url) as conn:
        result = sync_universe(conn, args.dir, args.as_of, only=args.universe or None)
    print(json.dumps(result, sort_keys=True))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fetcher", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    today = dt.date.today()
    p = sub.add_parser("load-calendars", help="fill market.trading_sessions from exchange-calendars")
    p.add_argument("--start", type=_date, default=dt.date(today.year - 3, 1, 1))
    p.add_argument("--end", type=_date, default=dt.date(today.year + 1, 12, 31))
    p.add_argument("--exchange", action="append", help="only this EODHD exchange code (repeatable)")
    p.set_defaults(func=cmd_load_calendars)

    p = sub.add_parser("sync-universe", help="sync config/tickers/*.txt into the database")
    p.add_argument("--dir", type=Path, default=TICKERS_DIR)
    p.add_argument("--as-of", type=_date, default=today, dest="as_of")
    p.add_argument("--universe", action="append", help="only this universe file (repeatable)")
    p.set_defaults(func=cmd_sync_universe)

    for register in _extensions():
        register(sub)
    return parser


def _extensions():
    """Commands defined in other modules (each exposes register(subparsers))."""
    import importlib

    for name in ("fetcher.run", "fetcher.refresh", "fetcher.fake_eodhd"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        yield module.register


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = None
        if getattr(args, "needs_config", True):  # serve-fake needs no database
            config = Config.from_env(need_token=getattr(args, "needs_token", False))
        return args.func(args, config)
    except ConfigError as exc:
        log.error("configuration: %s", exc)
        return 2
    except Exception as exc:  # the message, redacted; never the environment
        secrets = [__import__("os").environ.get("EODHD_API_TOKEN", "")]
        log.error("%s: %s", type(exc).__name__, redact(str(exc), *secrets))
        return 1
