"""The fetcher image (k8s/Dockerfile): its file list, derived from the Dockerfile's COPY lines
and k8s/Dockerfile.dockerignore as BuildKit would apply them, holds the production code, the
migration entry point and the universe files and no test, test data or fake-server code; the
tree it describes runs the fetcher CLI and migrates an empty database. No Docker needed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.dbutil import server_url, url_for
from tests.test_k8s_manifests import K8S, ROOT, documents, pod_specs

DOCKERFILE = K8S / "Dockerfile"
DOCKERIGNORE = K8S / "Dockerfile.dockerignore"
FORBIDDEN = re.compile(
    r"(^|/)(tests?|eodhd_fake|fake_eodhd|bench|fixtures|testdata)(/|$)|(^|/)test_[^/]*$|conftest\.py$"
)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = buf.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def _pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.strip("/")
    rx = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            rx += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            rx += ".*"
            i += 2
        elif pattern[i] == "*":
            rx += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            rx += "[^/]"
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            end = pattern.index("]", i)
            rx += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
            i = end + 1
        else:
            rx += re.escape(pattern[i])
            i += 1
    return re.compile(rx + r"\Z")


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins."""
    parents = [path] + ["/".join(path.split("/")[:n]) for n in range(1, path.count("/") + 1)]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        rx = _pattern_regex(pattern.lstrip("!"))
        if any(rx.match(p) for p in parents):
            result = not negate
    return result


def dockerignore_patterns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def image_files(dockerfile: str, dockerignore: str, root: Path = ROOT) -> dict[str, Path]:
    """Image path (relative to /, WORKDIR applied) -> source file, for the final stage's COPY
    lines from the build context (COPY --from=<stage> copies build output, not context files)."""
    patterns = dockerignore_patterns(dockerignore)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    context = {rel: root / rel for rel in listed if (root / rel).is_file()}
    context = {rel: p for rel, p in context.items() if not ignored(rel, patterns)}
    files: dict[str, Path] = {}
    workdir = "/"
    stages = [i for i, (ins, _) in enumerate(instructions(dockerfile)) if ins == "FROM"]
    for index, (ins, args) in enumerate(instructions(dockerfile)):
        if ins == "FROM" and index == stages[-1]:
            files, workdir = {}, "/"
        if ins == "WORKDIR":
            workdir = args if args.startswith("/") else f"{workdir.rstrip('/')}/{args}"
        if ins not in ("COPY", "ADD") or "--from" in args:
            continue
        words = [w for w in (json.loads(args) if args.startswith("[") else args.split()) if not w.startswith("--")]
        *sources, dest = words
        dest_dir = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
        for source in sources:
            src = source.rstrip("/")
            rx = _pattern_regex(src)
            for rel, path in context.items():
                if src == ".":  # the whole context
                    files[f"{dest_dir.rstrip('/')}/{rel}"] = path
                elif rel == src or rx.match(rel):  # a file (or a glob of files)
                    files[f"{dest_dir.rstrip('/')}/{Path(rel).name}" if dest.endswith("/") else dest_dir] = path
                elif rel.startswith(src + "/") and (root / src).is_dir():  # a directory's contents
                    files[f"{dest_dir.rstrip('/')}/{rel[len(src) + 1 :]}"] = path
    return files


def forbidden(files: dict[str, Path]) -> list[str]:
    return sorted(str(src.relative_to(ROOT)) for src in files.values() if FORBIDDEN.search(str(src.relative_to(ROOT))))


def production_files() -> dict[str, Path]:
    return image_files(DOCKERFILE.read_text(), DOCKERIGNORE.read_text())


def test_the_image_holds_production_code_only():
    files = production_files()
    assert forbidden(files) == []
    expected = {f"/app/fetcher/{p.name}" for p in (ROOT / "fetcher").glob("*.py")}
    expected |= {
        f"/app/db/{p.relative_to(ROOT / 'db')}"
        for pattern in ("[0-9][0-9][0-9][0-9]_*.sql", "functions/*.sql", "aggregates/*.sql", "views/*.sql")
        for p in (ROOT / "db").glob(pattern)
    }
    expected |= {"/app/db/migrate.sh", "/app/db/grants.sql", "/app/fetcher/__main__.py", "/app/fetcher/cli.py"}
    expected |= {f"/app/config/tickers/{p.name}" for p in (ROOT / "config" / "tickers").glob("*.txt")}
    assert expected - set(files) == set()
    assert not any("fake" in f or "/tests/" in f for f in files)


