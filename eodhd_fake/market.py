"""The synthetic market behind the local EODHD-compatible server.

Everything is a pure function of the instrument code (sha256-seeded, never Python's
randomised hash()), the exchange's real calendar (exchange-calendars) and the server's
"today": two servers, or two runs, give the same bytes for the same request.

Rules (also in the README):
- Any `SYMBOL.EXCHANGE` on a known exchange exists; a bare symbol means `.US`, as on the
  real API. Symbols starting with `DELIST` (and codes delisted through the API of the
  server) answer 404 `Ticker Not Found.`; no committed universe code starts with it.
- History starts on the first session on or after 2015-01-02; synthetic codes that are
  not in config/tickers get a deterministic later IPO for about a third of them.
- A session's bar exists when the session date is on or before "today" (today's bar is
  treated as already published).
- Prices are a geometric random walk per code; about 15 % of codes have a split and about
  40 % pay quarterly dividends (dates anywhere in the calendar: as "today" moves past them
  the adjusted history is rewritten backwards). `adjusted_close` = raw close times the
  product, over every action dated after the bar and on or before today, of the split
  factor old/new and the dividend factor 1 - amount / previous raw close.
- About 30 % of codes are illiquid: ~4 % of their sessions have volume 0 and a flat bar.
  About 5 % of codes report fractional volumes. Bonds (GBOND) quote yields, volume 0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import warnings
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

HISTORY_START = dt.date(2015, 1, 2)
CALENDAR_END = dt.date(2030, 12, 31)
DELISTED_PREFIX = "DELIST"


@dataclass(frozen=True)
class Exchange:
    code: str
    calendar: str
    name: str
    country: str  # ISO alpha-2
    country_name: str
    currency: str
    company_suffix: str


EXCHANGES: dict[str, Exchange] = {
    e.code: e
    for e in (
        Exchange("US", "XNYS", "USA Stocks", "US", "USA", "USD", "Inc"),
        Exchange("LSE", "XLON", "London Exchange", "GB", "UK", "GBX", "PLC"),
        Exchange("F", "XFRA", "Frankfurt Exchange", "DE", "Germany", "EUR", "AG"),
        Exchange("XETRA", "XETR", "XETRA Stock Exchange", "DE", "Germany", "EUR", "AG"),
        Exchange("PA", "XPAR", "Euronext Paris", "FR", "France", "EUR", "SA"),
        Exchange("AS", "XAMS", "Euronext Amsterdam", "NL", "Netherlands", "EUR", "NV"),
        Exchange("BR", "XBRU", "Euronext Brussels", "BE", "Belgium", "EUR", "SA"),
        Exchange("LS", "XLIS", "Euronext Lisbon", "PT", "Portugal", "EUR", "SA"),
        Exchange("MC", "XMAD", "Madrid Exchange", "ES", "Spain", "EUR", "SA"),
        Exchange("SW", "XSWX", "SIX Swiss Exchange", "CH", "Switzerland", "CHF", "AG"),
        Exchange("GBOND", "XNYS", "Government Bonds", "US", "USA", "USD", ""),
        Exchange("EUFUND", "XFRA", "Europe Fund Virtual Exchange", "LU", "Luxembourg", "EUR", "SICAV"),
    )
}

# Real-world-like universe sizes (sum about 21,800), used with --real-sizes.
REAL_SIZES = {
    "US": 12900,
    "LSE": 3100,
    "F": 2300,
    "XETRA": 1350,
    "PA": 820,
    "AS": 190,
    "BR": 140,
    "LS": 55,
    "MC": 230,
    "SW": 280,
    "GBOND": 40,
    "EUFUND": 400,
}

# Instruments that are ETFs whatever their exchange (plus synthetic ones by hash).
KNOWN_ETFS = {
    "SPY",
    "QQQ",
    "VTI",
    "IVV",
    "VOO",
    "DIA",
    "IWM",
    "EEM",
    "GLD",
    "TLT",
    "EXS1",
    "EUNL",
    "IWDA",
    "VUSA",
    "CSPX",
    "ISF",
}
# The `demo` token answers only these, as on the live API.
DEMO_CODES = {"AAPL.US", "MSFT.US", "TSLA.US", "AMZN.US", "VTI.US", "MCD.US"}

TYPE_STOCK = "Common Stock"
TYPE_ETF = "ETF"
TYPE_FUND = "FUND"
TYPE_PREFERRED = "Preferred Stock"
TYPE_BOND = "Government Bond"

BOND_CURRENCY = {
    "US": "USD",
    "UK": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "NL": "EUR",
    "BE": "EUR",
    "PT": "EUR",
    "CH": "CHF",
    "JP": "JPY",
    "CA": "CAD",
}


class NotFound(Exception):
    """The code or exchange does not exist (404)."""


def stable_int(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for these parts."""
    return stable_int(*parts) / 2.0**64


