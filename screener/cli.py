"""python -m screener chart|report|status|screen: operator and user tools over the database.

Every command only reads. A problem the person can act on (unknown ticker or screen, empty
range, no database) exits 2 with a message on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

from screener.db import ScreenerError, connect

EPILOG = """environment:
  DATABASE_URL  the screener database (the make targets set it)
  NO_COLOR      set: no colours in `status` even on a terminal"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT in pixels: {text!r}") from None
    if not (300 <= w <= 8000 and 200 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"size {w}x{h} out of range (300x200 to 8000x8000)")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m screener",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    c = sub.add_parser("chart", help="price chart PNG of one ticker: candles, SMA 50/200, Bollinger, volume, RSI, MACD")
    c.add_argument("ticker", help="EODHD code, e.g. AAPL.US")
    c.add_argument("--from", dest="date_from", type=_date, help="first day (default: a year before --to)")
    c.add_argument("--to", dest="date_to", type=_date, help="last day (default: the ticker's last bar)")
    c.add_argument("--out", type=Path, help="PNG file (default: .tmp/charts/TICKER.png)")
    c.add_argument("--size", type=_size, default=(1400, 1000), help="WIDTHxHEIGHT in pixels (default 1400x1000)")
    c.add_argument(
        "--style",
        choices=("auto", "candle", "line"),
        default="auto",
        help="price panel: candles up to 260 bars, a line beyond (auto)",
    )

    r = sub.add_parser(
        "report", help="PNG of the last days of runs: API calls vs quota, assets, failures, durations, freshness"
    )
    r.add_argument("--days", type=_positive, default=30, help="UTC days ending today (default 30)")
    r.add_argument("--until", type=_date, help="last UTC day of the report (default: today)")
    r.add_argument("--out", type=Path, help="PNG file (default: .tmp/report.png)")
    r.add_argument("--size", type=_size, default=(1600, 1200), help="WIDTHxHEIGHT in pixels (default 1600x1200)")

    s = sub.add_parser("status", help="terminal dashboard: per-exchange progress, quota, last runs, top failures")
    s.add_argument("--runs", type=_positive, default=8, help="last runs shown (default 8)")
    s.add_argument("--failures", type=_positive, default=8, help="failure groups shown (default 8)")
    s.add_argument("--width", type=_positive, help="characters (default: the terminal's, or 110)")
    s.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="auto: colours and block characters only on a terminal (plain ASCII otherwise)",
    )

    q = sub.add_parser("screen", help="run a saved screen (market.screens) by name, or --list them")
    q.add_argument("name", nargs="?", help="screen_name in market.screens")
    q.add_argument("--list", action="store_true", help="list the saved screens")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output (default table)")
    q.add_argument("--limit", type=_positive, help="at most N rows")
    q.add_argument("--all-columns", action="store_true", help="every column of market.screener_latest")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    try:
        if args.command == "screen" and not args.list and not args.name:
            raise ScreenerError("give a screen name, or --list to see them")
        with connect() as conn:
            if args.command == "chart":
                from screener import chart

                data = chart.load(conn, args.ticker, args.date_from, args.date_to)
                out = args.out or root / ".tmp" / "charts" / f"{args.ticker}.png"
                path = chart.render(data, out, width=args.size[0], height=args.size[1], style=args.style)
                print(f"{path}  ({args.size[0]}x{args.size[1]}, {len(data)} bars {data.dates[0]} to {data.dates[-1]})")
            elif args.command == "report":
                from screener import report

                data = report.load(conn, args.days, args.until)
                out = args.out or root / ".tmp" / "report.png"
                path = report.render(data, out, width=args.size[0], height=args.size[1])
                t = data.totals
                print(
                    f"{path}  ({args.size[0]}x{args.size[1]}, {data.days[0]} to {data.days[-1]}: {t['runs']} runs, "
                    f"{t['api_cost']:,} API calls, {sum(t['failures'].values()):,} failures)"
                )
            elif args.command == "status":
                from screener import status

                tty = sys.stdout.isatty()
                fancy = args.color == "always" or (args.color == "auto" and tty)
                colour = fancy and not (args.color == "auto" and os.environ.get("NO_COLOR"))
                width = args.width or (shutil.get_terminal_size((110, 24)).columns if tty else 110)
                sys.stdout.write(
                    status.render(
                        status.load(conn, runs=args.runs, failures=args.failures),
                        width=width,
                        unicode=fancy,
                        colour=colour,
                    )
                )
            elif args.command == "screen":
                from screener import screens

                if args.list:
                    columns, rows = screens.list_screens(conn)
                    if args.format == "table":
                        columns, rows = columns[:2], [r[:2] for r in rows]
                else:
                    columns, rows = screens.run(conn, args.name, limit=args.limit, all_columns=args.all_columns)
                sys.stdout.write(screens.FORMATS[args.format](columns, rows))
    except ScreenerError as exc:
        print(f"screener: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0
