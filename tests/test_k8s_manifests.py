"""k8s/: every manifest validates against the Kubernetes 1.28 schemas (kubernetes-validate,
strict: unknown fields fail too); every container has requests, limits and a locked-down
security context; no manifest or values file holds a literal secret; every Secret reference
names a Secret and key that secret.template.yaml declares. Each check is also run on a broken
copy, to show it can fail. Offline: no cluster, no Docker."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "k8s"
VALUES = K8S / "airflow-values.yaml"
SECRET_TEMPLATE = K8S / "secret.template.yaml"
K8S_VERSION = "1.28"
PLACEHOLDER = re.compile(r"CHANGE_ME|<[a-z-]+>")


# -- helpers (also used by the other tests/test_k8s_*.py) ------------------------------------


def manifest_files() -> list[Path]:
    """Every Kubernetes manifest under k8s/ (the Helm values and the key extract are not)."""
    return sorted(p for p in K8S.glob("*.yaml") if not p.name.startswith("airflow-values"))


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def all_documents(include_template: bool = True) -> list[tuple[str, dict]]:
    return [(p.name, d) for p in manifest_files() if include_template or p != SECRET_TEMPLATE for d in documents(p)]


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def validate(doc: dict) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def pod_specs(doc: dict) -> list[dict]:
    """The pod specs inside a workload document (Pod, Job, CronJob, StatefulSet, ...)."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Pod":
        return [spec]
    if kind == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if "template" in spec:
        return [spec["template"]["spec"]]
    return []