def num(x: float, digits: int | None = None):
    """A number as EODHD prints it: no trailing zeros (1358, not 1358.0)."""
    if digits is not None:
        x = round(float(x), digits)
    x = float(x)
    if x.is_integer():
        return int(x)
    return x


def isin_for(country: str, code: str) -> str:
    """A syntactically valid ISIN (with its Luhn check digit) derived from the code."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    h = stable_int("isin", code)
    body = country
    for _ in range(9):
        body += alphabet[h % 36]
        h //= 36
    digits = "".join(str(alphabet.index(c)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


@lru_cache(maxsize=32)
def calendar_sessions(calendar: str, end_year: int) -> tuple[dt.date, ...]:
    import exchange_calendars as xcals
    import pandas as pd

    with warnings.catch_warnings():  # exchange-calendars' own pandas deprecation warnings
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar(
            calendar, start=pd.Timestamp(HISTORY_START), end=pd.Timestamp(dt.date(end_year, 12, 31))
        )
    return tuple(s.date() for s in cal.sessions)


@dataclass(frozen=True)
class Instrument:
    code: str  # SYMBOL.EXCHANGE
    symbol: str
    exchange: Exchange
    type: str
    venue: str  # for US: NYSE, NASDAQ, NYSE ARCA; else the exchange code

    @property
    def is_bond(self) -> bool:
        return self.exchange.code == "GBOND"

    @property
    def currency(self) -> str:
        if self.is_bond:
            return BOND_CURRENCY.get(self.symbol[:2], "USD")
        return self.exchange.currency

    @property
    def isin(self) -> str | None:
        if self.is_bond:
            return None
        if _looks_like_isin(self.symbol):
            return self.symbol
        return isin_for(self.exchange.country, self.code)

    @property
    def name(self) -> str:
        base = self.symbol.replace("-", " ").title()
        if self.is_bond:
            return f"{self.symbol[:2]} {self.symbol[2:]} Government Bond"
        if self.type == TYPE_ETF:
            return f"{base} UCITS ETF" if self.exchange.code != "US" else f"{base} ETF Trust"
        if self.type == TYPE_FUND:
            return f"{base} Global Equity Fund"
        if self.type == TYPE_PREFERRED:
            return f"{base} Preferred Shares"
        return f"{base} {self.exchange.company_suffix}".strip()


def _looks_like_isin(symbol: str) -> bool:
    return len(symbol) == 12 and symbol[:2].isalpha() and symbol[2:].isalnum() and symbol[-1].isdigit()


@dataclass
class Path_:
    """A code's full synthetic history (independent of "today"), raw prices rounded."""

    dates: list[dt.date]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    splits: list[tuple[int, float, float]]  # (session index, new, old)
    dividends: list[tuple[int, float]]  # (session index, raw amount per share)
    fractional_volume: bool


@dataclass
class Actions:
    splits: dict[str, list[tuple[dt.date, float, float]]] = field(default_factory=dict)
    dividends: dict[str, list[tuple[dt.date, float]]] = field(default_factory=dict)
    delisted: set[str] = field(default_factory=set)


