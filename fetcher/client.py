"""The EODHD HTTP client: one session, timeouts, retries, error classes, true costs.

Every HTTP attempt is described by an `Attempt` (status, body text, duration, cost, error
class); the caller lands each one in the database (raw.land_response), retried ones too,
because the provider may count them. The client never parses or judges a 200 body: the SQL
ingest decides whether it is the expected JSON.

Error classes (docs/interfaces.md, EODHD.md):
  401, 403                       configuration  the run stops (not the ticker's fault)
  402                            quota          every worker of the run stops at once
  404 "Ticker Not Found." or
  "Exchange Not Found." (also
  inside a page), other 4xx      permanent      the ticker's failure
  408, 429, 5xx, timeouts,
  connection errors, a 404
  that is not EODHD's (a wrong
  base URL path)                 transient      retried with backoff; the last one is reported;
                                                the database's provider circuit
                                                (pipeline.check_provider_health) stops the run
                                                when they hit everyone

Cost of an attempt (what the ledger records, pipeline.api_calls.cost): the provider counts
requests it served. The price of one served request is the caller's (the request's `cost`,
from the database: pipeline.endpoints via pipeline.claim_work); which attempts are charged is
this module's rule. A 2xx (whatever the body), EODHD's 404 (the endpoint looked the code up),
a 5xx (the request reached the service) and a request sent whose answer never came back
(read timeout, connection dropped mid-answer: the provider may have served and charged it)
cost the request's price: when unsure, count, because an undercounting ledger runs into the
402 wall while an overcounting one only leaves a few calls unused. Requests refused at the
gate (401, 402, 403, 429, and other 4xx such as 400 or 408), a 404 that is not EODHD's (no
endpoint was reached) and requests never sent (connection refused, connect timeout, name
resolution) cost 0.
The local server (eodhd_fake) charges by the same rule, and tests/test_run_e2e.py
checks that the ledger equals its own count.

The token is sent as the api_token query parameter and appears nowhere else: stored
parameters leave it out, exception texts (requests puts the full URL in them) and bodies
are redacted before they leave this module.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter

from fetcher.config import redact
from fetcher.ratelimit import RateLimiter, Stopped

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 429})
# EODHD's own 404 texts (EODHD.md); any other 404 did not come from an EODHD endpoint. The same
# rule is pipeline.get_provider_fault's in the database.
EODHD_404 = re.compile(r"(ticker|exchange) not found", re.IGNORECASE)

__all__ = [
    "Attempt",
    "EodhdClient",
    "Stopped",
    "attempt_cost",
    "classify_status",
]


def is_eodhd_404(body: str | None) -> bool:
    """A 404 whose text is EODHD's "Ticker Not Found." / "Exchange Not Found." (also in a page)."""
    return bool(EODHD_404.search(body or ""))


def classify_status(status: int, body: str | None = None) -> str | None:
    """Error class of an HTTP status (and, for a 404, its body); None for success (2xx)."""
    if 200 <= status < 300:
        return None
    if status in (401, 403):
        return "configuration"
    if status == 402:
        return "quota"
    if status in TRANSIENT_STATUSES or status >= 500:
        return "transient"
    if status == 404 and body is not None and not is_eodhd_404(body):
        return "transient"  # not EODHD's answer: a wrong base URL or a proxy, not the ticker
    return "permanent"


def attempt_cost(price: int, status: int | None, *, sent: bool = False, body: str | None = None) -> int:
    """The true cost of one attempt of a request whose served price is `price` (the module
    docstring has the rule): the price or 0.

    status None: no answer; `sent` says whether the request left (a read timeout, a connection
    dropped mid-answer: counted) or never did (refused, connect timeout: free).
    """
    if status is None:
        return price if sent else 0
    if 400 <= status < 500 and status != 404:
        return 0
    if status == 404 and body is not None and not is_eodhd_404(body):
        return 0
    return price


def request_was_sent(exc: requests.RequestException) -> bool:
    """Whether the request reached the wire before it failed (the provider may have served it).

    Not sent: a connect timeout, a refused connection, a name that does not resolve (urllib3's
    NewConnectionError under requests' ConnectionError). Anything else (read timeout, the
    connection reset or closed mid-answer, a broken chunked body) happened after sending.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", cause)
        if isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError)):
            return False
        if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
            return False
    return True


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


@dataclass
class Attempt:
    """One HTTP attempt, as the ledger and the landing need it (never the token)."""

    endpoint: str
    code: str | None
    params: dict
    attempt: int
    status: int | None
    body: str | None
    received_at: dt.datetime
    duration_ms: int
    cost: int
    error_class: str | None
    error: str | None = None
    retry_after: float | None = None
    final: bool = True

    @property
    def ok(self) -> bool:
        return self.error_class is None


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(cap, base * 2^(attempt-1)))."""
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))


