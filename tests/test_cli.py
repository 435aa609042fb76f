"""The command line as an operator meets it: `python -m fetcher ...` and `make` in subprocesses.

Exit codes, the message on stderr (never a traceback), nothing printed as a result when the
command refused. Issue 10 item 6: an unknown execution, a missing universe directory, numeric
options out of range, the top-level help, `make help` and `make clean`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from eodhd_fake import FakeEodhd
from fetcher.cli import DELIBERATELY_UNBOUNDED, EXTENSION_BOUNDS, build_parser
from tests.fetch_support import TODAY, fetcher_env, finish, plan, prepare_db

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_API = "http://127.0.0.1:9/api"  # discard port: any request fails at once
CODES = ["AAPL.US", "MSFT.US"]


def fetcher(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("EODHD_")}
        env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "fetcher", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def assert_clean_failure(result: subprocess.CompletedProcess, code: int = 2) -> None:
    """Refused with `code`, the reason on stderr, no traceback, no result on stdout."""
    assert result.returncode == code, (result.returncode, result.stdout[-1000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    assert result.stdout.strip() == "", result.stdout[-1000:]
    assert result.stderr.strip(), "no message on stderr"


def subcommands() -> dict:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


# -- run: the execution is checked before anything is fetched -------------------------------------
def _no_such_execution(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        top = conn.execute("select coalesce(max(execution_id), 0) from pipeline.process_executions").fetchone()[0]
    return top + 999


def test_run_with_an_unknown_execution_is_an_error_naming_it(db_url):
    missing = _no_such_execution(db_url)
    result = fetcher("run", "--execution-id", str(missing), env=fetcher_env(db_url, UNREACHABLE_API))
    assert_clean_failure(result, 2)
    assert f"execution {missing} does not exist" in result.stderr
    assert '"done"' not in result.stderr and "run finished" not in result.stderr


def test_run_on_a_finished_execution_has_nothing_to_do_and_calls_nothing(db_url, tmp_path):
    prepare_db(db_url, tmp_path / "tickers", CODES)
    execution_id, summary = plan(db_url, TODAY, "finished-before-the-retry")
    assert summary["planned_items"] == len(CODES)
    status = finish(db_url, execution_id, TODAY)["status"]
    assert status != "running"
    with FakeEodhd(today=TODAY) as fake:
        result = fetcher("run", "--execution-id", str(execution_id), env=fetcher_env(db_url, fake.url))
        assert fake.counts()["requests"] == 0
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"nothing to do: execution {execution_id} is {status}" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["execution_id"] == execution_id and summary["stop"].startswith("nothing to do")
    assert summary["requests"] == 0 and summary["done"] == 0


@pytest.mark.parametrize(
    ("stop_reason", "code"),
    [("quota: the provider answered 402 (daily limit spent)", 0), ("configuration: the provider answered 401", 2)],
)
def test_run_on_an_execution_whose_claiming_stopped(db_url, tmp_path, stop_reason, code):
    prepare_db(db_url, tmp_path / "tickers", CODES)
    execution_id, _ = plan(db_url, TODAY, "claiming-stopped")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "update pipeline.process_executions set claiming_stopped_at = now(), stop_reason = %s"
            " where execution_id = %s",
            (stop_reason, execution_id),
        )
    result = fetcher("run", "--execution-id", str(execution_id), env=fetcher_env(db_url, UNREACHABLE_API))
    assert result.returncode == code, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"nothing to do: execution {execution_id} stopped claiming ({stop_reason})" in result.stderr


def test_run_on_a_running_planned_execution_fetches_it(db_url, tmp_path):
    """The check lets the normal case through (the refusals above are not all it does)."""
    prepare_db(db_url, tmp_path / "tickers", CODES)
    execution_id, _ = plan(db_url, TODAY, "runs")
    with FakeEodhd(today=TODAY) as fake:
        result = fetcher(
            "run",
            "--execution-id",
            str(execution_id),
            "--threads",
            "2",
            "--lease",
            "60s",
            env=fetcher_env(db_url, fake.url),
            timeout=300,
        )
        assert fake.counts()["requests"] > 0
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["stop"] == "done" and summary["done"] == len(CODES), summary
    assert "nothing to do" not in result.stderr


# -- sync-universe: nothing to sync is an error --------------------------------------------------
def _assets(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("select count(*) from market.assets").fetchone()[0]


def test_sync_universe_from_a_missing_directory_is_an_error_naming_it(db_url, tmp_path):
    missing = tmp_path / "no-such-dir"
    result = fetcher("sync-universe", "--dir", str(missing), env=fetcher_env(db_url, UNREACHABLE_API))
    assert_clean_failure(result, 2)
    assert f"universe directory {missing} does not exist" in result.stderr
    assert _assets(db_url) == 0


def test_sync_universe_from_a_file_instead_of_a_directory_is_an_error(db_url, tmp_path):
    not_a_dir = tmp_path / "nyse.txt"
    not_a_dir.write_text("AAPL.US\n")
    result = fetcher("sync-universe", "--dir", str(not_a_dir), env=fetcher_env(db_url, UNREACHABLE_API))
    assert_clean_failure(result, 2)
    assert f"{not_a_dir} is not a directory" in result.stderr


def test_sync_universe_from_a_directory_without_universe_files_is_an_error(db_url, tmp_path):
    (tmp_path / "README").write_text("not a universe file\n")
    result = fetcher("sync-universe", "--dir", str(tmp_path), env=fetcher_env(db_url, UNREACHABLE_API))
    assert_clean_failure(result, 2)
    assert f"no universe files (<universe>.txt) in {tmp_path}" in result.stderr
    assert "nyse.txt" in result.stderr  # what it expected to find
    assert _assets(db_url) == 0


def test_sync_universe_names_the_requested_file_that_is_missing(db_url, tmp_path):
    (tmp_path / "nyse.txt").write_text("AAPL.US\n")
    result = fetcher(
        "sync-universe",
        "--dir",
        str(tmp_path),
        "--universe",
        "nyse",
        "--universe",
        "nasdaq",
        env=fetcher_env(db_url, UNREACHABLE_API),
    )
    assert_clean_failure(result, 2)
    assert f"missing universe file(s) in {tmp_path}: nasdaq.txt" in result.stderr
    assert _assets(db_url) == 0, "nothing is synced when a requested file is missing"


def test_sync_universe_names_an_unknown_universe(db_url, tmp_path):
    (tmp_path / "nyse.txt").write_text("AAPL.US\n")
    result = fetcher(
        "sync-universe", "--dir", str(tmp_path), "--universe", "moon", env=fetcher_env(db_url, UNREACHABLE_API)
    )
    assert_clean_failure(result, 2)
    assert "no universe named 'moon' in market.universes" in result.stderr


def test_sync_universe_with_a_malformed_file_is_an_error_naming_the_line(db_url, tmp_path):
    (tmp_path / "nyse.txt").write_text("AAPL.US\nnot a code\n")
    result = fetcher("sync-universe", "--dir", str(tmp_path), env=fetcher_env(db_url, UNREACHABLE_API))
    assert_clean_failure(result, 2)
    assert f"{tmp_path / 'nyse.txt'}:2: malformed EODHD code" in result.stderr


def test_sync_universe_of_a_good_directory_syncs_it(db_url, tmp_path):
    (tmp_path / "nyse.txt").write_text("# two\nAAPL.US\nMSFT.US\n")
    result = fetcher(
        "sync-universe", "--dir", str(tmp_path), "--as-of", "2026-11-02", env=fetcher_env(db_url, UNREACHABLE_API)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(json.loads(result.stdout)) == {"nyse"}
    assert _assets(db_url) == 2


def test_sync_universe_of_an_empty_file_is_an_error_unless_allow_empty(db_url, tmp_path):
    """An emptied file would deactivate its whole universe: exit 2 naming it; --allow-empty syncs it."""
    (tmp_path / "nyse.txt").write_text("AAPL.US\nMSFT.US\n")
    env = fetcher_env(db_url, UNREACHABLE_API)
    assert fetcher("sync-universe", "--dir", str(tmp_path), "--as-of", "2026-11-02", env=env).returncode == 0
    (tmp_path / "nyse.txt").write_text("# nothing listed\n")
    result = fetcher("sync-universe", "--dir", str(tmp_path), "--as-of", "2026-11-03", env=env)
    assert_clean_failure(result, 2)
    assert f"{tmp_path / 'nyse.txt'}: no EODHD code in the file" in result.stderr
    assert "deactivate all 2 active asset(s) of universe 'nyse'" in result.stderr
    assert "--allow-empty" in result.stderr
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("select count(*) from market.assets where is_active").fetchone()[0] == 2
    result = fetcher("sync-universe", "--dir", str(tmp_path), "--as-of", "2026-11-03", "--allow-empty", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["nyse"]["deactivated"] == 2


# -- numeric options: argparse errors with the usage, for every command --------------------------
OUT_OF_RANGE = [
    (["run", "--execution-id", "1", "--threads", "0"], "run", "--threads"),
    (["run", "--execution-id", "1", "--workers", "-3"], "run", "--threads/--workers"),
    (["run", "--execution-id", "1", "--threads", "many"], "run", "--threads"),
    (["run", "--execution-id", "1", "--batch", "0"], "run", "--batch"),
    (["run", "--execution-id", "1", "--lease", "0s"], "run", "--lease"),
    (["run", "--execution-id", "1", "--deadline", "0"], "run", "--deadline"),
    (["run", "--execution-id", "1", "--progress-every", "0"], "run", "--progress-every"),
    (["run", "--execution-id", "1", "--progress-every", "nan"], "run", "--progress-every"),
    (["run", "--execution-id", "1", "--rate-share", "0"], "run", "--rate-share"),
    (["run", "--execution-id", "0"], "run", "--execution-id"),
    (["run", "--execution-id", "-5"], "run", "--execution-id"),
    (["refresh-universe", "--execution-id", "0"], "refresh-universe", "--execution-id"),
    (["load-calendars", "--start", "2026-01-02", "--end", "2026-01-01"], "load-calendars", "--start"),
]


@pytest.mark.parametrize(("argv", "command", "option"), OUT_OF_RANGE, ids=[" ".join(c[0]) for c in OUT_OF_RANGE])
def test_an_option_out_of_range_is_an_argparse_error(argv, command, option):
    # a database and a token that would let a wrongly accepted value go on (and fail later,
    # differently): the usage line tells the argparse refusal from a configuration error
    env = {k: v for k, v in os.environ.items() if not k.startswith("EODHD_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        EODHD_API_TOKEN="CLI-TEST-TOKEN",
        EODHD_BASE_URL=UNREACHABLE_API,
    )
    result = fetcher(*argv, env=env, timeout=30)
    assert_clean_failure(result, 2)
    assert f"usage: python -m fetcher {command}" in result.stderr, result.stderr[-2000:]
    assert f"python -m fetcher {command}: error: " in result.stderr
    assert option in result.stderr
    assert "ValueError" not in result.stderr and "configuration:" not in result.stderr


def test_values_in_range_are_accepted():
    parser = build_parser()
    run = parser.parse_args(
        [
            "run",
            "--execution-id",
            "7",
            "--threads",
            "1",
            "--batch",
            "1",
            "--lease",
            "1s",
            "--deadline",
            "1h30m",
            "--progress-every",
            "0.5",
            "--rate-share",
            "1",
        ]
    )
    assert (run.execution_id, run.threads, run.batch, run.progress_every) == (7, 1, 1, 0.5)
    assert parser.parse_args(["run", "--execution-id", "7", "--workers", "3"]).threads == 3
    assert parser.parse_args(["refresh-universe", "--execution-id", "3"]).execution_id == 3
    calendars = parser.parse_args(["load-calendars", "--start", "2026-01-01", "--end", "2026-01-01"])
    assert calendars.start == calendars.end


def test_every_numeric_option_of_every_command_is_bounded():
    """A plain int or float type accepts 0, negatives, nan: each option needs its bounds."""
    commands = subcommands()
    assert {"run", "sync-universe", "load-calendars", "refresh-universe"} <= set(commands)
    assert "serve-fake" not in commands  # the local EODHD server is its own package: python -m eodhd_fake
    unbounded = []
    for name, parser in commands.items():
        for action in parser._actions:
            if action.type in (int, float) and (name, action.dest) not in DELIBERATELY_UNBOUNDED:
                unbounded.append(f"{name} {action.option_strings}")
    assert unbounded == []
    # and no bound refers to an option that no longer exists
    dests = {(name, a.dest) for name, parser in commands.items() for a in parser._actions}
    assert set(EXTENSION_BOUNDS) | DELIBERATELY_UNBOUNDED <= dests


# -- help ------------------------------------------------------------------------------------------
def test_help_says_what_the_tool_does_its_commands_and_environment():
    result = fetcher("--help")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    text = result.stdout
    assert "EODHD" in text and "PostgreSQL" in text
    assert "registers itself" not in text and "this file only parses" not in text  # the old developer note
    commands = subcommands()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    helps = {c.dest: c.help for c in sub._choices_actions}
    for name in commands:
        assert helps.get(name), f"{name} has no help line"
        assert re.search(rf"^\s+{re.escape(name)}\b", text, re.M), f"{name} missing from --help"
        first_words = " ".join(helps[name].split()[:3])
        assert first_words in " ".join(text.split()), f"help of {name} missing from --help"
    # every variable fetcher/config.py reads
    source = (ROOT / "fetcher" / "config.py").read_text()
    variables = set(re.findall(r'env\.get\("([A-Z_]+)"', source)) | set(
        re.findall(r'_env_\w+\(env, "([A-Z_]+)"', source)
    )
    assert {"DATABASE_URL", "EODHD_API_TOKEN", "EODHD_RATE_LIMIT"} <= variables
    for variable in variables:
        assert variable in text, f"{variable} missing from --help"
    assert "exit codes" in text


def test_each_command_help_says_what_it_does():
    for name, parser in subcommands().items():
        assert parser.description and len(parser.description.split()) >= 4, name
        result = fetcher(name, "--help")
        assert result.returncode == 0, (name, result.stderr[-1000:])
        assert " ".join(parser.description.split()[:4]) in " ".join(result.stdout.split()), name


def test_no_command_is_a_usage_error():
    result = fetcher()
    assert_clean_failure(result, 2)
    assert "usage: python -m fetcher" in result.stderr and "COMMAND" in result.stderr


# -- make ------------------------------------------------------------------------------------------
def documented_targets(makefile: Path) -> dict[str, str]:
    """target -> its `## ` comment, for every rule line carrying one (any target name)."""
    targets = {}
    for line in makefile.read_text().splitlines():
        m = re.match(r"^([^\s:#=]+)\s*:(?!=)[^#]*##\s(.*)$", line)
        if m:
            targets[m.group(1)] = m.group(2).strip()
    return targets


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_documented_target():
    targets = documented_targets(ROOT / "Makefile")
    assert len(targets) >= 10 and "test-pg16" in targets and "clean" in targets, targets
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgresql://unused@127.0.0.1:9/x"}
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    listed = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^\s+make (\S+)\s+(.*)$", line)
        assert m, f"unexpected line in make help: {line!r}"
        listed[m.group(1)] = m.group(2).strip()
    assert listed == targets


def _project_copy(root: Path, venv_target: Path | None = None) -> Path:
    """The Makefile in a scratch checkout: local-state directories, a stub scripts/db.sh."""
    project = root / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    stub = project / "scripts" / "db.sh"
    stub.write_text(
        '#!/usr/bin/env bash\necho "$@" >> "$(dirname "$0")/../db-calls"\n'
        '[[ "$1" == url ]] && echo postgresql://stub@127.0.0.1:9/stub\nexit 0\n'
    )
    stub.chmod(0o755)
    for name in (".pg", ".airflow", ".tmp"):
        (project / name / "sub").mkdir(parents=True)
        (project / name / "sub" / "file").write_text("state")
    if venv_target is None:
        (project / ".venv" / "bin").mkdir(parents=True)
        (project / ".venv" / "bin" / "python").write_text("")
    else:
        (project / ".venv").symlink_to(venv_target, target_is_directory=True)
    (project / "keep.txt").write_text("source")
    (project / "config").mkdir()
    (project / "config" / "nyse.txt").write_text("AAPL.US\n")
    return project


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("venv_is_a_link", [False, True])
def test_make_clean_removes_what_it_says_and_nothing_else(tmp_path, venv_is_a_link):
    outside = tmp_path / "shared-venv"  # a .venv link must lose the link, never its target
    (outside / "bin").mkdir(parents=True)
    (outside / "bin" / "python").write_text("")
    project = _project_copy(tmp_path, outside if venv_is_a_link else None)
    sibling = tmp_path / ".pg"
    sibling.mkdir()

    comment = documented_targets(project / "Makefile")["clean"]
    said = re.search(r"\(([^)]*)\)", comment)
    assert said, f"make clean's comment lists no paths: {comment!r}"
    paths = [p.strip() for p in said.group(1).split(",")]
    assert ".venv" in paths and ".pg" in paths

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "clean"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stop" in (project / "db-calls").read_text().split(), "the database is stopped first"
    for name in paths:
        assert not os.path.lexists(project / name), f"make clean left {name}"
    assert (project / "keep.txt").read_text() == "source"
    assert (project / "config" / "nyse.txt").exists() and (project / "Makefile").exists()
    assert sibling.is_dir(), "a directory outside the checkout was touched"
    assert (outside / "bin" / "python").exists(), "the target of a .venv link was removed"
