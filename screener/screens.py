"""`screen`: run a saved screen (market.screens, market.run_screen) and print its rows rounded
and aligned, or as CSV or JSON. The columns shown are a few that say what the asset is, where
it trades and its price, then the screen's own `columns` (or, when it lists none, every column
of market.screener_latest that its predicate or ordering names); --all-columns shows them all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import psycopg
from psycopg import errors

from screener.db import ScreenerError
from screener.formatting import table

BASE_COLUMNS = ("ticker", "name", "exchange_code", "trade_date", "close", "change_pct")
NAME_WIDTH = 28

# decimals per column: prices (and anything in price units) 2; the rest by what the number is
_DECIMALS = {
    0: {"volume", "avg_volume_30", "avg_volume_90", "obv", "market_cap"},
    1: {
        "rsi_14",
        "rsi_14_prev",
        "stoch_k",
        "stoch_d",
        "stoch_rsi_14",
        "willr_14",
        "cci_20",
        "adx_14",
        "plus_di_14",
        "minus_di_14",
        "mfi_14",
    },
    3: {
        "macd_line",
        "macd_signal",
        "macd_hist",
        "macd_line_prev",
        "macd_signal_prev",
        "macd_hist_prev",
        "bb_percent_b_20",
        "bb_bandwidth_20",
        "volatility_30",
        "beta_252",
        "fundamentals_beta",
        "linreg_slope_20",
    },
    4: {"dividend_yield"},
}
DECIMALS = {column: n for n, columns in _DECIMALS.items() for column in columns}
INTEGER_COLUMNS = {"asset_id"}


def decimals(column: str) -> int:
    return DECIMALS.get(column, 2)


def _rows(cur: psycopg.Cursor) -> tuple[list[str], list[tuple]]:
    return [d.name for d in cur.description], cur.fetchall()


def list_screens(conn: psycopg.Connection) -> tuple[list[str], list[tuple]]:
    try:
        return _rows(
            conn.execute("select screen_name, description, predicate from market.screens order by screen_name")
        )
    except errors.UndefinedTable as exc:
        raise ScreenerError("market.screens does not exist in this database: run `make migrate`") from exc


def run(
    conn: psycopg.Connection, name: str, *, limit: int | None = None, all_columns: bool = False
) -> tuple[list[str], list[tuple]]:
    """The screen's rows (in market.run_screen's order), reduced to the columns worth showing."""
    try:
        cur = conn.execute("select * from market.screens where screen_name = %s", (name,))
        definition = dict(zip([d.name for d in cur.description], cur.fetchone() or ()))
        cur = conn.execute(
            "select * from market.run_screen(%s)" + (" limit %s" if limit is not None else ""),
            (name, limit) if limit is not None else (name,),
        )
    except errors.UndefinedTable as exc:
        raise ScreenerError("market.screens does not exist in this database: run `make migrate`") from exc
    except errors.UndefinedFunction as exc:
        raise ScreenerError("market.run_screen does not exist in this database: run `make migrate`") from exc
    except errors.InvalidParameterValue as exc:
        hint = "; `python -m screener screen --list` lists the saved screens"
        raise ScreenerError(f"{exc.diag.message_primary or str(exc).strip()}{hint}") from exc
    columns, rows = _rows(cur)
    if all_columns:
        return columns, rows
    chosen = [c for c in definition.get("columns") or () if c in columns]
    if not chosen:
        text = " ".join(v for k, v in definition.items() if k in ("predicate", "order_by") and isinstance(v, str))
        named = set(re.findall(r"[a-z_][a-z0-9_]*", text.lower()))
        chosen = [c for c in columns if c in named]
    keep = [c for c in BASE_COLUMNS if c in columns]
    keep += [c for c in dict.fromkeys(chosen) if c not in keep]
    index = [columns.index(c) for c in keep]
    return keep, [tuple(r[i] for i in index) for r in rows]


def _rounded(column: str, value):
    if isinstance(value, (float, Decimal)) and column not in INTEGER_COLUMNS:
        n = decimals(column)
        return int(round(value)) if n == 0 else round(float(value), n)
    return value


def as_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(column: str, value) -> str:
        if value is None:
            return "-"
        if isinstance(value, (float, Decimal)):
            return f"{_rounded(column, value):,.{decimals(column)}f}"
        if isinstance(value, int):
            return f"{value:,}" if column not in INTEGER_COLUMNS else str(value)
        text = str(value)
        return text if column != "name" or len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 1] + "…"

    numeric = {i for i, c in enumerate(columns) if any(isinstance(r[i], (int, float, Decimal)) for r in rows)}
    lines = table(list(columns), [[cell(c, v) for c, v in zip(columns, r)] for r in rows], right=numeric)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def as_csv(columns: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else _plain(c, v) for c, v in zip(columns, r)])
    return buf.getvalue()


def as_json(columns: list[str], rows: list[tuple]) -> str:
    def value(column: str, v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        return _rounded(column, v)

    return json.dumps([{c: value(c, v) for c, v in zip(columns, r)} for r in rows], indent=1, ensure_ascii=False) + "\n"


def _plain(column: str, v):
    if isinstance(v, (float, Decimal)):
        return f"{_rounded(column, v):.{decimals(column)}f}"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


FORMATS = {"table": as_table, "csv": as_csv, "json": as_json}
