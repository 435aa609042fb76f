"""python -m fetcher run --execution-id N: claim work items and fetch them until done.

The loop: claim a few items (pipeline.claim_work, one short autocommit statement), hand each
to a bounded thread pool, perform the requests the database hands out with it (claim_work's
`requests`: endpoint, code, params, cost, from pipeline.work_kind_requests and
pipeline.endpoints), and for every response
one transaction:

    raw.land_response(...)               the payload and the ledger row (true cost)
    savepoint
      market.ingest_<x>(payload_id, ...) business tables (when the HTTP status is 2xx)
      pipeline.record_success/failure    token-fenced result of the item
      (or pipeline.record_part: a response that is not the item's last, its result stored on
      the item; record_success merges the parts in the database)
    release savepoint | rollback to savepoint when the fence says the lease was lost
    commit

A lost lease (record_* or heartbeat returns false) rolls back to the savepoint: the ingest's
effects and the result are dropped (the worker now holding the item writes them), but the
landed payload and the ledger row stay, because the call was made and the provider counted
it. Retried attempts (429, 5xx, timeouts) are landed as they happen, each in its own
statement, for the same reason.

Stops when no claimable work is left, on a 402 (quota: every thread stops at once; the
failure recorded with class 'quota' stops the claiming of the other processes of the run),
on 401/403 (configuration), at the deadline, or on an unexpected error. Items claimed but
not fetched are handed back with record_failure('quota' after a 402, else 'unfetched'),
which never blames the ticker. A transient failure (retries exhausted) is settled by the
database (pipeline.record_failure): handed back to pending, or, on the item's
settings.transient_claims_limit-th failed claim while the provider answers others, a
permanent failure of the ticker (backoff); when the provider fails for everyone (the run's
circuit, pipeline.check_provider_health) the run stops claiming, every worker stops and
nobody is blamed.

The process registers (pipeline.register_worker) under its worker name and shows signs of
life (pipeline.touch_worker) from its heartbeat thread: a retry of a killed worker takes its
items over at once, and so does any claim once the killed session is unseen for
settings.worker_dead_after. A lost database connection is reopened with backoff for up to
RECONNECT_WINDOW (a PostgreSQL restart), then the run gives up.

Exit code 0: done, quota or deadline (or nothing to do: the execution is already finished);
2: configuration or an execution id that does not exist; 1: an error, the provider failing
for everyone, or the database unreachable.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb

from fetcher import sql
from fetcher.client import (
    Attempt,
    EodhdClient,
    RetryPolicy,
    Stopped,
    install_log_redaction,
)
from fetcher.config import Config, redact
from fetcher.db import connect
from fetcher.progress import Counters, ProgressReporter
from fetcher.ratelimit import RateLimiter

log = logging.getLogger("fetcher.run")

EXIT_OK, EXIT_ERROR, EXIT_CONFIGURATION = 0, 1, 2
LIMIT_HEADROOM = 0.98
MAX_CONNECTION_LOSSES = 5  # connections one thread lost in a row, no statement succeeding between
RECONNECT_WINDOW = 60.0  # seconds a lost database may take to accept connections again (a restart)
RECONNECT_DELAY_CAP = 8.0
TOUCH_EVERY = 10.0  # seconds between a session's signs of life (settings.worker_dead_after: 45 s)


# -- work items and their requests -------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One HTTP request of a work item, as pipeline.claim_work hands it out."""

    endpoint: str
    code: str
    params: dict
    cost: int

    @classmethod
    def from_json(cls, value: dict) -> Request:
        return cls(value["endpoint"], value.get("code") or "", dict(value.get("params") or {}), int(value["cost"]))


@dataclass(frozen=True)
class WorkItem:
    work_item_id: int
    lease_token: str
    kind: str
    asset_id: int | None
    ticker: str | None
    exchange_code: str
    from_date: dt.date | None
    to_date: dt.date | None
    planned_cost: int
    attempt: int
    requests: tuple[Request, ...] = ()

    @classmethod
    def from_row(cls, row: tuple) -> WorkItem:
        """A row of sql.CLAIM: the item's columns, then its requests (jsonb array)."""
        *columns, requests = row
        if isinstance(requests, str):
            requests = json.loads(requests)
        return cls(*columns, requests=tuple(Request.from_json(r) for r in requests or ()))


