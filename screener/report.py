"""`report`: the last N days of runs as one PNG: API calls per UTC day against the quota, assets
processed per day, failures by class, run durations, and the universe's freshness per exchange.
From pipeline.api_calls, pipeline.asset_processing_details, pipeline.process_executions,
pipeline.settings and monitor.asset_status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from matplotlib.ticker import FuncFormatter, MaxNLocator

from screener import monitor
from screener.pictures import new_figure, save_png

ERROR_CLASSES = ("transient", "permanent", "data", "quota", "configuration", "unclassified")
CLASS_COLOURS = {
    "transient": "#fb8500",
    "permanent": "#cf222e",
    "data": "#8250df",
    "quota": "#bf8700",
    "configuration": "#57606a",
    "unclassified": "#afb8c1",
}
STATE_COLOURS = {
    "current": "#2da44e",
    "behind": "#d4a72c",
    "owed": "#54aeff",
    "failing": "#cf222e",
    "skipped": "#8250df",
}
STATUS_MARKERS = {
    "success": ("o", "#2da44e"),
    "partial": ("s", "#d4a72c"),
    "failed": ("X", "#cf222e"),
    "running": ("^", "#0969da"),
}

CALLS_SQL = """
select (c.called_at at time zone 'UTC')::date as day, sum(c.cost)::bigint as cost, count(*) as requests
from pipeline.api_calls as c
where c.called_at >= %(since)s
group by 1
"""
ASSETS_SQL = """
select (d.recorded_at at time zone 'UTC')::date as day,
       count(distinct d.asset_id) filter (where d.outcome = 'success') as succeeded,
       count(distinct d.asset_id) filter (where d.outcome = 'failure') as failed
from pipeline.asset_processing_details as d
where d.recorded_at >= %(since)s
group by 1
"""
FAILURES_SQL = """
select (d.recorded_at at time zone 'UTC')::date as day, coalesce(d.error_class, 'unclassified') as error_class,
       count(*) as failures
from pipeline.asset_processing_details as d
where d.recorded_at >= %(since)s and d.outcome = 'failure'
group by 1, 2
"""
RUNS_SQL = """
select x.execution_id, x.process_name, x.status, x.started_at,
       extract(epoch from coalesce(x.finished_at, now()) - x.started_at)::float8 as seconds
from pipeline.process_executions as x
where x.started_at >= %(since)s
order by x.started_at
"""


@dataclass
class ReportData:
    days: list[dt.date]
    daily_quota: int
    quota_buffer: int
    api_cost: np.ndarray
    assets_succeeded: np.ndarray
    assets_failed: np.ndarray
    failures: dict[str, np.ndarray]  # error class -> per day
    runs: list[dict]
    exchanges: list[monitor.ExchangeRow]

    @property
    def totals(self) -> dict:
        return {
            "api_cost": int(self.api_cost.sum()),
            "assets_succeeded": int(self.assets_succeeded.sum()),
            "failures": {k: int(v.sum()) for k, v in self.failures.items()},
            "runs": len(self.runs),
        }


def load(conn: psycopg.Connection, days: int = 30, until: dt.date | None = None) -> ReportData:
    """The `days` UTC days ending with `until` (default: today, UTC)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    until = until or conn.execute("select (now() at time zone 'UTC')::date").fetchone()[0]
    day_list = [until - dt.timedelta(days=days - 1 - i) for i in range(days)]
    since = dt.datetime.combine(day_list[0], dt.time(), tzinfo=dt.UTC)
    index = {d: i for i, d in enumerate(day_list)}
    params = {"since": since}

    def per_day(rows, column) -> np.ndarray:
        a = np.zeros(days)
        for r in rows:
            if r["day"] in index:
                a[index[r["day"]]] = r[column]
        return a

    calls = _dicts(conn.execute(CALLS_SQL, params))
    assets = _dicts(conn.execute(ASSETS_SQL, params))
    failures = {k: np.zeros(days) for k in ERROR_CLASSES}
    for r in _dicts(conn.execute(FAILURES_SQL, params)):
        if r["day"] in index:
            failures.setdefault(r["error_class"], np.zeros(days))[index[r["day"]]] = r["failures"]
    runs = [r for r in _dicts(conn.execute(RUNS_SQL, params)) if (r["started_at"].astimezone(dt.UTC).date() <= until)]
    quota, buffer = conn.execute("select daily_quota, quota_buffer from pipeline.settings").fetchone()
    return ReportData(
        day_list,
        int(quota),
        int(buffer),
        per_day(calls, "cost"),
        per_day(assets, "succeeded"),
        per_day(assets, "failed"),
        failures,
        runs,
        monitor.exchanges(conn),
    )


