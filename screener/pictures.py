"""Shared by the pictures: a matplotlib figure of an exact pixel size (Agg, no display) and its PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

DPI = 100


def new_figure(width: int, height: int):
    if width < 300 or height < 200:
        raise ValueError(f"picture size {width}x{height} is too small (at least 300x200 pixels)")
    return plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")


def save_png(fig, out: Path) -> Path:
    """Write the PNG (creating its folder); never cropped, so the size is what was asked for."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    finally:
        plt.close(fig)
    return out
