"""The local EODHD-compatible server (tests, the offline demo and benchmarks).

In process:  `with FakeEodhd(today=date(2025, 11, 28)) as server: server.url`
Command:     `python -m eodhd_fake --port 0 --today 2025-11-28` prints the base URL
             (http://HOST:PORT/api) as its first line and serves until interrupted.
What it simulates: eodhd_fake/market.py (the synthetic market) and server.py
(routes, tokens, quota, faults, counts).

A package of its own, next to the fetcher and never imported by it: the production image
(k8s/Dockerfile) holds no part of it (tests/test_k8s_image.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading

from eodhd_fake.market import DELISTED_PREFIX, EXCHANGES, REAL_SIZES, Market, NotFound
from eodhd_fake.server import (
    COSTS,
    TEXT_401,
    TEXT_402,
    TEXT_403,
    TEXT_404_EXCHANGE,
    TEXT_404_TICKER,
    FakeEodhd,
    redact,
)

__all__ = [
    "COSTS",
    "DELISTED_PREFIX",
    "EXCHANGES",
    "FakeEodhd",
    "Market",
    "NotFound",
    "REAL_SIZES",
    "TEXT_401",
    "TEXT_402",
    "TEXT_403",
    "TEXT_404_EXCHANGE",
    "TEXT_404_TICKER",
    "build_parser",
    "main",
    "redact",
]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _bounded(convert, low: float | None = None, high: float | None = None):
    """An argparse type: `convert`, then low <= value <= high (nan and inf refused)."""

    def check(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {convert.__name__}: {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
            raise argparse.ArgumentTypeError(f"{text!r} is outside {span}")
        return value

    check.__name__ = convert.__name__
    return check


def _sizes(text: str) -> dict[str, int]:
    """`5000` (every exchange) or `US=12000,LSE=3000`; sizes are >= 0."""
    try:
        if "=" not in text:
            out = {e: int(text) for e in EXCHANGES}
        else:
            out = {}
            for part in text.split(","):
                k, _, v = part.partition("=")
                out[k.strip().upper()] = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not N or EX=N,...: {text!r}") from None
    if any(v < 0 for v in out.values()):
        raise argparse.ArgumentTypeError(f"a size below 0: {text!r}")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_bounded(int, 0, 65535), default=0, help="0 picks a free port (default)")
    p.add_argument("--today", type=_date, default=None, help="the server's date (default: UTC today)")
    p.add_argument("--daily-limit", type=_bounded(int, 0), default=100_000, help="API calls per token and day")
    p.add_argument("--per-minute-limit", type=_bounded(int, 0), default=1_000, help="requests per token and minute")
    p.add_argument("--latency-ms", type=_bounded(float, 0), default=0.0, help="delay before every answer")
    p.add_argument("--error-rate", type=_bounded(float, 0, 1), default=0.0, help="share of 5xx answers")
    p.add_argument("--truncate-rate", type=_bounded(float, 0, 1), default=0.0, help="share of 200s with a cut body")
    p.add_argument("--html-rate", type=_bounded(float, 0, 1), default=0.0, help="share of 200s with an HTML page")
    p.add_argument(
        "--retry-after-rate", type=_bounded(float, 0, 1), default=0.5, help="share of 429s sending Retry-After"
    )
    p.add_argument(
        "--today-unpublished",
        action="store_true",
        help="serve data as of the day before --today (today's bars not published yet)",
    )
    p.add_argument("--html-404", action="store_true", help="answer 404s with an HTML page instead of the text")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    p.add_argument(
        "--token",
        action="append",
        default=None,
        metavar="TOKEN[:free]",
        help="accepted token (repeatable); default: any non-empty token not starting with 'invalid'",
    )
    p.add_argument(
        "--exchange-size",
        type=_sizes,
        default=None,
        metavar="N|EX=N,...",
        help="listings per exchange (committed codes plus synthetic ones)",
    )
    p.add_argument("--real-sizes", action="store_true", help="real-world exchange sizes (about 21,800 codes)")
    p.add_argument("--split", action="append", default=[], metavar="CODE:DATE:NEW/OLD", help="add a split")


def build(args: argparse.Namespace) -> FakeEodhd:
    tokens = None
    if args.token:
        tokens = {}
        for t in args.token:
            name, _, plan = t.partition(":")
            tokens[name] = plan or "paid"
    sizes = dict(REAL_SIZES) if args.real_sizes else {}
    sizes.update(args.exchange_size or {})
    server = FakeEodhd(
        today=args.today,
        tokens=tokens,
        daily_limit=args.daily_limit,
        per_minute_limit=args.per_minute_limit,
        latency=args.latency_ms / 1000.0,
        error_rate=args.error_rate,
        truncate_rate=args.truncate_rate,
        html_rate=args.html_rate,
        retry_after_rate=args.retry_after_rate,
        today_published=not args.today_unpublished,
        html_404=args.html_404,
        seed=args.seed,
        exchange_sizes=sizes,
        host=args.host,
        port=args.port,
    )
    for spec in args.split:
        code, day, ratio = spec.split(":")
        server.add_split(code, _date(day), ratio)
    return server


def serve(args: argparse.Namespace, _config=None) -> int:
    server = build(args).start()
    print(server.url, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eodhd_fake",
        description="Serve the local EODHD-compatible API (tests, the offline demo, benchmarks). Prints the"
        " base URL (http://HOST:PORT/api) as its first line and serves until SIGINT or SIGTERM.",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return serve(args)