def ingest_error_class(sqlstate: str) -> str:
    """Class of an error raised by an ingest function, from its SQLSTATE.

    22 (data exception) and 23 (integrity violation): the payload's fault -> data.
    40 (deadlock, serialization), 53 (resources), 55 (lock), 57 (cancelled): transient.
    Anything else (42: missing function or column, permissions, ...): the deployment is
    broken -> configuration, which stops the run instead of blaming every ticker.
    """
    kind = sqlstate[:2]
    if kind in ("22", "23"):
        return "data"
    if kind in ("40", "53", "55", "57"):
        return "transient"
    return "configuration"


def parse_duration(text: str) -> dt.timedelta:
    """'90s', '5m', '1h', '1h30m' or plain seconds."""
    text = text.strip().lower()
    unit = {"h": 3600, "m": 60, "s": 1}
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise argparse.ArgumentTypeError(f"not a duration (e.g. 90s, 5m, 1h): {text!r}")
        seconds = sum(float(n) * unit[u] for n, u in parts)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive: {text!r}")
    return dt.timedelta(seconds=seconds)


def process_rate_limit(per_minute: int, share: int = 1) -> int:
    """Requests a minute one process may send: its share of the token's limit, 2 % under it.

    The provider's limit is per token; `share` processes (the DAG's parallel workers, the
    bonds DAG in the same pool) fetch with one token at once, so each gets limit / share.
    Network jitter must never put limit + 1 requests into the provider's 60 s window (a 429
    costs a retry), hence LIMIT_HEADROOM. Never below 1.
    """
    if per_minute <= 0:
        raise ValueError(f"per_minute must be positive, got {per_minute}")
    if share <= 0:
        raise ValueError(f"share must be positive, got {share}")
    return max(1, int(per_minute * LIMIT_HEADROOM / share))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


# -- the runner --------------------------------------------------------------------------------
@dataclass
class RunOptions:
    execution_id: int
    threads: int = 8
    batch: int = 16
    lease: dt.timedelta = dt.timedelta(minutes=5)
    deadline: dt.timedelta | None = dt.timedelta(minutes=50)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    progress_every: float | None = None
    unavailable_after: int = 20  # consecutive items given up as transient: the provider is down
    rate_share: int | None = None  # processes sharing the token's limit (None: the config's)


class LeaseLost(Exception):
    """The item's lease was lost: another worker owns it now."""


