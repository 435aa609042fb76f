"""Progress of a fetcher run: thread-safe counters, a log line every few seconds, a bar on a TTY.

In a pod log (stderr not a terminal) one line every `every` seconds:
  progress: done 120 failed 2 left 880 (12%) | requests 131, calls 1320 | 902 req/min, 9020 calls/min
On a terminal the same, redrawn in place with a bar, and a final newline.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

log = logging.getLogger("fetcher.progress")


@dataclass
class Counters:
    done: int = 0  # items recorded as success
    failed: int = 0  # items recorded as failed (permanent, data)
    returned: int = 0  # items handed back to pending (transient, quota, configuration, stop)
    lost: int = 0  # items whose lease was lost (another worker owns them)
    requests: int = 0  # HTTP attempts sent
    calls: int = 0  # API calls they cost (the ledger's sum)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self.lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {k: getattr(self, k) for k in ("done", "failed", "returned", "lost", "requests", "calls")}


class ProgressReporter:
    """Background thread printing the progress; `left` is asked from the database."""

    def __init__(
        self,
        counters: Counters,
        left: Callable[[], int | None],
        *,
        stream: TextIO | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counters = counters
        self.left = left
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every if every is not None else (1.0 if self.tty else 10.0)
        self.clock = clock
        self.started = clock()
        self._samples: collections.deque[tuple[float, int, int]] = collections.deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_left: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.emit(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.emit()
            except Exception as exc:  # progress must never kill the run
                log.debug("progress: %s", exc)

    def rates(self, now: float, snap: dict[str, int]) -> tuple[float, float]:
        """Requests and calls per minute over the last minute (or since the start)."""
        self._samples.append((now, snap["requests"], snap["calls"]))
        while len(self._samples) > 2 and now - self._samples[0][0] > 60:
            self._samples.popleft()
        t0, r0, c0 = self._samples[0]
        if now - t0 < 1e-6:
            t0, r0, c0 = self.started, 0, 0
        span = max(now - t0, 1e-6)
        return (snap["requests"] - r0) * 60 / span, (snap["calls"] - c0) * 60 / span

    def line(self, final: bool = False) -> str:
        snap = self.counters.snapshot()
        now = self.clock()
        try:
            left = self.left()
            self._last_left = left
        except Exception:
            left = self._last_left
        req_rate, call_rate = self.rates(now, snap)
        settled = snap["done"] + snap["failed"]
        pct = ""
        if left is not None and settled + left > 0:
            pct = f" ({100 * settled / (settled + left):.0f}%)"
        left_text = "?" if left is None else str(left)
        text = (
            f"done {snap['done']} failed {snap['failed']} left {left_text}{pct}"
            f" | requests {snap['requests']}, calls {snap['calls']}"
            f" | {req_rate:.0f} req/min, {call_rate:.0f} calls/min"
        )
        if snap["returned"] or snap["lost"]:
            text += f" | returned {snap['returned']} lost {snap['lost']}"
        if final:
            text += f" | {now - self.started:.0f}s"
        if self.tty and left is not None and settled + left > 0:
            width = 24
            filled = int(width * settled / (settled + left))
            text = "[" + "#" * filled + "." * (width - filled) + "] " + text
        return text

    def emit(self, final: bool = False) -> None:
        text = self.line(final)
        if self.tty:
            self.stream.write("\r\x1b[K" + text + ("\n" if final else ""))
            self.stream.flush()
        else:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.stream.write(f"{stamp} {'finished' if final else 'progress'}: {text}\n")
            self.stream.flush()