def container_problems(container: dict, pod_security: dict, where: str) -> list[str]:
    """What a container lacks: requests and limits (cpu, memory) and the security context
    (non-root, read-only root, no privilege escalation, all capabilities dropped, RuntimeDefault
    seccomp), the container's own settings taking precedence over the pod's."""
    problems = []
    res = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if not (res.get(kind) or {}).get(r):
                problems.append(f"{where}: no {kind}.{r}")
    sc = container.get("securityContext") or {}

    def effective(key):
        return sc[key] if key in sc else pod_security.get(key)

    if effective("runAsNonRoot") is not True:
        problems.append(f"{where}: runAsNonRoot is not true")
    if effective("runAsUser") == 0:
        problems.append(f"{where}: runs as uid 0")
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: root file system is not read-only")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: privilege escalation is not off")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{where}: capabilities are not all dropped")
    if (effective("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: seccomp profile is not RuntimeDefault")
    return problems


def pod_problems(pod: dict, where: str) -> list[str]:
    problems = []
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: service-account token is mounted")
    security = pod.get("securityContext") or {}
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        problems += container_problems(c, security, f"{where}/{c.get('name')}")
    return problems


def values_containers(v: dict) -> list[tuple[str, dict, dict]]:
    """The containers the Helm values configure: (where, container-like dict, pod security).
    The chart applies the global securityContexts to every Airflow pod and container unless a
    component overrides them; resources are per component."""
    pod = (v.get("securityContexts") or {}).get("pod") or {}
    default = (v.get("securityContexts") or {}).get("containers") or {}
    out = []
    for name in ("scheduler", "apiServer", "dagProcessor", "migrateDatabaseJob", "createUserJob"):
        comp = v.get(name) or {}
        sc = (comp.get("securityContexts") or {}).get("container") or default
        out.append((name, {"resources": comp.get("resources"), "securityContext": sc}, pod))
        if "logGroomerSidecar" in comp:
            out.append(
                (
                    f"{name}.logGroomerSidecar",
                    {"resources": comp["logGroomerSidecar"].get("resources"), "securityContext": default},
                    pod,
                )
            )
        for c in comp.get("extraInitContainers") or []:
            out.append((f"{name}.extraInitContainers/{c['name']}", c, pod))
    git = v["dags"]["gitSync"]
    out.append(
        (
            "dags.gitSync",
            {
                "resources": git.get("resources"),
                "securityContext": (git.get("securityContexts") or {}).get("container"),
            },
            pod,
        )
    )
    return out


def literal_secrets(node, path: str = "") -> list[str]:
    """Paths of values that look like secrets: a password in a URI, a value under a key or
    environment variable named like a secret, any Secret data, unless it is a placeholder."""
    found = []
    if isinstance(node, dict):
        if node.get("kind") == "Secret":
            for field in ("data", "stringData"):
                for key, val in (node.get(field) or {}).items():
                    if not PLACEHOLDER.search(str(val)):
                        found.append(f"{path}.{field}.{key}")
        name = str(node.get("name", ""))
        if "value" in node and re.search(r"PASSWORD|TOKEN|SECRET_KEY|JWT_SECRET|API_KEY|FERNET|_CONN_", name, re.I):
            if not PLACEHOLDER.search(str(node["value"])):
                found.append(f"{path}.{name}")
        for key, val in node.items():
            if (
                isinstance(val, str)
                and re.search(r"password|passwd|token|secret|fernet", key, re.I)
                and not key.endswith(("Name", "Key", "Secret"))
                and key != "secretKeyRef"
                and val
                and not PLACEHOLDER.search(val)
            ):
                found.append(f"{path}.{key}")
            found += literal_secrets(val, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += literal_secrets(item, f"{path}[{i}]")
    elif isinstance(node, str):
        for m in re.finditer(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", node):
            if not PLACEHOLDER.search(m.group(1)):
                found.append(f"{path} (password in a URI)")
        if re.search(r"api_token=(?!\*\*\*)[^&\s'\"]+", node):
            found.append(f"{path} (api_token in a URL)")
    return found


def secret_refs(node, namespace: str) -> set[tuple[str, str, str]]:
    """(namespace, secret name, key) of every secretKeyRef under node."""
    refs = set()
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict):
            refs.add((namespace, ref["name"], ref["key"]))
        for val in node.values():
            refs |= secret_refs(val, namespace)
    elif isinstance(node, list):
        for item in node:
            refs |= secret_refs(item, namespace)
    return refs


def declared_secrets() -> set[tuple[str, str, str]]:
    return {
        (d["metadata"]["namespace"], d["metadata"]["name"], key)
        for d in documents(SECRET_TEMPLATE)
        if d["kind"] == "Secret"
        for key in (d.get("stringData") or {}) | (d.get("data") or {})
    }


def values_secret_refs(v: dict, namespace: str = "airflow") -> set[tuple[str, str, str]]:
    refs = {(namespace, s["secretName"], s["secretKey"]) for s in v.get("secret", [])}
    refs |= secret_refs(v, namespace)
    for key, secret_key in (
        ("fernetKeySecretName", "fernet-key"),
        ("apiSecretKeySecretName", "api-secret-key"),
        ("jwtSecretName", "jwt-secret"),
    ):
        if v.get(key):
            refs.add((namespace, v[key], secret_key))
    if (v.get("data") or {}).get("metadataSecretName"):
        refs.add((namespace, v["data"]["metadataSecretName"], "connection"))
    return refs


# -- tests ---------------------------------------------------------------------------------


def test_every_manifest_validates_against_kubernetes_1_28():
    docs = all_documents()
    kinds = {d["kind"] for _, d in docs}
    assert {
        "Namespace",
        "StatefulSet",
        "CronJob",
        "Job",
        "NetworkPolicy",
        "Secret",
        "Role",
        "RoleBinding",
        "ServiceAccount",
        "PersistentVolumeClaim",
        "Service",
        "ConfigMap",
    } <= kinds
    for name, doc in docs:
        try:
            validate(doc)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(
                f"{name}: {doc['kind']}/{doc['metadata']['name']}: {'.'.join(map(str, exc.path))}: {exc.message}"
            )


@pytest.mark.parametrize("breakage", ["unknown field", "wrong type", "missing required"])
def test_the_validator_rejects_a_broken_manifest(breakage):
    (job,) = documents(K8S / "migrate-job.yaml")
    validate(job)
    broken = copy.deepcopy(job)
    container = broken["spec"]["template"]["spec"]["containers"][0]
    if breakage == "unknown field":
        container["resource"] = container.pop("resources")  # a typo
    elif breakage == "wrong type":
        broken["spec"]["backoffLimit"] = "two"
    else:
        del container["name"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_every_container_has_resources_and_a_locked_down_security_context():
    workloads = 0
    problems = []
    for name, doc in all_documents():
        for pod in pod_specs(doc):
            workloads += 1
            problems += pod_problems(pod, f"{name}:{doc['kind']}/{doc['metadata']['name']}")
    for where, container, pod in values_containers(values()):
        problems += container_problems(container, pod, f"airflow-values.yaml:{where}")
    assert workloads >= 4  # postgres, backup, migrate, tickers seed
    assert problems == []


@pytest.mark.parametrize("breakage", ["no limits", "root", "writable root", "token mounted", "caps kept"])
def test_the_container_walker_catches_each_gap(breakage):
    (job,) = documents(K8S / "migrate-job.yaml")
    pod = copy.deepcopy(pod_specs(job)[0])
    assert pod_problems(pod, "job") == []
    c = pod["containers"][0]
    if breakage == "no limits":
        del c["resources"]["limits"]
    elif breakage == "root":
        c["securityContext"]["runAsNonRoot"] = False
    elif breakage == "writable root":
        del c["securityContext"]["readOnlyRootFilesystem"]
    elif breakage == "token mounted":
        del pod["automountServiceAccountToken"]
    else:
        c["securityContext"]["capabilities"]["drop"] = ["NET_RAW"]
    assert pod_problems(pod, "job") != []


def test_no_literal_secret_in_manifests_or_values():
    found = []
    for path in manifest_files() + [VALUES]:
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            found += literal_secrets(doc, f"{path.name}#{i}")
    assert found == []


@pytest.mark.parametrize(
    "leak",
    [
        {"env": [{"name": "EODHD_API_TOKEN", "value": "d7f1a2b3c4"}]},
        {"kind": "Secret", "stringData": {"database-url": "postgresql://screener:hunter2@db/screener"}},
        {"config": {"database": {"sql_alchemy_conn": "postgresql://airflow:s3cret@postgres/airflow"}}},
        {"webserver": {"defaultUser": {"password": "admin"}}},
        {"args": ["curl https://eodhd.com/api/eod/AAPL.US?api_token=abc123"]},
    ],
)
def test_the_secret_scan_finds_a_planted_secret(leak):
    assert literal_secrets(leak) != []
    assert (
        literal_secrets(
            json.loads(
                json.dumps(leak)
                .replace("d7f1a2b3c4", "CHANGE_ME")
                .replace("hunter2", "CHANGE_ME")
                .replace("s3cret", "<password>")
                .replace('"admin"}', '"CHANGE_ME"}')
                .replace("abc123", "***")
            )
        )
        == []
    )


def test_every_secret_reference_is_declared_in_the_template():
    declared = declared_secrets()
    refs = set()
    for _name, doc in all_documents(include_template=False):
        refs |= secret_refs(doc, doc["metadata"].get("namespace", ""))
    refs |= values_secret_refs(values())
    assert refs, "no secret references found"
    assert refs - declared == set()
    # and a reference to a key the template lacks is caught
    assert {("screener", "screener-secrets", "database-password")} - declared


def test_no_secret_is_applied_outside_the_template():
    for name, doc in all_documents(include_template=False):
        assert doc["kind"] != "Secret", name