@pytest.mark.parametrize(
    "dockerfile, dockerignore",
    [
        ("FROM python:3.11.14-slim\nWORKDIR /app\nCOPY . .\n", "*\n!fetcher/\n!eodhd_fake/\n"),
        ("FROM python:3.11.14-slim\nWORKDIR /app\nCOPY . .\n", "**/__pycache__\n"),
        ("FROM python:3.11.14-slim\nWORKDIR /app\nCOPY db/ db/\n", "*\n!db/\n"),
    ],
)
def test_the_file_list_check_catches_test_code(dockerfile, dockerignore):
    assert forbidden(image_files(dockerfile, dockerignore)) != []


def test_dockerignore_semantics():
    patterns = dockerignore_patterns(DOCKERIGNORE.read_text())
    assert ignored("tests/test_cli.py", patterns)
    assert ignored("eodhd_fake/server.py", patterns)
    assert ignored("fetcher/__pycache__/cli.cpython-311.pyc", patterns)
    assert not ignored("fetcher/cli.py", patterns)
    assert not ignored("db/aggregates/market.wilder.sql", patterns)
    assert ignored("db/tests/raw.land_response.sql", patterns)
    assert not ignored("db/migrate.sh", patterns)


def test_the_dockerfile_shape():
    steps = instructions(DOCKERFILE.read_text())
    text = DOCKERFILE.read_text()
    froms = [a for i, a in steps if i == "FROM"]
    assert len(froms) >= 2, "multi-stage"
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M).group(1)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), f"base not pinned to a patch release: {base}"
    users = [a for i, a in steps if i == "USER"]
    uid = int(users[-1].split(":")[0])
    assert uid != 0
    from screener_common.fetcher_task import FETCHER_UID

    from tests import airflow_support  # noqa: F401  (dags/ on sys.path)

    assert uid == FETCHER_UID
    for name in ("migrate-job.yaml", "tickers-pvc.yaml"):
        for doc in documents(K8S / name):
            for pod in pod_specs(doc):
                assert pod["securityContext"]["runAsUser"] == uid, name
    assert json.loads(next(a for i, a in steps if i == "ENTRYPOINT")) == ["python", "-m", "fetcher"]
    assert "postgresql-client" in text, "migrate.sh needs psql"


@pytest.fixture
def image_tree(tmp_path) -> Path:
    """The image's /app, laid out from the file list."""
    for dest, src in production_files().items():
        if dest.startswith("/app/"):
            target = tmp_path / dest[len("/app/") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return tmp_path


def test_the_image_tree_runs_the_fetcher_cli(image_tree):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL", "EODHD_API_TOKEN")}
    env.update(PYTHONPATH=str(image_tree), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, "-m", "fetcher", "--help"], cwd=image_tree, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "sync-universe" in out.stdout and "refresh-universe" in out.stdout
    commands = re.findall(r"^    (\S+)", out.stdout.split("commands:")[1].split("environment:")[0], re.M)
    assert "sync-universe" in commands and "serve-fake" not in commands  # no fake server in the image
    fake = subprocess.run(
        [sys.executable, "-m", "eodhd_fake", "--help"],
        cwd=image_tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fake.returncode == 1 and "No module named eodhd_fake" in fake.stderr
    assert not (image_tree / "eodhd_fake").exists()


def test_the_image_tree_migrates_an_empty_database(image_tree):
    name = f"screener_k8s_image_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        env = dict(os.environ, DATABASE_URL=url_for(name))
        first = subprocess.run(
            [str(image_tree / "db" / "migrate.sh")], env=env, capture_output=True, text=True, timeout=120
        )
        assert first.returncode == 0, first.stderr
        with psycopg.connect(url_for(name)) as conn:
            landed = conn.execute("select count(*) from pipeline.schema_migrations").fetchone()[0]
        assert landed == len(list((ROOT / "db").glob("[0-9][0-9][0-9][0-9]_*.sql")))
    finally:
        with psycopg.connect(server_url(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
