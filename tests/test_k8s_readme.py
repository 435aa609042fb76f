"""The commands in k8s/README.md that call the project's CLIs use commands and options that
exist: `python -m fetcher ...` (and the fetcher image run with arguments) against the fetcher's
own argument parser, `airflow ...` against Airflow's, DAG ids against the DagBag; the files,
Jobs and objects the kubectl and helm lines name exist in k8s/. The same holds for the fetcher
arguments of the Job manifests."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest
import yaml

from tests import airflow_support
from tests.test_k8s_manifests import K8S, ROOT, all_documents, documents, values

README = K8S / "README.md"
IMAGE = re.compile(r"^[\w.-]+(:\d+)?/[\w./-]+:[\w.-]+$")


def command_lines(text: str) -> list[str]:
    """Shell lines of the README: fenced blocks and inline `...` spans, continuations joined,
    comments, pipes and redirections cut off."""
    lines = []
    for block in re.findall(r"```\n(.*?)```", text, re.S):
        lines += block.replace("\\\n", " ").splitlines()
    lines += re.findall(r"`([^`\n]*(?:kubectl|helm|docker|python -m fetcher)[^`\n]*)`", text)
    out = []
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def words(line: str) -> list[str]:
    try:
        tokens = shlex.split(line, comments=False)
    except ValueError:
        tokens = line.split()
    for i, t in enumerate(tokens):
        if t in ("|", "&&", ">", "2>", ";"):
            return tokens[:i]
    return tokens


def fetcher_invocations(lines: list[str]) -> list[list[str]]:
    found = []
    for line in lines:
        w = words(line)
        for i in range(len(w)):
            if w[i : i + 3] == ["python", "-m", "fetcher"] and w[i + 3 :]:  # (not a bare mention)
                found.append(w[i + 3 :])
            elif w[0] == "docker" and w[1:2] == ["run"] and IMAGE.match(w[i]):
                found.append(w[i + 1 :])
    return found


def airflow_invocations(lines: list[str]) -> list[list[str]]:
    return [
        w[w.index("--") + 2 :] for w in map(words, lines) if "--" in w and w[w.index("--") + 1 :][:1] == ["airflow"]
    ]


def fetcher_problem(args: list[str]) -> str | None:
    from fetcher.cli import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return f"python -m fetcher {' '.join(args)}: {err.getvalue().strip().splitlines()[-1]}"
    return None


def airflow_problem(args: list[str]) -> str | None:
    from airflow.cli import cli_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            cli_parser.get_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return f"airflow {' '.join(args)}: {err.getvalue().strip().splitlines()[-1]}"
    return None


def test_the_fetcher_commands_exist():
    lines = command_lines(README.read_text())
    calls = fetcher_invocations(lines)
    # the Jobs' fetcher arguments too (the image's entrypoint is python -m fetcher)
    for _, doc in all_documents():
        for pod in [doc["spec"]["template"]["spec"]] if doc["kind"] == "Job" else []:
            for c in pod["containers"]:
                if "command" not in c and IMAGE.match(c["image"]):
                    calls.append(c["args"])
    assert len(calls) >= 2
    assert [p for p in map(fetcher_problem, calls) if p] == []


def test_the_airflow_commands_and_dags_exist():
    lines = command_lines(README.read_text())
    calls = airflow_invocations(lines)
    assert len(calls) >= 5
    assert [p for p in map(airflow_problem, calls) if p] == []
    dag_ids = set(airflow_support.dag_bag().dags)
    for args in calls:
        if args[0] == "dags" and args[1] in ("unpause", "pause", "trigger", "list-runs"):
            assert args[2] in dag_ids, args
        if args[:2] == ["pools", "get"]:
            assert args[2] == "eodhd_api"


def test_the_kubectl_and_helm_lines_name_what_exists():
    text = README.read_text()
    lines = command_lines(text)
    objects = {(d["kind"].lower(), d["metadata"]["name"]) for _, d in all_documents()}
    chart = yaml.safe_load((K8S / "airflow-values.keys.yaml").read_text())["chart_version"]
    for w in map(words, lines):
        for i, t in enumerate(w):
            if t == "-f" and w[i + 1].startswith("k8s/"):
                assert (ROOT / w[i + 1]).is_file(), w[i + 1]
            if re.fullmatch(r"(job|statefulset)/[\w-]+", t):
                assert tuple(t.split("/")) in objects, t
            if t == "--version" and w[0] == "helm":
                assert w[i + 1] == chart
    for path in re.findall(r"`(k8s/[\w./-]+|[\w.-]+\.yaml)`", text):
        assert (ROOT / path).exists() or (K8S / path).exists(), path
    image = next(e["value"] for e in values()["env"] if e["name"] == "SCREENER_FETCHER_IMAGE")
    assert image in text


@pytest.mark.parametrize(
    "line, broken",
    [
        ("docker run --rm registry.example/screener-fetcher:1.0 sync-universe --dry-run", "fetcher"),
        ("kubectl exec x -- python -m fetcher runn --execution-id 1", "fetcher"),
        ("kubectl -n airflow exec airflow-scheduler-0 -- airflow pools sett eodhd_api 8 x", "airflow"),
        ("kubectl -n airflow exec airflow-scheduler-0 -- airflow dags unpause --no-such-flag x", "airflow"),
    ],
)
def test_a_wrong_option_is_caught(line, broken):
    if broken == "fetcher":
        (args,) = fetcher_invocations([line])
        assert fetcher_problem(args)
    else:
        (args,) = airflow_invocations([line])
        assert airflow_problem(args)


def test_the_job_manifests_are_covered():
    (job,) = documents(K8S / "load-calendars-job.yaml")
    assert fetcher_problem(job["spec"]["template"]["spec"]["containers"][0]["args"]) is None
    assert fetcher_problem(["load-calendars", "--exchanges", "XNYS"])
