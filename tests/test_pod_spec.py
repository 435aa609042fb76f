"""The Kubernetes-mode fetcher pods, rendered without a cluster (a kube config pointing at an
unreachable server): valid labels and names, a new name per try, resources, and no secret
value anywhere in the pod."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pendulum
import pytest

from tests import airflow_support  # noqa: F401  (sets AIRFLOW_HOME before airflow is imported)

TOKEN = "tok-NEVER-IN-A-POD-4711"
DB_PASSWORD = "pw-NEVER-IN-A-POD-0815"
RUN_ID = "scheduled__2026-11-24T21:30:00+00:00"  # ':' and '+' are invalid in label values
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: fake
  context: {cluster: fake, user: fake}
current-context: fake
users:
- name: fake
  user: {token: not-a-real-token}
"""


@pytest.fixture
def kubernetes_mode(monkeypatch, tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    monkeypatch.setenv("SCREENER_EXECUTOR", "kubernetes")
    monkeypatch.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
    monkeypatch.setenv("SCREENER_FETCHER_IMAGE", "registry.example/screener-fetcher:1.0")
    monkeypatch.setenv("SCREENER_K8S_NAMESPACE", "screener")
    # Secrets that exist in Airflow's environment must never reach the pod spec.
    monkeypatch.setenv(
        "AIRFLOW_CONN_EODHD_API", json.dumps({"conn_type": "http", "host": "https://eodhd.com/api", "password": TOKEN})
    )
    monkeypatch.setenv("AIRFLOW_CONN_SCREENER_DB", f"postgresql://screener:{DB_PASSWORD}@db:5432/screener")
    monkeypatch.setenv("EODHD_API_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://screener:{DB_PASSWORD}@db:5432/screener")


def _context(dag, op, try_number: int, map_index: int = -1) -> dict:
    when = pendulum.datetime(2026, 11, 24, 21, 30, tz="UTC")
    ti = SimpleNamespace(
        dag_id=dag.dag_id,
        task_id=op.task_id,
        map_index=map_index,
        try_number=try_number,
        run_id=RUN_ID,
        xcom_pull=lambda task_ids=None, **_: [[42]],
    )  # the execution id
    return {
        "ti": ti,
        "task_instance": ti,
        "run_id": RUN_ID,
        "dag": dag,
        "task": op,
        "params": {},
        "data_interval_end": when,
        "logical_date": when,
        "ds": "2026-11-24",
        "dag_run": SimpleNamespace(run_after=when, conf={}, run_id=RUN_ID),
    }


def _render(dag, op, try_number: int, map_index: int = -1):
    import copy

    op = copy.deepcopy(op)
    context = _context(dag, op, try_number, map_index)
    op.render_template_fields(context)
    return op.build_pod_request_obj(context)


def _check_pod(pod) -> None:
    meta = pod.metadata
    assert DNS_SUBDOMAIN.match(meta.name) and len(meta.name) <= 63, meta.name
    assert meta.namespace == "screener"
    for key, value in meta.labels.items():
        assert LABEL_NAME.match(key), key
        assert len(value) <= 63 and LABEL_VALUE.match(value), (key, value)
    assert "run_id" in meta.labels  # present, and made valid
    (container,) = pod.spec.containers
    assert container.image == "registry.example/screener-fetcher:1.0"
    assert container.command == ["python", "-m", "fetcher"]
    assert container.resources.requests["cpu"] and container.resources.requests["memory"]
    assert container.resources.limits["memory"]
    env = {e.name: e for e in container.env}
    for name, key in (("DATABASE_URL", "database-url"), ("EODHD_API_TOKEN", "eodhd-api-token")):
        assert env[name].value is None
        assert env[name].value_from.secret_key_ref.key == key
        assert env[name].value_from.secret_key_ref.name == "screener-secrets"
    assert pod.spec.restart_policy == "Never"
    # no API access, non-root, read-only root file system
    assert pod.spec.service_account_name == "screener-fetcher"
    assert pod.spec.automount_service_account_token is False
    assert pod.spec.security_context.run_as_non_root is True
    assert pod.spec.security_context.seccomp_profile.type == "RuntimeDefault"
    sc = container.security_context
    assert sc.read_only_root_filesystem is True and sc.allow_privilege_escalation is False
    assert sc.capabilities.drop == ["ALL"]
    text = json.dumps(pod.to_dict(), default=str)
    assert TOKEN not in text and DB_PASSWORD not in text
    assert "api_token" not in text


def test_sync_universe_pod(kubernetes_mode):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    dag = airflow_support.dag_bag().dags["data_collection_equities"]
    op = dag.get_task("sync_universe")
    assert isinstance(op, KubernetesPodOperator)
    assert op.on_finish_action.value == "delete_succeeded_pod"
    assert op.log_pod_spec_on_failure is False
    first, retry = _render(dag, op, 1), _render(dag, op, 2)
    for pod in (first, retry):
        _check_pod(pod)
    assert first.metadata.name != retry.metadata.name
    assert "-t1-" in first.metadata.name and "-t2-" in retry.metadata.name
    assert first.spec.containers[0].args[:3] == ["sync-universe", "--as-of", "2026-11-24"]


def test_mapped_fetch_pods(kubernetes_mode):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from screener_common.fetcher_task import pod_operator_kwargs

    dag = airflow_support.dag_bag().dags["data_collection_equities"]
    mapped = dag.get_task("fetch")
    assert (
        mapped.operator_class is KubernetesPodOperator
        or getattr(mapped.operator_class, "__name__", "") == "KubernetesPodOperator"
    )
    assert mapped.partial_kwargs["pool"] == "eodhd_api"
    # One worker of the mapped task, built from the same keyword arguments the DAG uses.
    op = KubernetesPodOperator(
        task_id="fetch", arguments=["run", "--execution-id", "7"], **pod_operator_kwargs("fetch", mapped=True)
    )
    names = set()
    for map_index in (0, 1):
        for try_number in (1, 2):
            pod = _render(dag, op, try_number, map_index)
            _check_pod(pod)
            assert pod.metadata.labels["map_index"] == str(map_index)
            assert pod.metadata.labels["try_number"] == str(try_number)
            assert f"-w{map_index}-t{try_number}-" in pod.metadata.name
            names.add(pod.metadata.name)
    assert len(names) == 4


def test_refresh_and_sync_share_the_tickers_claim(kubernetes_mode, monkeypatch):
    monkeypatch.setenv("SCREENER_K8S_TICKERS_PVC", "screener-tickers")
    dag = airflow_support.dag_bag().dags["refresh_universe_weekly"]
    for task_id in ("refresh_universe", "sync_universe"):
        op = dag.get_task(task_id)
        pod = _render(dag, op, 1)
        _check_pod(pod)
        volumes = {v.name: v for v in pod.spec.volumes}
        assert volumes["tickers"].persistent_volume_claim.claim_name == "screener-tickers"
        mounts = {m.name: m.mount_path for m in pod.spec.containers[0].volume_mounts}
        assert mounts == {"tickers": "/app/config/tickers"}
    assert dag.get_task("refresh_universe").pool == "eodhd_api"


def test_safe_label_values():
    from screener_common.fetcher_task import safe_label

    for raw in (RUN_ID, "manual__2026-11-24T21:30:00.123456+00:00", "_x_", "a" * 100, "::"):
        value = safe_label(raw)
        assert len(value) <= 63 and LABEL_VALUE.match(value), (raw, value)
