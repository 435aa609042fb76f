"""Command line: python -m fetcher <command> ...

Each command module registers itself (register(subparsers)); this file parses, checks the
bounds of every numeric option (including those of the other modules' commands, see
EXTENSION_BOUNDS) and dispatches. Exit codes: 0 done, 1 an error, 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import sys
from pathlib import Path

from fetcher import config as config_module
from fetcher.config import TICKERS_DIR, Config, ConfigError, redact

log = logging.getLogger("fetcher")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
The EODHD fetcher of the screener pipeline. It fills the PostgreSQL database named by
DATABASE_URL with end-of-day prices, fundamentals and corporate actions from the EODHD API,
and keeps the trading calendars and the ticker universe there. Airflow runs it (dags/); by
hand `make load` and `make demo` do. Every API call is recorded in pipeline.api_calls.
`python -m fetcher COMMAND --help` describes a command and its options."""


def _environment_help() -> str:
    """The environment variables, from fetcher/config.py's docstring (the one list of them)."""
    doc = config_module.__doc__ or ""
    _, _, variables = doc.partition("\n\n")
    lines = [line for line in variables.rstrip().splitlines() if line.strip()]
    return "\n".join("  " + line for line in lines)


EPILOG = f"""\
environment:
{_environment_help()}
  (run and refresh-universe need EODHD_API_TOKEN; the local EODHD server is `python -m eodhd_fake`)

exit codes:
  0  done (run: also quota spent, deadline reached, or nothing to do)
  1  an error (database, provider unavailable, ...): the message is on stderr
  2  usage or configuration: a bad option, a missing setting, an unknown execution id,
     a missing universe directory or file, a malformed or empty universe file, a token refused"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


# -- bounds of numeric options that other modules register -------------------------------------
# (command, option dest) -> (lowest, highest); None: no bound on that side. The run command's
# options check themselves (fetcher/run.py); these are the other modules' numeric options.
# tests/test_cli.py checks that every int or float option of every command is bounded here
# or by its own type, except those in DELIBERATELY_UNBOUNDED.
EXTENSION_BOUNDS: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("refresh-universe", "execution_id"): (1, None),
}
DELIBERATELY_UNBOUNDED: frozenset[tuple[str, str]] = frozenset()


def bounded(convert, low: float | None = None, high: float | None = None):
    """convert(text), then an argparse error unless every value is finite and within [low, high]."""
    if low is not None and high is not None:
        rule = f"between {low} and {high}"
    elif low is not None:
        rule = "positive" if low == 1 else f"at least {low}"
    else:
        rule = f"at most {high}"

    def check(text: str):
        value = convert(text)
        for v in value.values() if isinstance(value, dict) else [value]:
            if (
                (isinstance(v, float) and not math.isfinite(v))
                or (low is not None and v < low)
                or (high is not None and v > high)
            ):
                raise argparse.ArgumentTypeError(f"must be {rule}: {text!r}")
        return value

    # argparse names it in "invalid int value: ..." (a private helper without its underscore)
    check.__name__ = getattr(convert, "__name__", "value").lstrip("_") or "value"
    check.bounds = (low, high)
    return check


def _apply_bounds(commands: dict[str, argparse.ArgumentParser]) -> None:
    for name, parser in commands.items():
        for action in parser._actions:
            limits = EXTENSION_BOUNDS.get((name, action.dest))
            if limits is not None and action.type is not None:
                action.type = bounded(action.type, *limits)


# -- the commands defined here ----------------------------------------------------------------
def cmd_load_calendars(args: argparse.Namespace, config: Config) -> int:
    from fetcher.calendars import load_calendars
    from fetcher.db import connect

    with connect(config.database_url) as conn:
        counts = load_calendars(conn, start=args.start, end=args.end, exchanges=args.exchange or None)
    print(json.dumps({"sessions": counts}, sort_keys=True))
    return EXIT_OK


def cmd_sync_universe(args: argparse.Namespace, config: Config) -> int:
    from fetcher.db import connect
    from fetcher.universe import UniverseFileError, sync_universe

    try:
        with connect(config.database_url) as conn:
            result = sync_universe(conn, args.dir, args.as_of, only=args.universe or None, allow_empty=args.allow_empty)
    except UniverseFileError as exc:
        # the input is wrong (fix the directory, the file or the name): a retry cannot help
        for line in str(exc).splitlines():
            log.error("sync-universe: %s", line)
        return EXIT_USAGE
    print(json.dumps(result, sort_keys=True))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fetcher",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (on stderr)")
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")

    today = dt.date.today()
    p = sub.add_parser(
        "load-calendars",
        help="fill market.trading_sessions (sessions, opens, closes) from exchange-calendars",
        description=(
            "Fill market.trading_sessions for every exchange of market.exchanges that has a calendar:"
            " sessions with their open and close (UTC), half-days flagged. Idempotent. Prints the"
            " sessions stored per exchange as JSON."
        ),
    )
    p.add_argument(
        "--start",
        type=_date,
        default=dt.date(today.year - 3, 1, 1),
        help="first date, YYYY-MM-DD (default January 1st three years ago)",
    )
    p.add_argument(
        "--end",
        type=_date,
        default=dt.date(today.year + 1, 12, 31),
        help="last date, YYYY-MM-DD (default December 31st next year)",
    )
    p.add_argument("--exchange", action="append", help="only this EODHD exchange code (repeatable)")
    p.set_defaults(func=cmd_load_calendars)

    p = sub.add_parser(
        "sync-universe",
        help="make the database's tickers match the universe files config/tickers/<universe>.txt",
        description=(
            "Sync the universe files (one EODHD code per line, e.g. AAPL.US) into market.assets in"
            " one transaction: new codes are added, codes no longer listed become inactive. A missing"
            " directory, a directory without universe files, a missing requested file, a malformed"
            " line or an empty file (unless --allow-empty) is an error (exit 2) and syncs nothing."
            " Prints the counts per universe as JSON."
        ),
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=TICKERS_DIR,
        help="the directory of the <universe>.txt files (default config/tickers)",
    )
    p.add_argument("--as-of", type=_date, default=today, dest="as_of", help="the business date (default today)")
    p.add_argument(
        "--universe",
        action="append",
        help="only this universe (nyse, nasdaq, ...; repeatable; default every file of --dir)",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        dest="allow_empty",
        help="sync a file without any code too: every asset of its universe becomes inactive"
        " (default: an empty file is an error)",
    )
    p.set_defaults(func=cmd_sync_universe)

    for register in _extensions():
        register(sub)
    _apply_bounds(sub.choices)
    for choice in sub._choices_actions:  # a command without a description shows its help line
        command = sub.choices[choice.dest]
        if command.description is None and choice.help:
            command.description = choice.help[:1].upper() + choice.help[1:] + "."
    return parser


def _extensions():
    """Commands defined in other modules (each exposes register(subparsers))."""
    from fetcher import refresh, run

    yield run.register
    yield refresh.register


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Checks across options: an argparse error (the command's usage, exit 2)."""
    if args.command == "load-calendars" and args.start > args.end:
        _command_parser(parser, args.command).error(f"--start {args.start} is after --end {args.end}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = None
        if getattr(args, "needs_config", True):
            config = Config.from_env(need_token=getattr(args, "needs_token", False))
        return args.func(args, config)
    except ConfigError as exc:
        log.error("configuration: %s", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except Exception as exc:  # the message, redacted; never the environment
        secrets = [os.environ.get("EODHD_API_TOKEN", "")]
        log.error("%s: %s", type(exc).__name__, redact(str(exc), *secrets))
        return EXIT_ERROR
