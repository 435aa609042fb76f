"""The pure parts of the run loop: a claimed row and its requests, durations,
ingest error classes, the progress line."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import uuid

import pytest

from fetcher.progress import Counters, ProgressReporter
from fetcher.run import (
    LIMIT_HEADROOM,
    Runner,
    RunOptions,
    WorkItem,
    ingest_error_class,
    parse_duration,
    process_rate_limit,
)


def test_a_claimed_row_carries_the_requests_the_database_planned():
    """The requests of each kind are data (pipeline.work_kind_requests; their shapes are tested in
    db/tests/pipeline.get_work_requests.sql): the fetcher performs what claim_work hands out."""
    row = (
        1,
        str(uuid.uuid4()),
        "initial_load",
        7,
        "AAPL.US",
        "US",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 24),
        8,
        1,
        [
            {
                "endpoint": "eod",
                "code": "AAPL.US",
                "cost": 1,
                "params": {"from": "2026-11-02", "to": "2026-11-24", "period": "d", "order": "a"},
            },
            {"endpoint": "fundamentals", "code": "AAPL.US", "cost": 7, "params": {}},
        ],
    )
    got = WorkItem.from_row(row)
    assert got.kind == "initial_load" and got.planned_cost == 8
    assert [(r.endpoint, r.code, r.params, r.cost) for r in got.requests] == [
        ("eod", "AAPL.US", {"from": "2026-11-02", "to": "2026-11-24", "period": "d", "order": "a"}, 1),
        ("fundamentals", "AAPL.US", {}, 7),
    ]


def test_parse_duration():
    assert parse_duration("5m") == dt.timedelta(minutes=5)
    assert parse_duration("1h30m") == dt.timedelta(minutes=90)
    assert parse_duration("90s") == parse_duration("90") == dt.timedelta(seconds=90)
    for bad in ("", "5 minutes", "m5", "0s"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)


def test_ingest_error_classes():
    assert ingest_error_class("22P02") == ingest_error_class("23514") == "data"
    assert ingest_error_class("40P01") == ingest_error_class("57014") == "transient"
    assert ingest_error_class("42883") == ingest_error_class("42501") == "configuration"


def test_progress_line_for_a_pod_log_and_a_terminal():
    counters = Counters()
    counters.add(done=30, failed=2, requests=40, calls=300)
    clock = iter([0.0, 60.0, 60.0]).__next__
    stream = io.StringIO()
    reporter = ProgressReporter(counters, lambda: 68, stream=stream, every=5, clock=clock)
    reporter.emit()
    line = stream.getvalue()
    assert "progress: done 30 failed 2 left 68 (32%) | requests 40, calls 300 | 40 req/min, 300 calls/min" in line
    assert line.endswith("\n") and "\r" not in line

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    reporter = ProgressReporter(counters, lambda: 68, stream=tty, clock=iter([0.0, 30.0, 30.0]).__next__)
    reporter.emit()
    assert tty.getvalue().startswith("\r\x1b[K[#######.................] done 30")


# -- the token's per-minute limit shared by several processes ---------------------------------
@pytest.mark.parametrize(
    ("limit", "share", "expected"),
    [(1000, 1, 980), (1000, 2, 490), (1000, 3, 326), (1000, 4, 245), (200, 8, 24), (10, 50, 1)],
)
def test_each_process_gets_its_share_of_the_limit_under_the_headroom(limit, share, expected):
    assert process_rate_limit(limit, share) == expected
    assert process_rate_limit(limit, share) * share <= limit * LIMIT_HEADROOM or expected == 1


@pytest.mark.parametrize(("limit", "share"), [(1000, 0), (1000, -2), (0, 1)])
def test_a_share_or_limit_below_one_is_refused(limit, share):
    with pytest.raises(ValueError, match="must be positive"):
        process_rate_limit(limit, share)


def test_the_run_command_takes_the_share_from_the_flag_else_the_environment():
    from fetcher.cli import build_parser
    from fetcher.config import Config, ConfigError

    parser = build_parser()
    assert parser.parse_args(["run", "--execution-id", "1", "--rate-share", "4"]).rate_share == 4
    assert parser.parse_args(["run", "--execution-id", "1"]).rate_share is None
    for bad in ("0", "-1", "two"):
        with pytest.raises(SystemExit):
            parser.parse_args(["run", "--execution-id", "1", "--rate-share", bad])

    env = {"DATABASE_URL": "postgresql://u@h/db", "EODHD_API_TOKEN": "t"}
    assert Config.from_env(env).rate_share == 1
    config = Config.from_env({**env, "EODHD_RATE_SHARE": "3"})
    assert config.rate_share == 3
    for bad in ("0", "x"):
        with pytest.raises(ConfigError, match="EODHD_RATE_SHARE"):
            Config.from_env({**env, "EODHD_RATE_SHARE": bad})

    # the limiter a runner builds: the flag wins over the environment
    assert Runner(config, RunOptions(execution_id=1)).client.limiter.per_minute == 326
    assert Runner(config, RunOptions(execution_id=1, rate_share=4)).client.limiter.per_minute == 245
    assert Runner(Config.from_env(env), RunOptions(execution_id=1)).client.limiter.per_minute == 980


def test_retry_attempts_and_backoff_come_from_the_environment():
    from fetcher.config import Config, ConfigError
    from fetcher.run import Runner, RunOptions

    env = {"DATABASE_URL": "postgresql://x@/db", "EODHD_API_TOKEN": "t"}
    default = Runner(Config.from_env(env), RunOptions(execution_id=1)).client.retry
    assert (default.max_attempts, default.backoff_base, default.backoff_cap) == (6, 0.5, 30.0)
    tuned = Runner(
        Config.from_env({**env, "EODHD_RETRY_ATTEMPTS": "2", "EODHD_RETRY_BACKOFF": "0.01"}), RunOptions(execution_id=1)
    ).client.retry
    assert (tuned.max_attempts, tuned.backoff_base) == (2, 0.01)
    assert (
        Runner(Config.from_env({**env, "EODHD_READ_TIMEOUT": "2.5"}), RunOptions(execution_id=1)).client.read_timeout
        == 2.5
    )
    for name, bad in (
        ("EODHD_RETRY_ATTEMPTS", "0"),
        ("EODHD_RETRY_ATTEMPTS", "two"),
        ("EODHD_RETRY_BACKOFF", "-1"),
        ("EODHD_RETRY_BACKOFF", "31"),
        ("EODHD_RETRY_BACKOFF", "x"),
        ("EODHD_READ_TIMEOUT", "0"),
        ("EODHD_READ_TIMEOUT", "slow"),
    ):
        with pytest.raises(ConfigError, match=name):
            Config.from_env({**env, name: bad})
