"""Synthetic OHLCV series for the indicator tests, and loading them into market.stock_prices."""

from __future__ import annotations

import datetime as dt

import numpy as np


def business_days(n: int, start: dt.date = dt.date(2021, 1, 4)) -> list[dt.date]:
    days, d = [], start
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _ohlc_from_close(rng: np.random.Generator, close: np.ndarray, spread: float) -> dict[str, np.ndarray]:
    prev = np.concatenate([[close[0]], close[:-1]])
    open_ = prev * (1 + rng.normal(0, spread / 3, len(close)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, spread, len(close))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, spread, len(close))))
    return {"open": open_, "high": high, "low": low, "close": close}


def trending(n: int = 600, seed: int = 1) -> dict[str, np.ndarray]:
    """A long up-trend with noise; adjusted_close = close."""
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0.0015, 0.015, n)))
    bars = _ohlc_from_close(rng, close, 0.01)
    bars["volume"] = rng.integers(100_000, 5_000_000, n).astype(float)
    bars["adjusted_close"] = close.copy()
    return bars


def volatile(n: int = 420, seed: int = 2) -> dict[str, np.ndarray]:
    """Large moves, flat stretches (open = high = low = close), zero-volume days and a 2:1 split
    half-way (raw prices halve, adjusted_close does not jump)."""
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    bars = _ohlc_from_close(rng, close, 0.04)
    for start, length in ((40, 25), (200, 35), (330, 8)):
        flat = close[start - 1]
        for key in ("open", "high", "low", "close"):
            bars[key][start : start + length] = flat
    volume = rng.integers(0, 2_000_000, n).astype(float)
    volume[rng.random(n) < 0.15] = 0.0
    volume[200:235] = 0.0
    bars["volume"] = volume
    adjusted = bars["close"].copy()
    for key in ("open", "high", "low", "close"):
        bars[key][: n // 2] *= 2.0  # before the split, raw prices are twice the adjusted ones
    bars["adjusted_close"] = adjusted
    return bars


def short(n: int = 150, seed: int = 3) -> dict[str, np.ndarray]:
    """Shorter than the longest lookback (252)."""
    rng = np.random.default_rng(seed)
    close = 200 * np.exp(np.cumsum(rng.normal(-0.001, 0.02, n)))
    bars = _ohlc_from_close(rng, close, 0.015)
    bars["volume"] = rng.integers(1_000, 50_000, n).astype(float)
    bars["adjusted_close"] = close * 0.97
    return bars


def adjusted(bars: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inputs the database computes from: raw OHLC * adjusted_close / close, raw volume."""
    factor = bars["adjusted_close"] / bars["close"]
    out = {key: bars[key] * factor for key in ("open", "high", "low", "close")}
    out["volume"] = bars["volume"]
    return out


def insert_asset(conn, ticker: str, bars: dict[str, np.ndarray], dates: list[dt.date]) -> int:
    symbol, exchange = ticker.split(".")
    asset_id = conn.execute(
        "insert into market.assets (ticker, symbol, exchange_code) values (%s, %s, %s) returning asset_id",
        (ticker, symbol, exchange),
    ).fetchone()[0]
    conn.execute("insert into pipeline.asset_processing_state (asset_id) values (%s)", (asset_id,))
    write_bars(conn, asset_id, bars, dates)
    return asset_id


def write_bars(conn, asset_id: int, bars: dict[str, np.ndarray], dates: list[dt.date]) -> None:
    with conn.cursor() as cur:
        with cur.copy(
            "copy market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume) from stdin"
        ) as copy:
            for i, day in enumerate(dates):
                copy.write_row(
                    (
                        asset_id,
                        day,
                        float(bars["open"][i]),
                        float(bars["high"][i]),
                        float(bars["low"][i]),
                        float(bars["close"][i]),
                        float(bars["adjusted_close"][i]),
                        float(bars["volume"][i]),
                    )
                )
