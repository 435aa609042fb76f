"""Client-side request limiter shared by every thread of one fetcher process.

A smooth limiter (GCRA, the "virtual scheduling" form of a token bucket): requests are
spaced 60/limit seconds apart, with a small burst allowance so a thread that was busy in
the database does not lose its slot. Thread-safe; a stop event interrupts the wait.
`defer(seconds)` pushes every later slot back (used after a 429 with Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Stopped(Exception):
    """The run was told to stop while waiting for a request slot."""


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be positive, got {per_minute}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = clock()  # theoretical arrival time of the next request

    def reserve(self) -> float:
        """Reserve the next slot; returns the seconds to wait before using it (>= 0)."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat, now)
            start = max(now, tat - (self.burst - 1) * self.interval)
            self._tat = tat + self.interval
            return start - now

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Block until a request may be sent; returns the seconds waited.

        Raises Stopped when `stop` is set before or during the wait.
        """
        if stop is not None and stop.is_set():
            raise Stopped("stop requested")
        wait = self.reserve()
        if wait > 0:
            if self._sleep is not None:
                self._sleep(wait)
            elif stop is not None:
                if stop.wait(wait):
                    raise Stopped("stop requested")
            else:
                time.sleep(wait)
        return wait

    def defer(self, seconds: float) -> None:
        """No slot before now + seconds (the server asked us to back off)."""
        if seconds <= 0:
            return
        with self._lock:
            self._tat = max(self._tat, self._clock() + seconds)
