"""`status`: a terminal dashboard from the monitor views. Per exchange a bar of its active assets
by state (current / behind / owed / failing / skipped) and how many are loaded, the quota gauge
(monitor.quota_today), the last runs (monitor.execution_summary) and the top failures
(monitor.asset_status). Colours on a terminal; plain ASCII when stdout is not one."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import psycopg

from screener import monitor
from screener.formatting import duration, integer, table

# state -> (unicode char, ascii char, ANSI colour)
GLYPHS = {
    "current": ("█", "#", "32"),
    "behind": ("▓", "=", "33"),
    "owed": ("░", ".", "36"),
    "failing": ("▒", "!", "31"),
    "skipped": ("×", "x", "35"),
}
STATUS_COLOURS = {"success": "32", "partial": "33", "failed": "31", "running": "36"}


@dataclass
class Status:
    now: dt.datetime
    exchanges: list[monitor.ExchangeRow]
    quota: dict
    runs: list[dict]
    failures: list[dict]
    reasons: list[tuple[str, int]]
    seconds: float = 0.0
    totals: dict = field(default_factory=dict)


def load(conn: psycopg.Connection, *, runs: int = 8, failures: int = 8) -> Status:
    started = time.perf_counter()
    now = conn.execute("select now()").fetchone()[0]
    rows = monitor.exchanges(conn)
    status = Status(
        now,
        rows,
        monitor.quota(conn),
        monitor.runs(conn, runs),
        monitor.failures(conn, failures),
        monitor.reasons(conn),
    )
    status.totals = {k: sum(getattr(r, k) for r in rows) for k in ("active", "loaded", *monitor.STATES)}
    status.seconds = time.perf_counter() - started
    return status


class Style:
    def __init__(self, unicode: bool, colour: bool):
        self.unicode, self.colour = unicode, colour

    def paint(self, text: str, code: str | None) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def glyph(self, state: str, n: int) -> str:
        char, ascii_char, code = GLYPHS[state]
        return self.paint((char if self.unicode else ascii_char) * n, code) if n else ""


def split_bar(counts: list[int], width: int) -> list[int]:
    """Characters per segment summing to `width` (largest remainder); a non-zero count gets at least one."""
    total = sum(counts)
    if total == 0 or width <= 0:
        return [0] * len(counts)
    exact = [c * width / total for c in counts]
    chars = [int(e) for e in exact]
    for i in sorted(range(len(counts)), key=lambda i: exact[i] - chars[i], reverse=True)[: width - sum(chars)]:
        chars[i] += 1
    for i, c in enumerate(counts):
        if c and not chars[i]:
            j = max(range(len(chars)), key=lambda k: chars[k])
            if chars[j] > 1:
                chars[j] -= 1
                chars[i] = 1
    return chars


def quota_gauge(q: dict, width: int, style: Style) -> str:
    """[used|reserved|free|buffer]: the buffer is the end of the quota that plans never spend."""
    quota_total = max(int(q["daily_quota"]), 1)
    used, reserved, buffer = int(q["used"]), int(q["reserved"]), int(q["quota_buffer"])
    u = min(width, round(used * width / quota_total))
    r = min(width - u, round(reserved * width / quota_total))
    b = min(width - u - r, round(buffer * width / quota_total))
    free = width - u - r - b
    full, part, empty, buf = ("█", "▒", " ", "┄") if style.unicode else ("#", "+", " ", "-")
    colour = "31" if used + reserved > quota_total - buffer else "33" if used > 0.9 * quota_total else "32"
    return (
        "["
        + style.paint(full * u, colour)
        + style.paint(part * r, "36")
        + empty * free
        + style.paint(buf * b, "2")
        + "]"
    )


def render(s: Status, *, width: int = 100, unicode: bool = False, colour: bool = False) -> str:
    style = Style(unicode, colour)
    out: list[str] = []
    t = s.totals
    out.append(style.bold(f"screener status  {s.now.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"))
    out.append("")
    pct = f" ({100 * t['loaded'] / t['active']:.1f} %)" if t["active"] else ""
    out.append(
        style.bold("UNIVERSE")
        + f"  {integer(t['active'])} active assets, {integer(t['loaded'])} loaded{pct}: "
        + ", ".join(f"{integer(t[k])} {k}" for k in monitor.STATES)
    )
    counts_w = 8 * len(monitor.STATES)
    bar_w = max(10, width - 8 - 8 - 9 - counts_w - 12)
    header = (
        f"{'exchange':<8}{'active':>8}{'loaded':>9} {'':<{bar_w}}"
        + "".join(f"{k:>8}" for k in monitor.STATES)
        + f"{'last bar':>12}"
    )
    out.append(header)
    for r in s.exchanges:
        counts = [r.count(k) for k in monitor.STATES]
        bar = "".join(style.glyph(k, n) for k, n in zip(monitor.STATES, split_bar(counts, bar_w)))
        out.append(
            f"{r.exchange_code:<8}{integer(r.active):>8}{integer(r.loaded):>9} {bar}"
            + "".join(f"{integer(n):>8}" for n in counts)
            + f"{r.latest_bar.isoformat() if r.latest_bar else '-':>12}"
        )
    out.append(
        "legend: "
        + "  ".join(f"{style.glyph(k, 1)} {k}" for k in monitor.STATES)
        + "   (each active asset in the first state that applies, right to left)"
    )
    if s.reasons:
        out.append("reasons (monitor.asset_status.reason): " + ", ".join(f"{r} {integer(n)}" for r, n in s.reasons))

    q = s.quota
    out.append("")
    spent = int(q["used"]) + int(q["reserved"])
    out.append(
        style.bold("QUOTA") + f"  {q['utc_day']} (UTC day): used {integer(q['used'])}, reserved "
        f"{integer(q['reserved'])} of {integer(q['daily_quota'])} (buffer {integer(q['quota_buffer'])}); "
        f"{integer(q['remaining'])} left for new plans"
    )
    out.append(quota_gauge(q, max(10, width - 10), style) + f" {100 * spent / max(int(q['daily_quota']), 1):5.1f} %")

    out.append("")
    out.append(style.bold("LAST RUNS") + " (monitor.execution_summary)")
    if s.runs:
        rows = [
            [
                r["execution_id"],
                r["process_name"],
                r["as_of"].astimezone(dt.UTC).date().isoformat(),
                style.paint(f"{r['status']:<8}", STATUS_COLOURS.get(r["status"])),
                integer(r["items"]),
                integer(r["items_done"]),
                integer(r["items_failed"]),
                integer(r["items_cancelled"]),
                integer(r["items_open"]),
                integer(r["api_cost"]),
                duration(r["seconds"]),
                (r["stop_reason"] or "")[:40],
            ]
            for r in s.runs
        ]
        out += table(
            [
                "id",
                "process",
                "as of",
                "status",
                "items",
                "done",
                "failed",
                "cancelled",
                "open",
                "api cost",
                "duration",
                "stop reason",
            ],
            rows,
            right={0, 4, 5, 6, 7, 8, 9, 10},
        )
    else:
        out.append("  no run in the last 30 days")

    out.append("")
    out.append(style.bold("TOP FAILURES") + " (monitor.asset_status: failing or skipped, by last error)")
    if s.failures:
        err_w = max(20, width - 48)
        rows = [
            [integer(f["assets"]), f["reason"], f["example"], integer(f["max_failures"]), _clip(f["error"], err_w)]
            for f in s.failures
        ]
        out += table(["assets", "reason", "example", "max fails", "last error"], rows, right={0, 3})
    else:
        out.append("  none")
    out.append("")
    out.append(f"(read in {s.seconds:.2f} s)")
    return "\n".join(out) + "\n"


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