class Runner:
    def __init__(self, config: Config, options: RunOptions, client: EodhdClient | None = None) -> None:
        self.config = config
        self.opts = options
        self.rate_share = options.rate_share or config.rate_share
        if client is None:
            client = EodhdClient(
                base_url=config.base_url,
                token=config.api_token,
                limiter=RateLimiter(process_rate_limit(config.rate_limit_per_minute, self.rate_share)),
                pool_size=options.threads + 2,
                read_timeout=config.read_timeout,
                retry=RetryPolicy(
                    max_attempts=config.retry_attempts,
                    backoff_base=config.retry_backoff,
                    backoff_cap=max(30.0, config.retry_backoff),
                ),
            )
        self.client = client
        self.counters = Counters()
        self._local = threading.local()
        self._conns: list[psycopg.Connection] = []
        self._conns_lock = threading.Lock()
        self._in_flight: dict[int, WorkItem] = {}
        self._lost: set[int] = set()
        self._flight_lock = threading.Lock()
        self._transient_streak = 0
        self._had_connection_loss = False
        self.session_id = None  # pipeline.register_worker's, once the run starts
        self.error: str | None = None

    # -- connections: one per thread (psycopg connections are not shared between threads)
    def _conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect_with_backoff()
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _connect_with_backoff(self) -> psycopg.Connection:
        """A new connection; while the server does not accept any (shutting down, starting up,
        unreachable), retry with doubling waits for up to RECONNECT_WINDOW seconds."""
        started = time.monotonic()
        delay = 0.25
        while True:
            try:
                return connect(self.config.database_url)
            except psycopg.OperationalError as exc:
                waited = time.monotonic() - started
                if waited >= RECONNECT_WINDOW:
                    raise
                pause = min(delay, RECONNECT_WINDOW - waited)
                log.warning("database not reachable (%s); trying again in %.1fs", self._db_error_text(exc), pause)
                time.sleep(pause)
                delay = min(delay * 2, RECONNECT_DELAY_CAP)

    def _reset_broken_connection(self) -> bool:
        """After a database error: when this thread's connection is gone (server restart,
        pg_terminate_backend, network), forget it so the next call opens a new one.
        True if it was broken (the caller may go on), False for any other error."""
        conn = getattr(self._local, "conn", None)
        if conn is None or not (conn.broken or conn.closed):
            return False
        self._local.conn = None
        with self._conns_lock:
            if conn in self._conns:
                self._conns.remove(conn)
        try:
            conn.close()
        except Exception:
            pass
        with self._flight_lock:
            self._had_connection_loss = True
        losses = getattr(self._local, "losses", 0) + 1
        self._local.losses = losses
        if losses >= MAX_CONNECTION_LOSSES:
            self.error = self.error or f"database: {losses} connections lost in a row"
            self.client.request_stop(self.error)
        return True

    def _db_error_text(self, exc: Exception) -> str:
        first_line = (str(exc).splitlines() or [""])[0]
        return redact(f"{type(exc).__name__}: {first_line}", self.config.api_token)

    def _close_all(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                try:
                    conn.close()
                except Exception:
                    pass
            self._conns.clear()

    # -- database calls
    def _reconnecting(self, fn, *args):
        """fn(*args); when this thread's connection is found broken, again on a new one (opened
        with backoff: a restarting server), up to MAX_CONNECTION_LOSSES losses in a row.

        For single autocommit statements (claim, a retried attempt's landing, a release): a
        statement whose connection died before the commit changed nothing.
        """
        while True:
            try:
                result = fn(*args)
            except psycopg.Error as exc:
                if not self._reset_broken_connection() or self._local.losses >= MAX_CONNECTION_LOSSES:
                    raise
                log.warning("database connection lost (%s); reconnecting", self._db_error_text(exc))
                continue
            self._local.losses = 0
            return result

    def claim(self, limit: int) -> list[WorkItem]:
        # claim_work is one statement: an answer lost with the connection leaves items
        # claimed by nobody working on them; their leases expire and they are claimed again
        return self._reconnecting(self._claim, limit)

    def _claim(self, limit: int) -> list[WorkItem]:
        with self._conn().cursor() as cur:
            cur.execute(sql.CLAIM, (self.opts.execution_id, self.opts.worker, limit, self.opts.lease))
            items = [WorkItem.from_row(row) for row in cur.fetchall()]
        with self._flight_lock:
            for item in items:
                self._in_flight[item.work_item_id] = item
        return items

    def _orphans(self) -> int:
        """Items claimed by this worker that no thread works on (only after a connection loss)."""
        with self._flight_lock:
            if not self._had_connection_loss:
                return 0
            in_flight = list(self._in_flight)
        return self._reconnecting(self._count_orphans, in_flight)

    def _count_orphans(self, in_flight: list[int]) -> int:
        with self._conn().cursor() as cur:
            cur.execute(sql.COUNT_ORPHANS, (self.opts.execution_id, self.opts.worker, in_flight))
            return cur.fetchone()[0]

    def left(self) -> int | None:
        with self._conn().cursor() as cur:
            cur.execute(sql.COUNT_LEFT, (self.opts.execution_id,))
            return cur.fetchone()[0]

    def _land(self, cur: psycopg.Cursor, item: WorkItem, a: Attempt) -> int | None:
        per_exchange = a.endpoint == "eod-bulk-last-day"
        cur.execute(
            sql.LAND,
            (
                self.opts.execution_id,
                a.endpoint,
                None if per_exchange else (a.code or item.ticker),
                a.code if per_exchange else item.exchange_code,
                Jsonb(a.params),
                a.status,
                a.body,
                a.received_at,
                a.cost,
                a.duration_ms,
                self.opts.worker,
                a.error,
            ),
        )
        return cur.fetchone()[0]

    def land_retry(self, item: WorkItem, a: Attempt) -> None:
        """A retried attempt: ledger (and payload) in its own statement, right away."""
        self._reconnecting(self._land_retry, item, a)

    def _land_retry(self, item: WorkItem, a: Attempt) -> None:
        with self._conn().cursor() as cur:
            self._land(cur, item, a)

    def _fail(self, cur: psycopg.Cursor, item: WorkItem, error_class: str, message: str, status: int | None) -> bool:
        cur.execute(
            sql.RECORD_FAILURE,
            (item.work_item_id, item.lease_token, error_class, redact(message, self.config.api_token)[:2000], status),
        )
        return bool(cur.fetchone()[0])

    def record(self, item: WorkItem, a: Attempt, last: bool, step: int, spent: tuple[int, int]) -> str:
        """Land one response and settle its effects in one transaction.

        `step`: the request's place in the item (1, 2, ...); `spent`: (API calls, attempts) of
        this request's retried attempts. The result of a request that is not the item's last is
        stored on the item (pipeline.record_part); the last goes to pipeline.record_success,
        which merges them (pipeline._merge_parts).

        Returns 'continue' (more requests to make), 'done', 'failed' (permanent, data),
        'returned' (transient, quota, configuration: the item is pending again) or 'lost'.
        The class and message of a failure are left in self._local.failure for the log.
        """
        conn = self._conn()
        outcome = "lost"
        self._local.failure = None
        with conn.transaction(), conn.cursor() as cur:
            payload_id = self._land(cur, item, a)
            try:
                with conn.transaction() as effects:
                    if a.ok and payload_id is None:  # a 2xx other than 200: nothing was landed
                        message = f"{a.endpoint} {a.code}: HTTP {a.status} without a payload"
                        fenced = self._fail(cur, item, "data", message, a.status)
                        outcome, self._local.failure = "failed", ("data", message)
                    elif a.ok:
                        cur.execute(sql.INGEST[a.endpoint], self._ingest_args(item, a, payload_id))
                        ingest = cur.fetchone()[0]
                        if isinstance(ingest, str):
                            ingest = json.loads(ingest)
                        ingest = ingest or {}
                        if ingest.get("status") == "ok":
                            part = {
                                **ingest,
                                "endpoint": a.endpoint,
                                "api_calls": spent[0] + a.cost,
                                "requests": spent[1] + 1,
                            }
                            if last:
                                fenced = self._succeed(cur, item, part)
                                outcome = "done"
                            else:
                                cur.execute(
                                    sql.RECORD_PART,
                                    (item.work_item_id, item.lease_token, step, Jsonb(part), self.opts.lease),
                                )
                                fenced = bool(cur.fetchone()[0])
                                outcome = "continue"
                        else:
                            message = f"{a.endpoint} {a.code}: {ingest.get('message') or 'data error'}"
                            fenced = self._fail(cur, item, "data", message, a.status)
                            outcome, self._local.failure = "failed", ("data", message)
                    else:
                        message = f"{a.endpoint} {a.code}: {a.error}"
                        error_class = a.error_class or "transient"
                        stopping = self._stop_class()
                        if error_class == "transient" and stopping is not None:
                            # the run stopped while this request was out (a 402 or 401 on
                            # another thread): hand it back as unfetched (or quota), never
                            # escalated against the ticker
                            error_class = stopping
                        fenced = self._fail(cur, item, error_class, message, a.status)
                        if fenced and error_class == "transient":
                            # the database decides what a transient failure is: handed back, the
                            # ticker's after settings.transient_claims_limit claims, or nobody's
                            # when the provider circuit of the run opened (claiming stops)
                            error_class, message, stop_reason = self._settled(cur, item, message)
                            if stop_reason:
                                self.client.request_stop(stop_reason)
                        outcome = "failed" if error_class in ("permanent", "data") else "returned"
                        self._local.failure = (error_class, message)
                    if not fenced:
                        outcome = "lost"
                        raise psycopg.Rollback(effects)
            except psycopg.Error as exc:
                if conn.broken or exc.sqlstate is None:
                    raise  # the connection is gone: nothing more can be written here
                # The ingest raised instead of answering data_error. The ledger row stays;
                # the item's class follows the SQLSTATE (ingest_error_class).
                error_class = ingest_error_class(exc.sqlstate)
                first_line = (str(exc).splitlines() or [""])[0]
                message = f"{a.endpoint} {a.code}: ingest raised {exc.sqlstate}: {first_line}"
                log.warning("%s", redact(message, self.config.api_token))
                if error_class == "configuration":
                    self.client.request_stop(f"configuration: the database rejected the ingest ({exc.sqlstate})")
                with conn.transaction() as effects:
                    if not self._fail(cur, item, error_class, message, a.status):
                        outcome = "lost"
                        raise psycopg.Rollback(effects) from None
                    outcome = "failed" if error_class == "data" else "returned"
                    self._local.failure = (error_class, message)
        return outcome

    @staticmethod
    def _settled(cur: psycopg.Cursor, item: WorkItem, message: str) -> tuple[str, str, str | None]:
        """How pipeline.record_failure settled a transient failure: (class, message, the run's
        stop reason when its claiming stopped)."""
        cur.execute(sql.SETTLED, (item.work_item_id,))
        error_class, last_error, stop_reason = cur.fetchone()
        if error_class != "transient":
            message = last_error or message
        return error_class, message, stop_reason

    def _succeed(self, cur: psycopg.Cursor, item: WorkItem, result: dict) -> bool:
        cur.execute(sql.RECORD_SUCCESS, (item.work_item_id, item.lease_token, Jsonb(result)))
        return bool(cur.fetchone()[0])

    @staticmethod
    def _ingest_args(item: WorkItem, a: Attempt, payload_id: int) -> tuple:
        if a.endpoint == "eod":
            return (payload_id, item.asset_id, item.to_date)
        if a.endpoint == "eod-bulk-last-day":
            return (payload_id, item.exchange_code, item.to_date)
        return (payload_id, item.asset_id)

    def _stop_class(self) -> str | None:
        """The class an unfinished item is handed back with once the run is stopping, else None."""
        if not self.client.stop.is_set():
            return None
        return "quota" if (self.client.stop_reason or "").startswith("quota") else "unfetched"

    def release(self, item: WorkItem, reason: str) -> None:
        """Hand an unfetched item back without blaming the ticker."""
        self._reconnecting(self._release, item, reason)

    def _release(self, item: WorkItem, reason: str) -> None:
        error_class = "quota" if reason.startswith("quota") else "unfetched"
        with self._conn().cursor() as cur:
            if self._fail(cur, item, error_class, f"not fetched: run stopping ({reason})", None):
                self.counters.add(returned=1)
            else:
                self.counters.add(lost=1)

    # -- one item, in a pool thread
    def process(self, item: WorkItem) -> str:
        try:
            return self._process(item)
        except psycopg.Error as exc:
            if not self._reset_broken_connection():
                raise
            # the connection died outside record() (a retried attempt's landing, a release)
            # or twice in a row: the item's result is unknown here; it keeps its lease
            # (no more heartbeats) and is claimed again when the lease expires
            log.warning(
                "work item %s (%s): database connection lost (%s); it returns after its lease",
                item.work_item_id,
                item.ticker or item.exchange_code,
                self._db_error_text(exc),
            )
            self.counters.add(lost=1)
            return "lost"
        finally:
            with self._flight_lock:
                self._in_flight.pop(item.work_item_id, None)
                self._lost.discard(item.work_item_id)

    def _record_reconnecting(self, item: WorkItem, a: Attempt, last: bool, step: int, spent: tuple[int, int]) -> str:
        """record(); when the connection is found broken, again on a new connection (opened with
        backoff), up to MAX_CONNECTION_LOSSES losses in a row.

        A connection lost before the commit rolled the transaction back: landing the same
        attempt again keeps the ledger exact. Lost during the commit itself, the attempt may
        be landed twice (the ledger overcounts by one call: the safe side) and the second
        fence reports the item as already settled ('lost', effects rolled back).
        """
        while True:
            try:
                outcome = self.record(item, a, last, step, spent)
            except psycopg.Error as exc:
                if not self._reset_broken_connection() or self._local.losses >= MAX_CONNECTION_LOSSES:
                    raise
                log.warning(
                    "work item %s (%s): database connection lost (%s); landing the response again",
                    item.work_item_id,
                    item.ticker or item.exchange_code,
                    self._db_error_text(exc),
                )
                continue
            self._local.losses = 0
            return outcome

    def _process(self, item: WorkItem) -> str:
        requests = item.requests
        if not requests:
            raise ValueError(f"work item {item.work_item_id} ({item.kind}) came without requests")
        for index, req in enumerate(requests):
            with self._flight_lock:
                if item.work_item_id in self._lost:
                    self.counters.add(lost=1)
                    return "lost"
            spent = [0, 0]  # API calls, attempts of this request's retries

            def on_retry(a: Attempt, spent: list[int] = spent) -> None:
                self.counters.add(requests=1, calls=a.cost)
                self.land_retry(item, a)
                spent[0] += a.cost
                spent[1] += 1

            try:
                a = self.client.get(req.endpoint, req.code, req.params, on_retry=on_retry, cost=req.cost)
            except Stopped as stop:
                self.release(item, str(stop))
                return "released"
            self.counters.add(requests=1, calls=a.cost)
            last = index == len(requests) - 1
            outcome = self._record_reconnecting(item, a, last, index + 1, (spent[0], spent[1]))
            if outcome == "continue":
                continue
            self._count(item, outcome, a)
            return outcome
        return "done"

    def _count(self, item: WorkItem, outcome: str, a: Attempt) -> None:
        error_class, message = getattr(self._local, "failure", None) or (None, None)
        if outcome == "done":
            self.counters.add(done=1)
        elif outcome in ("failed", "returned"):
            self.counters.add(**{outcome: 1})
            log.info(
                "work item %s (%s %s) %s: %s: %s",
                item.work_item_id,
                item.kind,
                item.ticker or item.exchange_code,
                "failed" if outcome == "failed" else "back to pending",
                error_class,
                message,
            )
        else:
            self.counters.add(lost=1)
        with self._flight_lock:
            self._local.losses = 0
            if error_class == "transient":
                self._transient_streak += 1
            elif outcome in ("done", "failed"):
                self._transient_streak = 0
            streak = self._transient_streak
        if streak >= self.opts.unavailable_after:
            self.error = f"provider unavailable: {streak} items in a row failed after retries (last: {a.error})"
            self.client.request_stop(self.error)

    # -- heartbeats, in their own thread with their own connection
    def _heartbeat_loop(self, stop: threading.Event) -> None:
        """Signs of life: the session every TOUCH_EVERY seconds at most (pipeline.touch_worker),
        the leases of the items in flight every third of the lease (pipeline.heartbeat)."""
        lease_every = max(self.opts.lease.total_seconds() / 3, 0.2)
        every = min(lease_every, TOUCH_EVERY)
        last_beat = time.monotonic()
        try:
            while not stop.wait(every):
                try:
                    self._touch()
                    if time.monotonic() - last_beat >= lease_every - 0.01:
                        last_beat = time.monotonic()
                        with self._flight_lock:
                            items = list(self._in_flight.values())
                        if items:
                            self._beat(items)
                    self._local.losses = 0
                except psycopg.Error as exc:
                    if not self._reset_broken_connection():
                        raise
                    # the next tick opens a new connection (with backoff)
                    log.warning("heartbeat: database connection lost (%s)", self._db_error_text(exc))
        except Exception as exc:
            log.error("heartbeat: %s", redact(str(exc), self.config.api_token))

    def _register(self) -> None:
        with self._conn().cursor() as cur:
            cur.execute(sql.REGISTER_WORKER, (self.opts.execution_id, self.opts.worker))
            self.session_id = cur.fetchone()[0]

    def _touch(self) -> None:
        if self.session_id is None:
            return
        with self._conn().cursor() as cur:
            cur.execute(sql.TOUCH_WORKER, (self.opts.execution_id, self.opts.worker, self.session_id))
            if not cur.fetchone()[0]:
                self.client.request_stop(f"replaced: a newer process registered as worker {self.opts.worker}")

    def _beat(self, items: list[WorkItem]) -> None:
        with self._conn().cursor() as cur:
            for item in items:
                cur.execute(sql.HEARTBEAT, (item.work_item_id, item.lease_token, self.opts.lease))
                if not cur.fetchone()[0]:
                    with self._flight_lock:
                        if item.work_item_id in self._in_flight:
                            self._lost.add(item.work_item_id)
                    log.warning("lease lost on work item %s (%s)", item.work_item_id, item.ticker or item.exchange_code)

    # -- the loop
    def run(self) -> int:
        opts = self.opts
        started = time.monotonic()
        deadline = started + opts.deadline.total_seconds() if opts.deadline else None
        stop_beats = threading.Event()
        progress = ProgressReporter(self.counters, self._left_safely, every=opts.progress_every)
        beats = threading.Thread(target=self._heartbeat_loop, args=(stop_beats,), name="heartbeat", daemon=True)
        log.info(
            "run: execution %s, worker %s, %d threads, batch %d, lease %s, limit %d/min (1/%d of %d/min)",
            opts.execution_id,
            opts.worker,
            opts.threads,
            opts.batch,
            opts.lease,
            self.client.limiter.per_minute if self.client.limiter else 0,
            self.rate_share,
            self.config.rate_limit_per_minute,
        )
        self._reconnecting(self._register)
        progress.start()
        beats.start()
        reason = "done"
        pool = cf.ThreadPoolExecutor(max_workers=opts.threads, thread_name_prefix="fetch")
        futures: set[cf.Future] = set()
        try:
            queue_limit = opts.threads + opts.batch
            empty_claim = False
            while True:
                if self.client.stop.is_set():
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    self.client.request_stop(f"deadline {opts.deadline} reached")
                    break
                room = queue_limit - len(futures)
                claimed: list[WorkItem] = []
                if room > 0:
                    claimed = self.claim(min(opts.batch, room))
                    for item in claimed:
                        futures.add(pool.submit(self.process, item))
                    empty_claim = not claimed
                    if not claimed and not futures:
                        if self._orphans():
                            # items this worker claimed but lost track of with a database
                            # connection: wait for their leases to expire and claim them again
                            self.client.stop.wait(min(1.0, opts.lease.total_seconds() / 3))
                            continue
                        break
                if not futures:
                    continue
                timeout = 1.0 if (empty_claim or room <= 0) else 0.05
                finished, futures = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
                for f in finished:
                    f.result()  # a crash of a worker ends the run
        except BaseException as exc:
            self.client.request_stop(f"error: {type(exc).__name__}")
            self.error = self.error or redact(f"{type(exc).__name__}: {exc}", self.config.api_token)
            if not isinstance(exc, Exception):
                raise
        finally:
            # in-flight requests finish and are recorded; queued items are handed back
            for f in cf.as_completed(futures):
                try:
                    f.result()
                except Exception as exc:
                    self.error = self.error or redact(f"{type(exc).__name__}: {exc}", self.config.api_token)
            pool.shutdown(wait=True)
            stop_beats.set()
            beats.join(5)
            progress.stop()
            self._close_all()
            self.client.close()
        if self.client.stop.is_set():
            reason = self.client.stop_reason or "stopped"
        provider = self._provider_stop()
        if provider:
            # the run's provider circuit opened (here or in another process): nobody was
            # blamed, the items wait for the next run, and this run is a failure
            reason = provider
            self.error = self.error or provider
        self.summary = {
            "execution_id": opts.execution_id,
            "worker": opts.worker,
            "stop": "error" if self.error and not reason.startswith(("quota", "configuration")) else reason,
            "seconds": round(time.monotonic() - started, 1),
            **self.counters.snapshot(),
        }
        if self.error:
            self.summary["error"] = self.error
        if reason.startswith("configuration"):
            log.error("run stopped: %s", reason)
            return EXIT_CONFIGURATION
        if self.error and not reason.startswith("quota"):
            log.error("run failed: %s", self.error)
            return EXIT_ERROR
        log.info("run finished: %s", reason)
        return EXIT_OK

    def _provider_stop(self) -> str | None:
        """The execution's stop reason when the provider circuit stopped it, else None."""
        try:
            with connect(self.config.database_url) as conn:
                row = conn.execute(sql.PROVIDER_STOP, (self.opts.execution_id,)).fetchone()
        except psycopg.Error:
            return None
        return row[0] if row else None

    def _left_safely(self) -> int | None:
        # the progress thread has its own connection (thread-local)
        try:
            return self.left()
        except psycopg.Error:
            self._reset_broken_connection()
            return None


# -- command line ------------------------------------------------------------------------------
def check_execution(database_url: str, execution_id: int) -> tuple[int, str] | None:
    """The start-of-run check: None when the execution exists, runs and is open for claims.

    Otherwise (exit code, message): an unknown execution is a usage error (exit 2: a wrong
    id, or the wrong database); one already finished (success, partial, failed) or whose
    claiming was stopped by a 402 leaves nothing to do (exit 0: an Airflow retry may land
    there); claiming stopped by a configuration error (401/403) exits 2 like the worker that
    met it, and by the provider circuit exits 1 (the run failed; the next run starts clean).
    """
    with connect(database_url) as conn:
        row = conn.execute(sql.EXECUTION_STATE, (execution_id,)).fetchone()
    if row is None:
        return EXIT_CONFIGURATION, (
            f"execution {execution_id} does not exist in pipeline.process_executions"
            " (pipeline.start_execution creates one; is DATABASE_URL the right database?)"
        )
    status, claiming_stopped_at, stop_reason, planned_at = row
    if status != "running":
        return EXIT_OK, f"nothing to do: execution {execution_id} is {status} (finished)"
    if claiming_stopped_at is not None:
        reason = stop_reason or "stopped"
        code = (
            EXIT_CONFIGURATION
            if reason.startswith("configuration")
            else EXIT_ERROR
            if reason.startswith("provider")
            else EXIT_OK
        )
        return code, f"nothing to do: execution {execution_id} stopped claiming ({reason})"
    if planned_at is None:
        log.warning(
            "execution %s has no plan yet (pipeline.discover_delta was not called): nothing to claim", execution_id
        )
    return None


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    install_log_redaction(config.api_token)
    refused = check_execution(config.database_url, args.execution_id)
    if refused is not None:
        code, message = refused
        if code == EXIT_OK:
            log.warning("%s", message)
            print(
                json.dumps(
                    {"execution_id": args.execution_id, "stop": message, **Counters().snapshot()}, sort_keys=True
                ),
                flush=True,
            )
        else:
            log.error("%s", message)
        return code
    options = RunOptions(
        execution_id=args.execution_id,
        threads=args.threads,
        batch=args.batch,
        lease=args.lease,
        deadline=args.deadline,
        **({"worker": args.worker_name} if args.worker_name else {}),
        **({"progress_every": args.progress_every} if args.progress_every else {}),
        rate_share=args.rate_share,
    )
    runner = Runner(config, options)
    previous = signal.getsignal(signal.SIGTERM)
    # SIGTERM (pod eviction, Airflow timeout): finish the requests in flight, hand the rest back
    signal.signal(signal.SIGTERM, lambda *_: runner.client.request_stop("terminated (SIGTERM)"))
    try:
        code = runner.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps(runner.summary, sort_keys=True), flush=True)
    return code


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="fetch the work items of a planned execution (one worker process)",
        description=(
            "Claim the work items of an execution (planned by pipeline.discover_delta), fetch them"
            " from EODHD with a pool of threads and store every response, until no work is left, the"
            " daily quota is spent (402), the deadline passes or SIGTERM. Several processes may work"
            " on one execution at once. Prints a JSON summary on stdout."
        ),
        epilog=(
            "exit codes: 0 done, quota spent, deadline reached, or nothing to do (execution already"
            " finished); 1 an error (database, provider unavailable); 2 usage or configuration"
            " (unknown execution, missing setting, token refused with 401/403)"
        ),
    )
    p.add_argument(
        "--execution-id",
        type=positive_int,
        required=True,
        dest="execution_id",
        help="the execution to work on (pipeline.process_executions)",
    )
    p.add_argument(
        "--threads", "--workers", type=positive_int, default=8, dest="threads", help="concurrent requests (default 8)"
    )
    p.add_argument("--batch", type=positive_int, default=16, help="items claimed at a time (default 16)")
    p.add_argument(
        "--lease",
        type=parse_duration,
        default=dt.timedelta(minutes=5),
        help="lease per item, e.g. 90s, 5m (default 5m)",
    )
    p.add_argument(
        "--deadline",
        type=parse_duration,
        default=dt.timedelta(minutes=50),
        help="stop claiming after this long, e.g. 50m, 1h (default 50m)",
    )
    p.add_argument("--worker-name", dest="worker_name", help="worker name in the ledger (default host:pid)")
    p.add_argument(
        "--progress-every", type=positive_float, dest="progress_every", help="seconds between progress lines"
    )
    p.add_argument(
        "--rate-share",
        type=positive_int,
        dest="rate_share",
        help="processes sharing the token's per-minute limit at once; this one sends limit/N"
        " (default EODHD_RATE_SHARE, else 1)",
    )
    p.set_defaults(func=cmd_run, needs_token=True)
