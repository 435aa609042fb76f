"""The HTTP side of the local EODHD-compatible server: routes, tokens, quota, faults, counts.

Order of checks for an /api request (first that applies answers):
  unknown route 404 `Not Found` -> forced response (inject) -> missing/bad token 401
  -> per-minute limit 429 -> plan (demo token) 403 -> daily quota 402
  -> unknown code/exchange 404 -> random fault (5xx, HTML page, truncated body) -> 200.
Charging: a request is charged its cost when the provider served it: 200 (also HTML or
truncated 200s), 404 of a code/exchange and 5xx. 401, 402, 403, 422 (malformed date) and
429 cost nothing.
The quota day is the server's "today" (its UTC date), so set_today() starts a new day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
import re
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from eodhd_fake.fundamentals import fundamentals
from eodhd_fake.market import (
    CALENDAR_END,
    DEMO_CODES,
    EXCHANGES,
    HISTORY_START,
    Market,
    NotFound,
    num,
    unit,
)

log = logging.getLogger("eodhd_fake")

# The committed universe files (the codes the server lists first): the repository's config/tickers.
TICKERS_DIR = Path(__file__).resolve().parent.parent / "config" / "tickers"

TEXT_401 = "Unauthenticated"
TEXT_402 = "You exceeded your daily API requests limit.  Please contact support@eodhistoricaldata.com"
TEXT_403 = "Forbidden. Please contact support@eodhistoricaldata.com"
TEXT_404_TICKER = "Ticker Not Found."
TEXT_404_EXCHANGE = "Exchange Not Found."
TEXT_429 = "Too Many Requests"
TEXT_FREE_WARNING = "Data is limited by one year as you have free subscription"
FREE_DAILY_LIMIT = 20

COSTS = {"eod": 1, "bulk": 100, "fundamentals": 10, "symbols": 1, "splits": 1, "div": 1, "user": 0}
ROUTES = [
    ("eod", re.compile(r"^/api/eod/([^/]+)$")),
    ("bulk", re.compile(r"^/api/eod-bulk-last-day/([^/]+)$")),
    ("fundamentals", re.compile(r"^/api/fundamentals/([^/]+)$")),
    ("symbols", re.compile(r"^/api/exchange-symbol-list/([^/]+)$")),
    ("splits", re.compile(r"^/api/splits/([^/]+)$")),
    ("div", re.compile(r"^/api/div/([^/]+)$")),
    ("user", re.compile(r"^/api/user/?()$")),
]
_TOKEN_RE = re.compile(r"(api_token=)[^&\s]*", re.IGNORECASE)

HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
HTML_404_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    "<body><h1>Not Found</h1><p>{text}</p></body></html>\n"
)
HTML_200_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>EODHD</title></head>\n'
    "<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n"
)


def redact(text: str) -> str:
    return _TOKEN_RE.sub(r"\1***", text)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    charged: bool = False


@dataclass
class Injection:
    pattern: re.Pattern
    status: int
    body: bytes
    remaining: int
    headers: tuple[tuple[str, str], ...]
    content_type: str


def charged_status(status: int) -> bool:
    """Whether the provider charges a call answered with this status (see module doc)."""
    return status not in (401, 402, 403, 429) and not (400 <= status < 500 and status != 404)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(text)


class FakeEodhd:
    """An in-process EODHD-compatible server. `with FakeEodhd(...) as s: s.url` -> base URL.

    tokens: {token: plan} with plan "paid" or "free" (a list means all paid); None accepts
    any non-empty token except those starting with "invalid". `demo` is always accepted
    and answers only a few US tickers (403 otherwise), as on the live API.
    """

    def __init__(
        self,
        *,
        today: dt.date | None = None,
        tokens: dict[str, str] | list[str] | None = None,
        daily_limit: int = 100_000,
        per_minute_limit: int = 1_000,
        latency: float = 0.0,
        error_rate: float = 0.0,
        truncate_rate: float = 0.0,
        html_rate: float = 0.0,
        retry_after_rate: float = 0.5,
        today_published: bool = True,
        html_404: bool = False,
        seed: int = 0,
        exchange_sizes: dict[str, int] | None = None,
        tickers_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock=time.monotonic,
    ) -> None:
        if tickers_dir is None:
            tickers_dir = TICKERS_DIR
        self.market = Market(tickers_dir=tickers_dir, exchange_sizes=exchange_sizes)
        self.today = _check_today(today or dt.datetime.now(dt.UTC).date())
        self.today_published = today_published
        self.html_404 = html_404
        if isinstance(tokens, (list, tuple, set)):
            tokens = {t: "paid" for t in tokens}
        self.tokens = dict(tokens) if tokens is not None else None
        self.daily_limit = daily_limit
        self.per_minute_limit = per_minute_limit
        self.latency = latency
        self.error_rate = error_rate
        self.truncate_rate = truncate_rate
        self.html_rate = html_rate
        self.retry_after_rate = retry_after_rate
        self.seed = seed
        self.host = host
        self._port = port
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[tuple[str, dt.date], int] = defaultdict(int)  # (token digest, day) -> calls
        self._windows: dict[str, deque] = defaultdict(deque)
        self._occurrences: dict[str, int] = defaultdict(int)
        self._injections: list[Injection] = []
        self._counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self._charged: dict[str, int] = defaultdict(int)
        self._bulk_cache: dict[tuple, list[dict]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def start(self) -> FakeEodhd:
        handler = type("Handler", (_Handler,), {"app": self})
        self._httpd = _Server((self.host, self._port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-eodhd", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeEodhd:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL to use as EODHD_BASE_URL (ends in /api)."""
        return f"http://{self.host}:{self.port}/api"

    # ----------------------------------------------------------- test hooks
    def set_today(self, day: dt.date) -> None:
        with self._lock:
            self.today = _check_today(day)
            self._bulk_cache.clear()

    def inject(
        self,
        pattern: str,
        status: int,
        body: str | bytes = "",
        count: int = 1,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer the next `count` /api requests whose path matches `pattern` (re.search) with this."""
        data = body.encode() if isinstance(body, str) else body
        if content_type is None:
            content_type = "application/json" if data[:1] in (b"{", b"[") else "text/plain; charset=utf-8"
        with self._lock:
            self._injections.append(
                Injection(re.compile(pattern), status, data, count, tuple((headers or {}).items()), content_type)
            )

    def add_split(self, code: str, day: dt.date, ratio: str) -> None:
        """A split on `day` (the first session on or after it); ratio "new/old", e.g. "4/1"."""
        new, old = (float(x) for x in ratio.split("/"))
        self.market.add_split(code.upper(), day, new, old)
        with self._lock:
            self._bulk_cache.clear()

    def add_dividend(self, code: str, day: dt.date, amount: float) -> None:
        self.market.add_dividend(code.upper(), day, amount)
        with self._lock:
            self._bulk_cache.clear()

    def delist(self, code: str) -> None:
        self.market.delist(code)
        with self._lock:
            self._bulk_cache.clear()

    def calls_used(self, token: str, day: dt.date | None = None) -> int:
        with self._lock:
            return self._used.get((_digest(token), day or self.today), 0)

    def counts(self) -> dict:
        """Requests per endpoint, code and status, and charged calls (thread-safe snapshot)."""
        with self._lock:
            items = sorted(self._counts.items())
            charged = dict(self._charged)
        by_endpoint: dict[str, dict] = {}
        by_code: dict[str, dict] = {}
        by_status: dict[str, int] = defaultdict(int)
        for (endpoint, code, status), n in items:
            e = by_endpoint.setdefault(
                endpoint, {"requests": 0, "charged_calls": charged.get(endpoint, 0), "by_status": {}}
            )
            e["requests"] += n
            e["by_status"][str(status)] = e["by_status"].get(str(status), 0) + n
            c = by_code.setdefault(endpoint, {}).setdefault(code, {})
            c[str(status)] = c.get(str(status), 0) + n
            by_status[str(status)] += n
        return {
            "requests": sum(n for _, n in items),
            "charged_calls": sum(charged.values()),
            "by_status": dict(by_status),
            "by_endpoint": by_endpoint,
            "by_code": by_code,
            "today": self.today.isoformat(),
        }

    def requests(self, endpoint: str | None = None, code: str | None = None, status: int | None = None) -> int:
        """How many requests matched (None = any)."""
        with self._lock:
            return sum(
                n
                for (e, c, s), n in self._counts.items()
                if (endpoint is None or e == endpoint)
                and (code is None or c == code)
                and (status is None or s == status)
            )

    def reset(self, *, quota: bool = False) -> None:
        """Clear the counters (and with quota=True the calls used and the rate windows)."""
        with self._lock:
            self._counts.clear()
            self._charged.clear()
            self._occurrences.clear()
            self._injections.clear()
            if quota:
                self._used.clear()
                self._windows.clear()

    # -------------------------------------------------------------- handling
    def handle(self, target: str) -> Response:
        """Answer one GET request target (path?query); counts it."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path.startswith("/_fake/"):
            return self._control(path, query)
        endpoint, arg = "unknown", ""
        for name, rx in ROUTES:
            m = rx.match(path)
            if m:
                endpoint, arg = name, m.group(1).upper()
                break
        code = arg or "-"
        if endpoint == "eod" or endpoint in ("fundamentals", "splits", "div"):
            if arg and "." not in arg:
                code = f"{arg}.US"
        response = self._answer(endpoint, code, query, path, parts.query)
        with self._lock:
            self._counts[(endpoint, code, response.status)] += 1
        return response

    def _answer(self, endpoint: str, code: str, query: dict, path: str, raw_query: str) -> Response:
        if endpoint == "unknown":
            return Response(404, b"Not Found")
        with self._lock:
            for inj in self._injections:
                if inj.remaining > 0 and inj.pattern.search(path):
                    inj.remaining -= 1
                    forced = Response(inj.status, inj.body, inj.content_type, inj.headers)
                    break
            else:
                forced = None
            self._injections = [i for i in self._injections if i.remaining > 0]
        token = query.get("api_token", "")
        cost = COSTS[endpoint]
        symbols = [s for s in query.get("symbols", "").split(",") if s.strip()] if endpoint == "bulk" else []
        cost += len(symbols)
        if forced is not None:
            if charged_status(forced.status):
                self._charge(token, endpoint, cost)
                forced.charged = True
            return forced
        plan = self._plan(token)
        if plan is None:
            return Response(401, TEXT_401.encode())
        limited, remaining = self._rate_limit(token)
        if limited is not None:
            return limited
        if plan == "demo" and not (
            endpoint == "user" or (endpoint in ("eod", "fundamentals", "splits", "div") and code in DEMO_CODES)
        ):
            return Response(403, TEXT_403.encode())
        limit = FREE_DAILY_LIMIT if plan == "free" else self.daily_limit
        with self._lock:
            key = (_digest(token), self.today)
            if self._used[key] + cost > limit and cost > 0:
                return Response(402, TEXT_402.encode())
            self._used[key] += cost
            self._charged[endpoint] += cost
            used = self._used[key]
            today = self.today
        headers = (("X-RateLimit-Limit", str(self.per_minute_limit)), ("X-RateLimit-Remaining", str(remaining)))
        try:
            response = self._serve(endpoint, code, query, today, plan, used, limit)
        except NotFound:
            text = TEXT_404_EXCHANGE if endpoint in ("bulk", "symbols") else TEXT_404_TICKER
            if self.html_404:  # "possibly an HTML page" (EODHD.md)
                response = Response(404, HTML_404_PAGE.format(text=text).encode(), "text/html; charset=UTF-8")
            else:
                response = Response(404, text.encode())
        except ValueError as exc:  # a malformed date: refused, so not charged
            response = Response(422, f"Invalid parameter: {exc}".encode())
            self._charge(token, endpoint, -cost)
        response.charged = charged_status(response.status)
        response.headers = response.headers + headers
        if response.status == 200:
            response = self._maybe_fault(response, path, raw_query)
        return response

    def _charge(self, token: str, endpoint: str, cost: int) -> None:
        with self._lock:
            self._used[(_digest(token), self.today)] += cost
            self._charged[endpoint] += cost

    def _plan(self, token: str) -> str | None:
        if not token:
            return None
        if token == "demo":
            return "demo"
        if self.tokens is None:
            return None if token.lower().startswith("invalid") else "paid"
        return self.tokens.get(token)

    def _rate_limit(self, token: str) -> tuple[Response | None, int]:
        """A 429 when the token used its per-minute requests, else (None, requests left)."""
        now = self._clock()
        with self._lock:
            window = self._windows[_digest(token)]
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.per_minute_limit:
                wait = max(1, math.ceil(window[0] + 60.0 - now))
                self._occurrences["429"] += 1
                n = self._occurrences["429"]
                send = unit("retry-after", self.seed, n) < self.retry_after_rate
                headers = (("Retry-After", str(wait)),) if send else ()
                return Response(429, TEXT_429.encode(), headers=headers), 0
            window.append(now)
            return None, self.per_minute_limit - len(window)

    def _maybe_fault(self, response: Response, path: str, raw_query: str) -> Response:
        if not (self.error_rate or self.truncate_rate or self.html_rate):
            return response
        key = path + "?" + redact(raw_query)
        with self._lock:
            self._occurrences[key] += 1
            n = self._occurrences[key]
        u = unit("fault", self.seed, key, n)
        if u < self.error_rate:
            status = (500, 502, 503, 504)[int(unit("fault-status", self.seed, key, n) * 4)]
            if status == 502:
                return Response(502, HTML_ERROR_PAGE.encode(), "text/html", response.headers, True)
            return Response(status, b"Server Error", "text/plain; charset=utf-8", response.headers, True)
        u -= self.error_rate
        if u < self.html_rate:
            return Response(200, HTML_200_PAGE.encode(), "text/html; charset=UTF-8", response.headers, True)
        u -= self.html_rate
        if u < self.truncate_rate and len(response.body) > 1:
            cut = max(1, int(len(response.body) * (0.2 + 0.6 * unit("cut", self.seed, key, n))))
            return Response(200, response.body[:cut], response.content_type, response.headers, True)
        return response

    # ------------------------------------------------------------- endpoints
    def _serve(
        self, endpoint: str, code: str, query: dict, today: dt.date, plan: str, used: int, limit: int
    ) -> Response:
        fmt_json = query.get("fmt", "").lower() == "json"
        if endpoint == "user":
            return _json(
                {
                    "name": "Local Server",
                    "email": "local@example.com",
                    "subscriptionType": "commercial",
                    "paymentMethod": "Not Available",
                    "apiRequests": used,
                    "apiRequestsDate": today.isoformat(),
                    "dailyRateLimit": limit,
                    "extraLimit": 0,
                    "inviteToken": None,
                    "inviteTokenClicked": 0,
                    "subscriptionMode": "demo" if plan == "demo" else plan,
                }
            )
        if not self.today_published:
            today = today - dt.timedelta(days=1)  # the data as of yesterday: today's bars not out yet
        if endpoint == "eod":
            return self._eod(code, query, today, plan, fmt_json)
        if endpoint == "bulk":
            return self._bulk(code, query, today, fmt_json)
        if endpoint == "symbols":
            return self._symbols(code, query, today, fmt_json)
        inst = self.market.listed(code, today)
        if endpoint == "fundamentals":
            doc = fundamentals(self.market, inst, today)
            wanted = [f for f in query.get("filter", "").split(",") if f]
            if wanted:  # filter=General::Code (one value) or filter=General,Highlights
                doc = _pick(doc, wanted[0]) if len(wanted) == 1 else {w: _pick(doc, w) for w in wanted}
            return _json(doc)
        start, end = _date(query.get("from")), _date(query.get("to"))
        if endpoint == "splits":
            rows = [
                {"date": d.isoformat(), "split": f"{new:.6f}/{old:.6f}"}
                for d, new, old in self.market.splits(inst, today)
                if (start is None or d >= start) and (end is None or d <= end)
            ]
            return _json(rows) if fmt_json else _csv(["Date", "Stock Splits"], [[r["date"], r["split"]] for r in rows])
        divs = [
            d
            for d in self.market.dividends(inst, today)
            if (start is None or d["date"] >= start) and (end is None or d["date"] <= end)
        ]
        rows = [
            {
                "date": d["date"].isoformat(),
                "declarationDate": d["declarationDate"].isoformat(),
                "recordDate": d["recordDate"].isoformat(),
                "paymentDate": d["paymentDate"].isoformat(),
                "period": "Quarterly",
                "value": num(d["value"]),
                "unadjustedValue": num(d["unadjustedValue"]),
                "currency": inst.currency,
            }
            for d in divs
        ]
        return _json(rows) if fmt_json else _csv(["Date", "Dividends"], [[r["date"], r["value"]] for r in rows])

    def _eod(self, code: str, query: dict, today: dt.date, plan: str, fmt_json: bool) -> Response:
        inst = self.market.listed(code, today)
        start, end = _date(query.get("from")), _date(query.get("to"))
        warning = None
        if plan == "free":
            floor = today - dt.timedelta(days=365)
            if start is None or start < floor:
                start, warning = floor, TEXT_FREE_WARNING
        rows = self.market.bars(inst, today, start, end)
        period = query.get("period", "d").lower()
        if period in ("w", "m"):
            rows = _aggregate(rows, period)
        if query.get("order", "a").lower() == "d":
            rows.reverse()
        if fmt_json:
            if warning:
                rows = rows + [{"warning": warning}]
            return _json(rows)
        header = ["Date", "Open", "High", "Low", "Close", "Adjusted_close", "Volume"]
        keys = ["date", "open", "high", "low", "close", "adjusted_close", "volume"]
        return _csv(header, [[r[k] for k in keys] for r in rows])

    def _bulk(self, exchange_code: str, query: dict, today: dt.date, fmt_json: bool) -> Response:
        if exchange_code not in EXCHANGES:
            raise NotFound(exchange_code)
        exchange = EXCHANGES[exchange_code]
        kind = query.get("type", "").lower()
        day = _date(query.get("date"))
        sessions = self.market.sessions(exchange)
        if day is None:
            past = [s for s in sessions if s <= today]
            day = past[-1] if past else today
        symbols = tuple(s.strip().upper() for s in query.get("symbols", "").split(",") if s.strip())
        if symbols:
            codes = [s if "." in s else f"{s}.{exchange_code}" for s in symbols]
        else:
            codes = self.market.universe(exchange_code)
        key = (exchange_code, kind, day, today, symbols)
        with self._lock:
            rows = self._bulk_cache.get(key)
        if rows is None:
            rows = []
            for c in codes:
                try:
                    inst = self.market.instrument(c)
                except NotFound:
                    continue
                sym, ex = inst.symbol, inst.exchange.code
                if kind == "splits":
                    rows += [
                        {"code": sym, "exchange": ex, "date": d.isoformat(), "split": f"{new:.6f}/{old:.6f}"}
                        for d, new, old in self.market.splits(inst, today)
                        if d == day
                    ]
                elif kind == "dividends":
                    rows += [
                        {
                            "code": sym,
                            "exchange": ex,
                            "date": d["date"].isoformat(),
                            "dividend": f"{d['value']:.5f}",
                            "currency": inst.currency,
                            "declarationDate": d["declarationDate"].isoformat(),
                            "recordDate": d["recordDate"].isoformat(),
                            "paymentDate": d["paymentDate"].isoformat(),
                            "period": "Quarterly",
                            "unadjustedValue": f"{d['unadjustedValue']:.5f}",
                        }
                        for d in self.market.dividends(inst, today)
                        if d["date"] == day
                    ]
                else:
                    bar = self.market.bar_on(inst, day, today, cache=bool(symbols))
                    if bar is not None:
                        rows.append({"code": sym, "exchange_short_name": ex, **bar})
            with self._lock:
                if len(self._bulk_cache) > 64:
                    self._bulk_cache.clear()
                self._bulk_cache[key] = rows
        if fmt_json:
            return _json(rows)
        if kind == "splits":
            return _csv(
                ["Code", "Ex", "Date", "Split"], [[r["code"], r["exchange"], r["date"], r["split"]] for r in rows]
            )
        if kind == "dividends":
            return _csv(
                ["Code", "Ex", "Date", "Dividend"], [[r["code"], r["exchange"], r["date"], r["dividend"]] for r in rows]
            )
        keys = ["code", "exchange_short_name", "date", "open", "high", "low", "close", "adjusted_close", "volume"]
        return _csv(
            ["Code", "Ex", "Date", "Open", "High", "Low", "Close", "Adjusted_close", "Volume"],
            [[r[k] for k in keys] for r in rows],
        )

    def _symbols(self, exchange_code: str, query: dict, today: dt.date, fmt_json: bool) -> Response:
        codes = self.market.universe(exchange_code)
        wanted = query.get("type", "").lower()
        rows = []
        for c in codes:
            inst = self.market.instrument(c)
            if self.market.ipo_date(inst) > today:
                continue
            t = inst.type.lower().replace(" ", "_")
            if wanted and not (wanted == t or (wanted == "stock" and t in ("common_stock", "preferred_stock"))):
                continue
            rows.append(
                {
                    "Code": inst.symbol,
                    "Name": inst.name,
                    "Country": inst.exchange.country_name,
                    "Exchange": inst.venue,
                    "Currency": inst.currency,
                    "Type": inst.type,
                    "Isin": inst.isin,
                }
            )
        if fmt_json:
            return _json(rows)
        keys = ["Code", "Name", "Country", "Exchange", "Currency", "Type", "Isin"]
        return _csv(keys, [[r[k] if r[k] is not None else "" for k in keys] for r in rows])

    # ---------------------------------------------------------- control API
    def _control(self, path: str, query: dict) -> Response:
        if path == "/_fake/stats":
            return _json(self.counts())
        if path == "/_fake/reset":
            self.reset(quota=query.get("quota", "") in ("1", "true", "yes"))
            return _json({"reset": True})
        try:
            if path == "/_fake/today":
                if query.get("date"):
                    self.set_today(dt.date.fromisoformat(query["date"]))
                return _json({"today": self.today.isoformat()})
            if path == "/_fake/split":  # ?code=AAPL.US&date=2025-12-15&ratio=4/1
                self.add_split(query["code"], dt.date.fromisoformat(query["date"]), query["ratio"])
                return _json({"split": query["code"]})
            if path == "/_fake/dividend":  # ?code=AAPL.US&date=2025-12-15&amount=0.25
                self.add_dividend(query["code"], dt.date.fromisoformat(query["date"]), float(query["amount"]))
                return _json({"dividend": query["code"]})
            if path == "/_fake/delist":  # ?code=AAPL.US
                self.delist(query["code"])
                return _json({"delisted": query["code"]})
            if path == "/_fake/inject":  # ?pattern=/eod/AAPL&status=503&body=...&count=2&retry_after=1
                headers = {"Retry-After": query["retry_after"]} if query.get("retry_after") else None
                self.inject(
                    query["pattern"],
                    int(query["status"]),
                    query.get("body", ""),
                    int(query.get("count", "1")),
                    headers=headers,
                )
                return _json({"injected": query["pattern"]})
        except (KeyError, ValueError, re.error) as exc:
            return Response(400, f"bad control request: {type(exc).__name__}: {exc}".encode())
        return Response(404, b"Not Found")


def _check_today(day: dt.date) -> dt.date:
    if not HISTORY_START <= day <= CALENDAR_END:
        raise ValueError(f"today must be between {HISTORY_START} and {CALENDAR_END}, got {day}")
    return day


def _pick(doc, path: str):
    for key in path.split("::"):
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def _json(obj) -> Response:
    return Response(200, json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), "application/json")