@dataclass
class EodhdClient:
    """Thread-safe EODHD client; share one instance (one requests.Session) in a process."""

    base_url: str
    token: str = field(repr=False)
    limiter: RateLimiter | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 16
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(4, self.pool_size), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "screener-fetcher"
        self.stop_reason: str | None = None
        self._stop_lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------
    def get(
        self,
        endpoint: str,
        code: str | None = None,
        params: dict | None = None,
        on_retry: Callable[[Attempt], None] | None = None,
        *,
        cost: int,
    ) -> Attempt:
        """GET one endpoint with retries; returns the final attempt.

        `cost`: API calls one served request costs (the request's price from the database:
        pipeline.endpoints); each attempt is charged it or 0 (attempt_cost).

        Retried attempts are handed to `on_retry` (to be landed) before the next one starts.
        Raises Stopped when the run is stopping before a request was sent.
        """
        clean = {k: v for k, v in (params or {}).items() if v is not None and k != "api_token"}
        clean["fmt"] = "json"
        url = f"{self.base_url}/{endpoint}" + (f"/{quote(code, safe='')}" if code else "")
        attempt_no = 0
        while True:
            attempt_no += 1
            if self.stop.is_set():
                raise Stopped(self.stop_reason or "stop requested")
            if self.limiter is not None:
                try:
                    self.limiter.acquire(self.stop)
                except Stopped:
                    raise Stopped(self.stop_reason or "stop requested") from None
            result = self._attempt(url, endpoint, code, clean, attempt_no, cost)
            if result.error_class == "quota":
                self.request_stop("quota: the provider answered 402 (daily limit spent)")
            elif result.error_class == "configuration":
                self.request_stop(f"configuration: the provider answered {result.status} (token or plan)")
            if result.error_class != "transient" or attempt_no >= self.retry.max_attempts:
                return result
            result.final = False
            if on_retry is not None:
                on_retry(result)
            delay = self.retry.backoff(attempt_no, self.rng)
            if result.retry_after is not None:
                honoured = min(result.retry_after, self.retry.max_retry_after)
                delay = max(delay, honoured)
                if result.status == 429 and self.limiter is not None:
                    self.limiter.defer(honoured)
            log.debug(
                "%s %s: %s, retry %d/%d in %.2fs",
                endpoint,
                code or "",
                result.error,
                attempt_no,
                self.retry.max_attempts - 1,
                delay,
            )
            self._wait(delay)

    def request_stop(self, reason: str) -> None:
        """Stop every worker sharing this client (first reason wins)."""
        with self._stop_lock:
            if not self.stop.is_set():
                self.stop_reason = reason
                self.stop.set()

    def close(self) -> None:
        self.session.close()

    # -- internals ------------------------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.sleep is not None:
            self.sleep(seconds)
            return
        if self.stop.wait(seconds):
            raise Stopped(self.stop_reason or "stop requested")

    def _redact(self, text: str) -> str:
        return redact(text, self.token)

    def _attempt(self, url: str, endpoint: str, code: str | None, params: dict, attempt_no: int, price: int) -> Attempt:
        started = time.monotonic()
        status: int | None = None
        body: str | None = None
        error: str | None = None
        retry_after: float | None = None
        sent = True
        try:
            response = self.session.get(
                url,
                params={**params, "api_token": self.token},
                timeout=(self.connect_timeout, self.read_timeout),
            )
            status = response.status_code
            body = response.content.decode("utf-8", errors="replace")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except requests.RequestException as exc:
            # requests' messages carry the full URL with the query string: redact, and keep
            # the exception object (whose args hold the URL) out of everything we return.
            error = self._redact(f"{type(exc).__name__}: {exc}")
            sent = request_was_sent(exc)
        duration_ms = int(round((time.monotonic() - started) * 1000))
        received_at = dt.datetime.now(dt.UTC)
        if body is not None:
            if self.token and self.token in body:
                body = body.replace(self.token, "***")
            if "\x00" in body:
                body = body.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
        if status is None:
            error_class = "transient"
        else:
            error_class = classify_status(status, body)
            if error_class is not None:
                snippet = " ".join((body or "").split())[:200]
                error = self._redact(f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}")
        return Attempt(
            endpoint=endpoint,
            code=code,
            params=dict(params),
            attempt=attempt_no,
            status=status,
            body=body,
            received_at=received_at,
            duration_ms=duration_ms,
            cost=attempt_cost(price, status, sent=sent, body=body),
            error_class=error_class,
            error=error,
            retry_after=retry_after,
        )


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = redact(message, *self.secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.msg}\n{redact(text, *self.secrets)}"
        return True


def install_log_redaction(*secrets: str) -> None:
    """Redact secrets in every record reaching the root handlers; quiet urllib3's URL logs.

    urllib3 logs each request line (with the query string, hence the token) at DEBUG.
    """
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter(list(secrets)))
