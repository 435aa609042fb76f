"""Numbers and tables for people: thousands separators, durations, aligned columns."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def integer(n) -> str:
    return "-" if n is None else f"{int(n):,}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"


def visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def table(headers: list[str], rows: list[list], *, right: set[int] = frozenset()) -> list[str]:
    """Lines of an aligned table, two spaces between columns; columns in `right` right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(visible_len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = []
        for i, v in enumerate(row):
            pad = " " * (widths[i] - visible_len(v))
            parts.append(pad + v if i in right else v + pad)
        lines.append("  ".join(parts).rstrip())
    return lines