def render(data: ReportData, out: Path, *, width: int = 1600, height: int = 1200) -> Path:
    fig = new_figure(width, height)
    grid = fig.add_gridspec(
        3, 2, height_ratios=[1, 1, 1.1], hspace=0.42, wspace=0.24, left=0.06, right=0.985, top=0.92, bottom=0.05
    )
    x = np.arange(len(data.days))
    t = data.totals
    fig.suptitle(
        f"Pipeline report  {data.days[0]} to {data.days[-1]} (UTC days)   {t['runs']} runs, "
        f"{t['api_cost']:,} API calls, {t['assets_succeeded']:,} asset results, "
        f"{sum(t['failures'].values()):,} failures",
        x=0.06,
        ha="left",
        fontsize=13,
    )

    ax = fig.add_subplot(grid[0, 0])
    ax.bar(x, data.api_cost, color="#0969da", width=0.8, label="API calls (cost)")
    ax.axhline(data.daily_quota, color="#cf222e", linewidth=1, label=f"daily quota {data.daily_quota:,}")
    ax.axhline(
        data.daily_quota - data.quota_buffer,
        color="#cf222e",
        linewidth=0.8,
        linestyle="--",
        label=f"plans stop here (buffer {data.quota_buffer:,})",
    )
    peak = data.api_cost.max() if len(x) else 0
    ax.set_ylim(0, max(data.daily_quota, peak) * 1.12)
    for i in np.flatnonzero(data.api_cost):
        ax.annotate(
            f"{int(data.api_cost[i]):,}",
            (i, data.api_cost[i]),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            rotation=90 if len(x) > 40 else 0,
            color="#0969da",
        )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(
        f"API calls per UTC day against the quota (peak {100 * peak / data.daily_quota:.1f} %)", fontsize=10, loc="left"
    )
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncol=3)
    _day_axis(ax, data.days)

    ax = fig.add_subplot(grid[0, 1])
    ax.bar(x, data.assets_succeeded, color="#2da44e", width=0.8, label="succeeded")
    ax.bar(x, data.assets_failed, bottom=data.assets_succeeded, color="#cf222e", width=0.8, label="failed")
    ax.set_title("Assets processed per day (distinct assets with a result)", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncol=2)
    _day_axis(ax, data.days)

    ax = fig.add_subplot(grid[1, 0])
    bottom = np.zeros(len(x))
    for cls, values in data.failures.items():
        if values.any():
            ax.bar(
                x,
                values,
                bottom=bottom,
                width=0.8,
                color=CLASS_COLOURS.get(cls, "#afb8c1"),
                label=f"{cls} {int(values.sum()):,}",
            )
            bottom += values
    if not bottom.any():
        ax.text(0.5, 0.5, "no failure in the period", transform=ax.transAxes, ha="center", color="#57606a")
        ax.set_ylim(0, 1)
    else:
        ax.legend(fontsize=8, frameon=False, loc="upper left", ncol=3)
    ax.set_title("Failures by class per day (pipeline.asset_processing_details)", fontsize=10, loc="left")
    _day_axis(ax, data.days)

    ax = fig.add_subplot(grid[1, 1])
    processes = sorted({r["process_name"] for r in data.runs})
    start = dt.datetime.combine(data.days[0], dt.time(), tzinfo=dt.UTC)
    for status, (marker, colour) in STATUS_MARKERS.items():
        pts = [r for r in data.runs if r["status"] == status]
        if pts:
            ax.scatter(
                [(r["started_at"] - start).total_seconds() / 86400 - 0.5 for r in pts],
                [processes.index(r["process_name"]) for r in pts],
                s=[40 + 60 * np.log10(1 + r["seconds"]) for r in pts],
                marker=marker,
                color=colour,
                alpha=0.8,
                label=status,
                edgecolors="none",
            )
    for r in data.runs[-12:]:
        ax.annotate(
            _short_duration(r["seconds"]),
            ((r["started_at"] - start).total_seconds() / 86400 - 0.5, processes.index(r["process_name"])),
            fontsize=7,
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            color="#57606a",
        )
    ax.set_yticks(range(len(processes)))
    ax.set_yticklabels(processes, fontsize=8)
    ax.set_ylim(-0.7, max(len(processes), 1) - 0.3)
    ax.set_title("Runs: start, process, status; marker size and label = duration", fontsize=10, loc="left")
    if data.runs:
        ax.legend(fontsize=8, frameon=False, loc="lower left", ncol=4)
    else:
        ax.text(0.5, 0.5, "no run in the period", transform=ax.transAxes, ha="center", color="#57606a")
    _day_axis(ax, data.days)

    ax = fig.add_subplot(grid[2, :])
    rows = data.exchanges
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for state in monitor.STATES:
        counts = np.array([r.count(state) for r in rows], dtype=float)
        share = np.divide(100 * counts, [max(r.active, 1) for r in rows])
        ax.barh(y, share, left=left, color=STATE_COLOURS[state], height=0.7, label=f"{state} {int(counts.sum()):,}")
        left += share
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r.exchange_code} ({r.active:,})" for r in rows], fontsize=8)
    ax.set_ylim(max(len(rows), 8) - 0.5, -0.5)  # top down, bars of the same height for few exchanges
    ax.set_xlim(0, 128)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("% of active assets")
    for i, r in enumerate(rows):
        ax.text(
            101,
            i,
            f"last bar {r.latest_bar or '-'}, expected {r.expected_session or '-'}",
            va="center",
            fontsize=7,
            color="#57606a",
        )
    ax.set_title("Freshness per exchange now (monitor.asset_status)", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False, loc="lower right", ncol=5, bbox_to_anchor=(1, 1.0))
    if not rows:
        ax.text(0.5, 0.5, "no active asset", transform=ax.transAxes, ha="center", color="#57606a")
    return save_png(fig, out)


def _day_axis(ax, days: list[dt.date]) -> None:
    ax.set_xlim(-0.7, len(days) - 0.3)
    ticks = list(range(len(days) - 1, -1, -7))[::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([days[i].strftime("%m-%d") for i in ticks], fontsize=8)
    ax.grid(True, axis="y", color="#eaeef2", linewidth=0.6)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _short_duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f}s"
    return (
        f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"
    )


def _dicts(cur: psycopg.Cursor) -> list[dict]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