class Market:
    """Deterministic synthetic prices, corporate actions and listings for any code."""

    def __init__(
        self,
        *,
        tickers_dir: Path | None = None,
        exchange_sizes: dict[str, int] | None = None,
        path_cache_size: int = 256,
    ) -> None:
        self.committed: dict[str, str] = {}  # code -> universe file stem
        if tickers_dir is not None and Path(tickers_dir).is_dir():
            for path in sorted(Path(tickers_dir).glob("*.txt")):
                for raw in path.read_text(encoding="utf-8").splitlines():
                    line = raw.split("#", 1)[0].strip().upper()
                    if line and "." in line:
                        self.committed.setdefault(line, path.stem)
        self.exchange_sizes = dict(exchange_sizes or {})
        self.actions = Actions()
        self._lock = threading.Lock()
        self._paths: OrderedDict[str, Path_] = OrderedDict()
        self._path_cache_size = path_cache_size
        self._universes: dict[str, list[str]] = {}

    # ----------------------------------------------------------------- codes
    def instrument(self, code: str) -> Instrument:
        """The instrument of a code; NotFound for unknown exchanges and delisted codes."""
        code = code.strip().upper()
        if not code:
            raise NotFound(code)
        symbol, _, exchange_code = code.rpartition(".")
        if not symbol:
            symbol, exchange_code = exchange_code, "US"
        exchange = EXCHANGES.get(exchange_code)
        if exchange is None or not symbol:
            raise NotFound(code)
        full = f"{symbol}.{exchange_code}"
        if self.is_delisted(full):
            raise NotFound(full)
        kind = self._type(full, symbol, exchange)
        return Instrument(full, symbol, exchange, kind, self._venue(full, kind, exchange))

    def listed(self, code: str, today: dt.date) -> Instrument:
        """The instrument, NotFound also when it lists after `today`."""
        inst = self.instrument(code)
        if self.ipo_date(inst) > today:
            raise NotFound(inst.code)
        return inst

    def is_delisted(self, code: str) -> bool:
        return code.startswith(DELISTED_PREFIX) or code in self.actions.delisted

    def _type(self, code: str, symbol: str, exchange: Exchange) -> str:
        if exchange.code == "GBOND":
            return TYPE_BOND
        if exchange.code == "EUFUND" or _looks_like_isin(symbol):
            return TYPE_FUND
        if symbol in KNOWN_ETFS:
            return TYPE_ETF
        if "-P" in symbol:
            return TYPE_PREFERRED
        if code in self.committed:
            return TYPE_STOCK
        u = unit("type", code)
        if u < 0.08:
            return TYPE_ETF
        if u < 0.10:
            return TYPE_PREFERRED
        if u < 0.12 and exchange.code == "US":
            return TYPE_FUND  # US mutual funds (venue NMFQS)
        return TYPE_STOCK

    def _venue(self, code: str, kind: str, exchange: Exchange) -> str:
        """The listing venue: for US the real exchange (NYSE, NASDAQ, NYSE ARCA, ...)."""
        if exchange.code != "US":
            return exchange.code
        stem = self.committed.get(code)
        if stem in ("nyse", "nasdaq"):
            return stem.upper()
        if kind == TYPE_ETF:
            return "NYSE ARCA"
        if kind == TYPE_FUND:
            return "NMFQS"
        u = unit("venue", code)
        return "NYSE" if u < 0.42 else "NASDAQ" if u < 0.92 else "NYSE MKT" if u < 0.96 else "BATS"

    def universe(self, exchange_code: str) -> list[str]:
        """Every code listed on an exchange: the committed ones plus synthetic ones, unsorted."""
        exchange_code = exchange_code.upper()
        if exchange_code not in EXCHANGES:
            raise NotFound(exchange_code)
        with self._lock:
            cached = self._universes.get(exchange_code)
        if cached is not None:
            return cached
        codes = [c for c in self.committed if c.rsplit(".", 1)[1] == exchange_code]
        seen = set(codes)
        size = self.exchange_sizes.get(exchange_code, 0)
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        i = 0
        while len(codes) < size:
            h = stable_int("listing", exchange_code, i)
            i += 1
            length = 2 + h % 3
            h //= 3
            sym = ""
            for _ in range(length):
                sym += letters[h % 26]
                h //= 26
            if exchange_code == "GBOND":
                sym = ["US", "UK", "DE", "FR", "ES", "IT", "NL", "BE", "PT", "CH", "JP", "CA"][
                    h % 12
                ] + f"{1 + i % 30}Y"
            elif exchange_code == "EUFUND":
                sym = isin_for("LU", f"fund{i}")
            code = f"{sym}.{exchange_code}"
            if code in seen or self.is_delisted(code):
                continue
            seen.add(code)
            codes.append(code)
        codes.sort(key=lambda c: stable_int("order", c))
        with self._lock:
            self._universes[exchange_code] = codes
        return codes

    # --------------------------------------------------------------- sessions
    def sessions(self, exchange: Exchange) -> tuple[dt.date, ...]:
        """Every session from HISTORY_START to CALENDAR_END (the server's "today" stays inside)."""
        return calendar_sessions(exchange.calendar, CALENDAR_END.year)

    def ipo_date(self, inst: Instrument) -> dt.date:
        sessions = self.sessions(inst.exchange)
        if inst.code in self.committed or inst.is_bond or unit("ipo", inst.code) < 0.67:
            return sessions[0]
        last = bisect_left(sessions, dt.date(2024, 12, 31))
        return sessions[int(unit("ipo-day", inst.code) * last)]

    # ------------------------------------------------------------------- paths
    def add_split(self, code: str, day: dt.date, new: float, old: float) -> None:
        with self._lock:
            self.actions.splits.setdefault(code, []).append((day, float(new), float(old)))
            self._paths.pop(code, None)

    def add_dividend(self, code: str, day: dt.date, amount: float) -> None:
        with self._lock:
            self.actions.dividends.setdefault(code, []).append((day, float(amount)))
            self._paths.pop(code, None)

    def delist(self, code: str) -> None:
        with self._lock:
            self.actions.delisted.add(code.upper())
            self._universes.clear()

    def path(self, inst: Instrument, *, cache: bool = True) -> Path_:
        with self._lock:
            p = self._paths.get(inst.code)
            if p is not None:
                self._paths.move_to_end(inst.code)
                return p
        p = self._build(inst)
        if cache:
            with self._lock:
                self._paths[inst.code] = p
                while len(self._paths) > self._path_cache_size:
                    self._paths.popitem(last=False)
        return p

    def _build(self, inst: Instrument) -> Path_:
        code = inst.code
        all_sessions = self.sessions(inst.exchange)
        start = self.ipo_date(inst)
        first = bisect_left(all_sessions, start)
        dates = list(all_sessions[first:])
        n = len(dates)

        # one generator per code, drawn in a fixed order (n depends on the calendar only)
        rng = np.random.default_rng(stable_int("path", code))
        normals = rng.standard_normal((2, n))  # returns, volumes
        uniforms = rng.random((4, n))  # zero-volume days, opening gap, high and low wiggles

        bond = inst.is_bond
        if bond:
            p0 = 0.5 + 4.0 * unit("p0", code)
            sigma = 0.015
        else:
            p0 = math.exp(math.log(5) + unit("p0", code) * (math.log(400) - math.log(5)))
            if inst.exchange.code == "LSE":
                p0 *= 10  # pence
            sigma = 0.008 + 0.022 * unit("sigma", code)
        mu = 0.0003 * (unit("mu", code) - 0.3)

        r = mu + sigma * normals[0]
        r[0] = 0.0
        illiquid = (not bond) and unit("illiquid", code) < 0.30
        zero = uniforms[0] < (0.04 if illiquid else 0.0)
        zero[0] = False
        r[zero] = 0.0

        # corporate actions (session indices)
        splits: list[tuple[int, float, float]] = []
        div_idx = np.zeros(0, dtype=np.int64)
        q = 0.0  # quarterly dividend yield
        if not bond and inst.type in (TYPE_STOCK, TYPE_ETF, TYPE_PREFERRED) and n > 400:
            if unit("split", code) < 0.15:
                k = 250 + int(unit("split-day", code) * (n - 300))
                ratios = [(2, 1), (3, 1), (4, 1), (3, 2), (5, 1), (2, 1), (10, 1), (1, 10)]
                new, old = ratios[stable_int("split-ratio", code) % len(ratios)]
                splits.append((k, float(new), float(old)))
            if unit("div", code) < 0.40:
                q = 0.002 + 0.010 * unit("div-yield", code)
                div_idx = np.arange(20 + stable_int("div-offset", code) % 63, n, 63)
                div_idx = div_idx[~zero[div_idx]]
        for day, new, old in self.actions.splits.get(code, []):
            k = _index_on_or_after(dates, day)
            if k is not None and k > 0:
                splits.append((k, new, old))
        extra_divs = []
        for day, amount in self.actions.dividends.get(code, []):
            k = _index_on_or_after(dates, day)
            if k is not None and k > 0:
                extra_divs.append((k, amount))

        div_drop = np.zeros(n)
        if len(div_idx):
            div_drop[div_idx] = math.log(1 - q)
        r = r + div_drop
        econ = np.empty((4, n))  # open, high, low, close before splits
        econ[3] = p0 * np.exp(np.cumsum(r))
        prev = np.concatenate(([p0], econ[3, :-1]))
        econ[0] = prev * np.exp(div_drop + sigma * 0.5 * (uniforms[1] - 0.5))
        econ[1] = np.maximum(econ[0], econ[3]) * np.exp(uniforms[2] * sigma * 0.8)
        econ[2] = np.minimum(econ[0], econ[3]) * np.exp(-uniforms[3] * sigma * 0.8)

        ratio = np.ones(n)
        for k, new, old in splits:
            ratio[k] *= new / old
        raw = econ / np.cumprod(ratio)
        raw = np.maximum(np.where(raw >= 1.0, np.round(raw, 2), np.round(raw, 4)), 0.0001)
        open_, high, low, close = raw[0], raw[1], raw[2], raw[3]
        # flat bars on zero-volume days
        if zero.any():
            flat_prev = np.concatenate(([close[0]], close[:-1]))
            for a in (open_, high, low, close):
                a[zero] = flat_prev[zero]
        high = np.maximum(high, np.maximum(open_, close))
        low = np.minimum(low, np.minimum(open_, close))

        fractional = (not bond) and unit("fracvol", code) < 0.05
        if bond:
            volume = np.zeros(n)
        else:
            base = 10 ** (3 + 4 * unit("volume", code))
            volume = base * np.exp(0.5 * normals[1])
            volume = np.round(volume, 2) if fractional else np.round(volume)
            volume[zero] = 0.0

        amounts = np.round(q * close[div_idx - 1], 4) if len(div_idx) else np.zeros(0)
        dividends = list(zip(div_idx.tolist(), amounts.tolist()))
        dividends.extend(extra_divs)
        dividends.sort()
        splits.sort()
        return Path_(dates, open_, high, low, close, volume, splits, dividends, fractional)

    # ------------------------------------------------------------ adjustments
    @staticmethod
    def _action_factors(p: Path_, today: dt.date) -> dict[int, float]:
        """{j: factor applied to bars 0..j} for every action known on `today` (at index j + 1)."""
        g: dict[int, float] = {}
        for k, new, old in p.splits:
            if p.dates[k] <= today:
                g[k - 1] = g.get(k - 1, 1.0) * (old / new)
        for k, amount in p.dividends:
            if p.dates[k] <= today:
                g[k - 1] = g.get(k - 1, 1.0) * (1.0 - amount / p.close[k - 1])
        return g

    def adjustment(self, p: Path_, today: dt.date) -> np.ndarray:
        """Per bar: the product of every later action's factor known on `today`."""
        g = np.ones(len(p.dates))
        for j, f in self._action_factors(p, today).items():
            g[j] = f
        return np.cumprod(g[::-1])[::-1]

    def last_index(self, p: Path_, today: dt.date) -> int:
        """Index of the last bar on or before today (-1 when none)."""
        return bisect_right(p.dates, today) - 1

    def bars(self, inst: Instrument, today: dt.date, start: dt.date | None, end: dt.date | None) -> list[dict]:
        """Daily bars of [start, end] (inclusive) published by `today`, oldest first."""
        p = self.path(inst)
        last = self.last_index(p, today if end is None else min(today, end))
        if last < 0:
            return []
        first = 0 if start is None else _index_on_or_after(p.dates, start)
        if first is None or first > last:
            return []
        adj = self.adjustment(p, today)
        return [self._bar(p, adj, i) for i in range(first, last + 1)]

    def bar_on(self, inst: Instrument, day: dt.date, today: dt.date, *, cache: bool = True) -> dict | None:
        p = self.path(inst, cache=cache)
        i = bisect_left(p.dates, day)
        if i >= len(p.dates) or p.dates[i] != day or day > today:
            return None
        factor = 1.0  # this one bar's adjustment, multiplied in adjustment()'s order
        for j, f in sorted(self._action_factors(p, today).items(), reverse=True):
            if j >= i:
                factor *= f
        return self._bar(p, {i: factor}, i)

    @staticmethod
    def _bar(p: Path_, adj, i: int) -> dict:
        close = float(p.close[i])
        return {
            "date": p.dates[i].isoformat(),
            "open": num(p.open[i]),
            "high": num(p.high[i]),
            "low": num(p.low[i]),
            "close": num(close),
            "adjusted_close": num(close * adj[i], 4 if close * adj[i] >= 0.01 else 8),
            "volume": num(p.volume[i]),
        }

    def splits(self, inst: Instrument, today: dt.date) -> list[tuple[dt.date, float, float]]:
        p = self.path(inst)
        return [(p.dates[k], new, old) for k, new, old in p.splits if p.dates[k] <= today]

    def dividends(self, inst: Instrument, today: dt.date) -> list[dict]:
        """Dividends up to today: raw amount, split-adjusted amount, and dates."""
        p = self.path(inst)
        out = []
        for k, amount in p.dividends:
            day = p.dates[k]
            if day > today:
                continue
            later = 1.0
            for ks, new, old in p.splits:
                if ks > k and p.dates[ks] <= today:
                    later *= old / new
            declared = p.dates[max(0, k - 20)]
            record = p.dates[min(len(p.dates) - 1, k + 1)]
            payment = p.dates[min(len(p.dates) - 1, k + 15)]
            out.append(
                {
                    "date": day,
                    "value": round(amount * later, 5),
                    "unadjustedValue": amount,
                    "declarationDate": declared,
                    "recordDate": record,
                    "paymentDate": payment,
                }
            )
        return out


def _index_on_or_after(dates: list[dt.date], day: dt.date) -> int | None:
    i = bisect_left(dates, day)
    return i if i < len(dates) else None
