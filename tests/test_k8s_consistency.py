"""The pod the DAGs launch in Kubernetes mode, rendered with the settings of
k8s/airflow-values.yaml (no cluster: a kube config pointing at an unreachable server), matches
the manifests: namespace, service account, image, Secret names and keys, the tickers claim, the
network-policy labels; and it passes the same checks as every manifest (Kubernetes 1.28 schema,
requests and limits, security context)."""

from __future__ import annotations

import pytest
import yaml
from kubernetes.client import ApiClient

from tests import airflow_support
from tests.test_k8s_manifests import (
    K8S,
    all_documents,
    declared_secrets,
    documents,
    pod_problems,
    secret_refs,
    validate,
    values,
)
from tests.test_pod_spec import KUBECONFIG, _render


def _selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        if expr["operator"] == "In" and labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


def _policies(namespace: str) -> list[dict]:
    return [d for d in documents(K8S / "networkpolicy.yaml") if d["metadata"]["namespace"] == namespace]


def egress_ports_to_postgres(pod_ns: str, labels: dict) -> set[int]:
    """Ports on which the policies of the pod's namespace let it reach the postgres pods."""
    ports = set()
    for policy in _policies(pod_ns):
        if "Egress" not in policy["spec"]["policyTypes"] or not _selects(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get("egress") or []:
            for peer in rule.get("to") or []:
                if peer.get("namespaceSelector", {}).get("matchLabels", {}).get(
                    "kubernetes.io/metadata.name"
                ) == "databases" and _selects(peer.get("podSelector", {}), {"app.kubernetes.io/name": "postgres"}):
                    ports |= {p["port"] for p in rule.get("ports") or []}
    return ports


def postgres_admits(pod_ns: str, labels: dict) -> bool:
    for policy in _policies("databases"):
        if not _selects(policy["spec"]["podSelector"], {"app.kubernetes.io/name": "postgres"}):
            continue
        for rule in policy["spec"].get("ingress") or []:
            for peer in rule.get("from") or []:
                ns = peer.get("namespaceSelector")
                ns_ok = (
                    _selects(ns, {"kubernetes.io/metadata.name": pod_ns}) if ns is not None else pod_ns == "databases"
                )
                if ns_ok and _selects(peer.get("podSelector", {}), labels):
                    return True
    return False


@pytest.fixture
def deployed_settings(monkeypatch, tmp_path):
    """The environment the values give Airflow, plus a kube config (Airflow is outside here)."""
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    for item in values()["env"]:
        monkeypatch.setenv(item["name"], item["value"])
    monkeypatch.setenv("SCREENER_K8S_IN_CLUSTER", "false")
    monkeypatch.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
    return {e["name"]: e["value"] for e in values()["env"]}


def _pod_dict(pod) -> dict:
    return ApiClient().sanitize_for_serialization(pod)


def rendered_pods() -> list[dict]:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from screener_common.fetcher_task import pod_operator_kwargs

    bag = airflow_support.dag_bag()
    equities = bag.dags["data_collection_equities"]
    weekly = bag.dags["refresh_universe_weekly"]
    fetch = KubernetesPodOperator(
        task_id="fetch", arguments=["run", "--execution-id", "7"], **pod_operator_kwargs("fetch", mapped=True)
    )
    return [
        _pod_dict(_render(equities, equities.get_task("sync_universe"), 1)),
        _pod_dict(_render(equities, fetch, 1, 0)),
        _pod_dict(_render(weekly, weekly.get_task("refresh_universe"), 1)),
    ]


def test_the_launched_pods_match_the_manifests(deployed_settings):
    env = deployed_settings
    (migrate_job,) = documents(K8S / "migrate-job.yaml")
    migrate_pod = migrate_job["spec"]["template"]["spec"]
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d
        for _, d in all_documents()
        if d["kind"] == "ServiceAccount"
    }
    claims = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for _, d in all_documents()
        if d["kind"] == "PersistentVolumeClaim"
    }
    namespaces = {d["metadata"]["name"] for _, d in all_documents() if d["kind"] == "Namespace"}
    declared = declared_secrets()
    for pod in rendered_pods():
        meta, spec = pod["metadata"], pod["spec"]
        ns = meta["namespace"]
        # namespace: the manifests' one, where the Role lets the scheduler create pods
        assert ns == env["SCREENER_K8S_NAMESPACE"] == migrate_job["metadata"]["namespace"]
        assert ns in namespaces
        # service account: declared there, without a token
        assert (ns, spec["serviceAccountName"]) in accounts
        assert accounts[(ns, spec["serviceAccountName"])]["automountServiceAccountToken"] is False
        # image: the one the migration Job runs (same build, same schema)
        (container,) = spec["containers"]
        assert container["image"] == env["SCREENER_FETCHER_IMAGE"] == migrate_pod["containers"][0]["image"]
        # secrets: names and keys the template declares, and the migration Job's the same
        refs = secret_refs(pod, ns)
        assert refs == {(ns, "screener-secrets", "database-url"), (ns, "screener-secrets", "eodhd-api-token")}
        assert refs <= declared
        assert secret_refs(migrate_job, ns) <= refs
        # claims: the tickers claim is declared
        for volume in spec.get("volumes") or []:
            if "persistentVolumeClaim" in volume:
                assert (ns, volume["persistentVolumeClaim"]["claimName"]) in claims
        # network policy: its labels reach PostgreSQL, and PostgreSQL admits them
        assert egress_ports_to_postgres(ns, meta["labels"]) == {5432}
        assert postgres_admits(ns, meta["labels"])
        # the same bar as every manifest
        validate(pod)
        assert pod_problems(spec, meta["name"]) == []
    assert egress_ports_to_postgres("screener", migrate_job["spec"]["template"]["metadata"]["labels"]) == {5432}


def test_the_policy_check_fails_for_unlabelled_or_foreign_pods():
    labels = {"app.kubernetes.io/name": "screener-fetcher"}
    assert postgres_admits("screener", labels) and egress_ports_to_postgres("screener", labels) == {5432}
    assert not postgres_admits("screener", {"app.kubernetes.io/name": "something-else"})
    assert egress_ports_to_postgres("screener", {"app": "fetcher"}) == set()
    assert not postgres_admits("default", labels)
    assert postgres_admits("airflow", {"component": "scheduler"})


def test_a_pod_with_a_wrong_secret_key_is_caught(deployed_settings, monkeypatch):
    monkeypatch.setenv("SCREENER_K8S_SECRET", "screener-secret")  # one letter off
    pod = rendered_pods()[0]
    assert secret_refs(pod, "screener") - declared_secrets() != set()
    assert yaml.safe_dump(pod)