def _csv(header: list[str], rows: list[list]) -> Response:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return Response(200, buf.getvalue().encode(), "text/csv; charset=utf-8")


def _aggregate(rows: list[dict], period: str) -> list[dict]:
    out: list[dict] = []
    key_of = (lambda d: dt.date.fromisoformat(d).isocalendar()[:2]) if period == "w" else (lambda d: d[:7])
    last_key = None
    for r in rows:
        k = key_of(r["date"])
        if k != last_key:
            out.append(dict(r))
            last_key = k
        else:
            a = out[-1]
            a["high"] = max(a["high"], r["high"])
            a["low"] = min(a["low"], r["low"])
            a["close"] = r["close"]
            a["adjusted_close"] = r["adjusted_close"]
            a["volume"] = num(a["volume"] + r["volume"], 2)
    return out


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 refuses bursts of new connections
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    app: FakeEodhd
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle and delayed ACKs
        # add ~40 ms to every keep-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.app.latency and not self.path.startswith("/_fake/"):
            time.sleep(self.app.latency)
        try:
            response = self.app.handle(self.path)
        except Exception:  # never let a bug look like a dropped connection
            log.exception("fake EODHD server error on %s", redact(self.path))
            response = Response(500, b"Internal Server Error")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_request(self, code="-", size="-") -> None:
        log.info("%s %s %s", self.command, redact(self.path), code)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server signature)
        log.info("%s", redact(format % args))
