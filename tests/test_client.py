"""The EODHD client against a scripted local HTTP server: retries, error classes, costs,
the rate limiter, and that the token never leaves the client."""

from __future__ import annotations

import io
import logging
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from fetcher.client import (
    Attempt,
    EodhdClient,
    RetryPolicy,
    Stopped,
    attempt_cost,
    classify_status,
    install_log_redaction,
    parse_retry_after,
)
from fetcher.ratelimit import RateLimiter

TOKEN = "TESTTOKEN-7f3a9c1e-secret"


class ScriptedServer:
    """Answers each path with the next scripted (status, body, headers); records requests."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, str, dict]]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                with outer.lock:
                    outer.requests.append((parts.path, parse_qs(parts.query)))
                    queue = outer.script.get(parts.path, [])
                    status, body, headers = (
                        queue.pop(0) if len(queue) > 1 else (queue[0] if queue else (404, "Ticker Not Found.", {}))
                    )
                data = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/api"

    def on(self, path: str, *responses: tuple) -> None:
        self.script["/api" + path] = [(r[0], r[1], r[2] if len(r) > 2 else {}) for r in responses]

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == "/api" + path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.close()


def make_client(url: str, **kw) -> tuple[EodhdClient, list[float]]:
    slept: list[float] = []
    client = EodhdClient(
        base_url=url,
        token=TOKEN,
        retry=kw.pop("retry", RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)),
        sleep=slept.append,
        rng=random.Random(7),
        connect_timeout=kw.pop("connect_timeout", 2.0),
        read_timeout=kw.pop("read_timeout", 5.0),
        **kw,
    )
    return client, slept


def test_success_sends_fmt_json_and_token_but_stores_neither_token(server):
    server.on("/eod/AAPL.US", (200, '[{"date":"2026-11-24","close":1}]'))
    client, _ = make_client(server.url)
    result = client.get(
        "eod", "AAPL.US", {"from": "2026-11-01", "to": "2026-11-24", "period": "d", "order": "a"}, cost=1
    )
    assert result.ok and result.status == 200 and result.cost == 1
    assert result.body == '[{"date":"2026-11-24","close":1}]'
    path, query = server.requests[0]
    assert path == "/api/eod/AAPL.US"
    assert query["fmt"] == ["json"] and query["api_token"] == [TOKEN] and query["order"] == ["a"]
    assert result.params == {"from": "2026-11-01", "to": "2026-11-24", "period": "d", "order": "a", "fmt": "json"}
    assert TOKEN not in repr(result)


def test_code_is_quoted_in_the_path(server):
    server.on("/fundamentals/M%26G.LSE", (200, "{}"))
    client, _ = make_client(server.url)
    assert client.get("fundamentals", "M&G.LSE", cost=10).status == 200
    assert server.count("/fundamentals/M%26G.LSE") == 1


def test_429_storm_and_5xx_are_retried_to_success_each_attempt_reported(server):
    server.on(
        "/eod/MSFT.US",
        (429, "Too Many Requests", {"Retry-After": "2"}),
        (429, "Too Many Requests"),
        (503, "<html>Service Unavailable</html>"),
        (200, "[]"),
    )
    client, slept = make_client(server.url, retry=RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_cap=0.05))
    retried: list[Attempt] = []
    result = client.get("eod", "MSFT.US", on_retry=retried.append, cost=1)
    assert result.ok and result.attempt == 4 and result.final
    assert [a.status for a in retried] == [429, 429, 503]
    assert all(a.error_class == "transient" and not a.final for a in retried)
    assert [a.cost for a in retried] == [0, 0, 1] and result.cost == 1
    assert slept[0] >= 2.0, "Retry-After: 2 must be honoured"
    assert all(s <= 0.05 for s in slept[1:]), "without Retry-After: jittered backoff under the cap"
    assert server.count("/eod/MSFT.US") == 4


def test_transient_gives_up_after_max_attempts(server):
    server.on("/eod/DOWN.US", (500, "Internal Server Error"))
    client, _ = make_client(server.url)
    retried: list[Attempt] = []
    result = client.get("eod", "DOWN.US", on_retry=retried.append, cost=1)
    assert result.error_class == "transient" and result.status == 500 and result.attempt == 4
    assert len(retried) == 3 and server.count("/eod/DOWN.US") == 4


@pytest.mark.parametrize(
    ("status", "body", "error_class", "cost", "stops"),
    [
        (404, "Ticker Not Found.", "permanent", 1, False),
        (
            402,
            "You exceeded your daily API requests limit.  Please contact support@eodhistoricaldata.com",
            "quota",
            0,
            True,
        ),
        (401, "Unauthenticated", "configuration", 0, True),
        (403, "Forbidden. Please contact support@eodhistoricaldata.com", "configuration", 0, True),
    ],
)
def test_error_classes_are_not_retried_and_stop_when_they_must(server, status, body, error_class, cost, stops):
    server.on("/eod/X.US", (status, body))
    client, _ = make_client(server.url)
    result = client.get("eod", "X.US", cost=1)
    assert (result.status, result.error_class, result.cost) == (status, error_class, cost)
    assert server.count("/eod/X.US") == 1, "no retry"
    assert result.error.startswith(f"HTTP {status}")
    assert client.stop.is_set() is stops
    if stops:
        with pytest.raises(Stopped):
            client.get("eod", "X.US", cost=1)
        assert server.count("/eod/X.US") == 1, "no request once stopped"


def test_a_stop_interrupts_a_thread_waiting_for_a_slot(server):
    server.on("/eod/Q.US", (200, "[]"))
    client = EodhdClient(base_url=server.url, token=TOKEN, limiter=RateLimiter(1))  # a slot a minute
    assert client.get("eod", "Q.US", cost=1).ok
    errors: list[BaseException] = []
    waiting = threading.Event()

    def second():
        waiting.set()
        try:
            client.get("eod", "Q.US", cost=1)
        except Stopped as exc:
            errors.append(exc)

    t = threading.Thread(target=second)
    t.start()
    waiting.wait(5)
    client.request_stop("quota: the provider answered 402")  # what a 402 in another thread does
    t.join(20)
    assert not t.is_alive() and len(errors) == 1 and "402" in str(errors[0])
    assert server.count("/eod/Q.US") == 1


def test_200_with_html_is_returned_as_text_for_the_ingest_to_judge(server):
    server.on("/eod/H.US", (200, "<html><body>Oops</body></html>"))
    client, _ = make_client(server.url)
    result = client.get("eod", "H.US", cost=1)
    assert result.ok and result.body == "<html><body>Oops</body></html>" and result.cost == 1


def test_a_body_echoing_the_token_is_redacted(server):
    server.on("/eod/E.US", (404, f"<html>no such page /api/eod/E.US?api_token={TOKEN}</html>"))
    client, _ = make_client(server.url)
    result = client.get("eod", "E.US", cost=1)
    assert TOKEN not in result.body and TOKEN not in result.error


def test_connection_error_is_transient_costs_nothing_and_hides_the_token():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client, _ = make_client(f"http://127.0.0.1:{port}/api")
    retried: list[Attempt] = []
    result = client.get("eod", "AAPL.US", {"from": "2020-01-01"}, on_retry=retried.append, cost=1)
    assert result.error_class == "transient" and result.status is None and result.cost == 0
    assert "ConnectionError" in result.error
    for attempt in [*retried, result]:
        assert TOKEN not in repr(attempt)
        assert "api_token=***" in attempt.error or "api_token" not in attempt.error


def test_read_timeout_is_transient_and_redacted():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    conns = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])  # accept, never answer
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        client, _ = make_client(
            f"http://127.0.0.1:{listener.getsockname()[1]}/api",
            read_timeout=0.3,
            retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
        )
        retried: list[Attempt] = []
        result = client.get("eod", "SLOW.US", on_retry=retried.append, cost=1)
        assert result.error_class == "transient" and result.status is None
        assert "Timeout" in result.error and TOKEN not in result.error
        # the request was sent: the provider may have served and charged it, so the ledger does
        assert [a.cost for a in [*retried, result]] == [1, 1]
    finally:
        stop.set()
        t.join(2)
        for c in conns:
            c.close()
        listener.close()


def test_classify_and_cost_rules():
    assert classify_status(200) is None
    assert classify_status(408) == classify_status(429) == classify_status(502) == "transient"
    assert classify_status(400) == classify_status(404) == "permanent"
    assert attempt_cost(100, 200) == 100, "the request's price, whatever it is"
    assert attempt_cost(10, 404) == 10
    assert attempt_cost(10, 503) == 10, "a 5xx reached the service: counted"
    assert attempt_cost(10, 429) == attempt_cost(10, 402) == 0
    assert attempt_cost(10, 400) == attempt_cost(10, None) == 0
    assert attempt_cost(0, 200) == 0


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)


def test_backoff_is_full_jitter_within_the_capped_exponential():
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    rng = random.Random(1)
    for attempt in range(1, 12):
        bound = min(8.0, 0.5 * 2 ** (attempt - 1))
        samples = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= s <= bound for s in samples)
        assert max(samples) > bound / 2, "full jitter spreads over the whole range"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_spaces_requests_evenly():
    clock = FakeClock()
    limiter = RateLimiter(600, clock=clock)  # 0.1 s apart
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    clock.now += 10  # idle for a while: no credit beyond the burst
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(0.1)


def test_rate_limiter_burst_and_defer():
    clock = FakeClock()
    limiter = RateLimiter(60, burst=3, clock=clock)
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 1.0])
    clock.now += 100
    limiter.defer(5.0)
    assert limiter.reserve() == pytest.approx(5.0 - 2.0)  # burst still allows 2 slots early


def test_rate_limiter_is_thread_safe_every_slot_distinct():
    clock = FakeClock()
    limiter = RateLimiter(1000, clock=clock)
    slots: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(250):
            w = limiter.reserve()
            with lock:
                slots.append(w)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    assert len(slots) == 2000
    gaps = [b - a for a, b in zip(slots, slots[1:])]
    assert min(gaps) == pytest.approx(0.06) and max(gaps) == pytest.approx(0.06)


def test_log_redaction_filter_scrubs_messages_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction(TOKEN)
        logger = logging.getLogger("fetcher.test")
        logger.warning("url was %s", f"http://x/api/eod/A.US?api_token={TOKEN}&fmt=json")
        try:
            raise RuntimeError(f"boom {TOKEN}")
        except RuntimeError:
            logger.exception("failed")
        logging.getLogger("urllib3.connectionpool").debug("GET /api/eod?api_token=%s", TOKEN)
    finally:
        root.removeHandler(handler)
    text = stream.getvalue()
    assert "api_token=***" in text and "boom ***" in text
    assert TOKEN not in text


def test_a_404_that_is_not_eodhds_is_the_providers_fault_and_free(server):
    """A wrong base URL path answers every request with a 404 page of its own: not the ticker's."""
    server.on("/eod/W.US", (404, "<html><h1>404 Not Found</h1>nginx</html>"))
    client, _ = make_client(server.url, retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01))
    retried: list[Attempt] = []
    result = client.get("eod", "W.US", on_retry=retried.append, cost=1)
    assert (result.status, result.error_class, result.cost) == (404, "transient", 0)
    assert len(retried) == 1 and retried[0].cost == 0
    server.on("/eod/T.US", (404, "<html><p>Ticker Not Found.</p></html>"))
    assert client.get("eod", "T.US", cost=1).error_class == "permanent", "EODHD's 404 in a page is still the ticker's"


def test_sent_and_unsent_requests_are_told_apart():
    import requests
    import urllib3

    from fetcher.client import request_was_sent

    refused = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.NewConnectionError(None, "refused"))
    )
    dropped = requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
    )
    assert not request_was_sent(refused)
    assert not request_was_sent(requests.exceptions.ConnectTimeout("connect timed out"))
    assert request_was_sent(requests.exceptions.ReadTimeout("read timed out"))
    assert request_was_sent(dropped)
    assert attempt_cost(10, None, sent=True) == 10 and attempt_cost(10, None) == 0
    assert attempt_cost(1, 404, body="Not Found") == 0 and attempt_cost(1, 404, body="Ticker Not Found.") == 1
