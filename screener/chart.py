"""`chart`: one ticker's adjusted price (candles or a line) with SMA 50/200 and Bollinger bands,
volume, RSI 14 and MACD panels, from market.stock_prices and market.technical_indicators, as a PNG."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from matplotlib.ticker import FuncFormatter

from screener.db import ScreenerError
from screener.pictures import new_figure, save_png

INDICATORS = (
    "sma_50",
    "sma_200",
    "bb_upper_20",
    "bb_middle_20",
    "bb_lower_20",
    "rsi_14",
    "macd_line",
    "macd_signal",
    "macd_hist",
)
CANDLES_UP_TO = 260  # bars: more than that and candles become unreadable, a line is drawn

# Adjusted OHLC as the indicators see them: raw price times adjusted_close / close
# (market.adjustment_factor: 1 on a zero close or yield); volume raw.
BARS_SQL = f"""
select p.trade_date,
       p.open * f.factor as open, p.high * f.factor as high, p.low * f.factor as low,
       p.adjusted_close as close, p.volume,
       {", ".join("t." + c for c in INDICATORS)}
from market.stock_prices as p
cross join lateral (select market.adjustment_factor(p.close, p.adjusted_close) as factor) as f
left join market.technical_indicators as t on t.asset_id = p.asset_id and t.trade_date = p.trade_date
where p.asset_id = %(asset_id)s and p.trade_date between %(from)s and %(to)s
order by p.trade_date
"""


@dataclass
class ChartData:
    ticker: str
    name: str | None
    currency: str | None
    dates: list[dt.date]
    columns: dict[str, np.ndarray]  # open high low close volume and INDICATORS, NaN where NULL

    def __len__(self) -> int:
        return len(self.dates)


def load(
    conn: psycopg.Connection, ticker: str, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> ChartData:
    """The bars and indicators of `ticker` between the dates (default: the last year up to its last bar)."""
    row = conn.execute(
        """select a.asset_id, a.name, a.currency, min(p.trade_date), max(p.trade_date)
           from market.assets as a left join market.stock_prices as p using (asset_id)
           where a.ticker = %s group by a.asset_id""",
        (ticker,),
    ).fetchone()
    if row is None:
        raise ScreenerError(f"unknown ticker {ticker!r}: not in market.assets (codes look like AAPL.US, BP.LSE)")
    asset_id, name, currency, first, last = row
    if first is None:
        raise ScreenerError(f"{ticker} has no price bars yet (see monitor.asset_status for why)")
    date_to = date_to or last
    date_from = date_from or date_to - dt.timedelta(days=365)
    if date_from > date_to:
        raise ScreenerError(f"empty range: --from {date_from} is after --to {date_to}")
    cur = conn.execute(BARS_SQL, {"asset_id": asset_id, "from": date_from, "to": date_to})
    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise ScreenerError(
            f"no bars for {ticker} between {date_from} and {date_to}: it has bars from {first} to {last}"
        )
    columns = {n: np.array([np.nan if r[i] is None else float(r[i]) for r in rows]) for i, n in enumerate(names) if i}
    return ChartData(ticker, name, currency, [r[0] for r in rows], columns)


def render(data: ChartData, out: Path, *, width: int = 1400, height: int = 1000, style: str = "auto") -> Path:
    """Draw the four panels into a PNG of exactly width x height pixels."""
    fig = new_figure(width, height)
    grid = fig.add_gridspec(
        4, 1, height_ratios=[5, 1.3, 1.5, 1.7], hspace=0.08, left=0.07, right=0.975, top=0.94, bottom=0.06
    )
    price = fig.add_subplot(grid[0])
    volume, rsi, macd = (fig.add_subplot(grid[i], sharex=price) for i in (1, 2, 3))
    c = data.columns
    x = np.arange(len(data))
    up = c["close"] >= c["open"]

    if style == "candle" or (style == "auto" and len(data) <= CANDLES_UP_TO):
        price.vlines(x, c["low"], c["high"], color=np.where(up, "#1a7f37", "#cf222e"), linewidth=0.8)
        body_low = np.minimum(c["open"], c["close"])
        body = np.maximum(np.abs(c["close"] - c["open"]), 1e-9)
        price.bar(x, body, bottom=body_low, width=0.7, color=np.where(up, "#2da44e", "#cf222e"), linewidth=0)
    else:
        price.plot(x, c["close"], color="#24292f", linewidth=1.0, label="adjusted close")
    price.fill_between(
        x, c["bb_lower_20"], c["bb_upper_20"], color="#54aeff", alpha=0.12, linewidth=0, label="Bollinger 20, 2σ"
    )
    price.plot(x, c["bb_upper_20"], color="#54aeff", linewidth=0.6)
    price.plot(x, c["bb_lower_20"], color="#54aeff", linewidth=0.6)
    price.plot(x, c["sma_50"], color="#bf8700", linewidth=1.2, label="SMA 50")
    price.plot(x, c["sma_200"], color="#8250df", linewidth=1.2, label="SMA 200")
    price.legend(loc="upper left", fontsize=8, framealpha=0.8, edgecolor="none", ncol=4)
    price.set_ylabel(f"adjusted price ({data.currency or '?'})")
    title = f"{data.ticker}  {data.name or ''}".strip()
    fig.suptitle(
        f"{title}   {data.dates[0]} to {data.dates[-1]}, {len(data)} bars   last {c['close'][-1]:,.2f}",
        x=0.06,
        ha="left",
        fontsize=12,
    )

    volume.bar(x, c["volume"], width=0.8, color=np.where(up, "#8ddb9f", "#ffaba8"), linewidth=0)
    volume.set_ylabel("volume")
    volume.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))

    rsi.plot(x, c["rsi_14"], color="#0969da", linewidth=1.0)
    for level in (30, 70):
        rsi.axhline(level, color="#8c959f", linewidth=0.6, linestyle="--")
    rsi.set_ylim(0, 100)
    rsi.set_yticks([30, 50, 70])
    rsi.set_ylabel("RSI 14")

    macd.bar(x, c["macd_hist"], width=0.8, color=np.where(c["macd_hist"] >= 0, "#8ddb9f", "#ffaba8"), linewidth=0)
    macd.plot(x, c["macd_line"], color="#0969da", linewidth=1.0, label="MACD 12/26")
    macd.plot(x, c["macd_signal"], color="#fb8500", linewidth=1.0, label="signal 9")
    macd.axhline(0, color="#8c959f", linewidth=0.6)
    macd.legend(loc="upper left", fontsize=8, framealpha=0.8, edgecolor="none", ncol=2)
    macd.set_ylabel("MACD")

    for ax in (price, volume, rsi, macd):
        ax.grid(True, color="#eaeef2", linewidth=0.6)
        ax.set_xlim(-1, len(data))
        if ax is not macd:
            ax.tick_params(labelbottom=False)
    ticks = np.linspace(0, len(data) - 1, min(len(data), 9)).round().astype(int)
    macd.set_xticks(ticks)
    labels = macd.set_xticklabels([data.dates[i].isoformat() for i in ticks], fontsize=8)
    if len(labels) > 1:
        labels[0].set_horizontalalignment("left")
        labels[-1].set_horizontalalignment("right")
    return save_png(fig, out)


def _compact(v: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    return f"{v:g}"
