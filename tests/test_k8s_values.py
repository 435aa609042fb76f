"""k8s/airflow-values.yaml against the Airflow chart's keys (k8s/airflow-values.keys.yaml, an
extract of the chart's values.schema.json with its source named): every key is one the chart
has, of the chart's type; the Kubernetes-typed parts validate against the Kubernetes 1.28
schemas. And the values agree with the DAG settings and the other manifests."""

from __future__ import annotations

import copy
import functools
import json
import re

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from tests.test_k8s_manifests import K8S, K8S_VERSION, documents, values

KEYS = K8S / "airflow-values.keys.yaml"
JSON_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
    "number": (int, float),
}


@functools.cache
def k8s_fragment_validator(schema_name: str):
    """A validator for one Kubernetes definition (e.g. container-v1), strict (no unknown fields)."""
    from kubernetes_validate import utils

    version = [v for v in utils.all_versions() if utils.major_minor(v) <= K8S_VERSION][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema = utils.schema_contents(f"{folder}/{schema_name}.json", version)
    defs = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _type_ok(value, types) -> bool:
    types = [types] if isinstance(types, str) else types
    for t in types:
        py = JSON_TYPES[t]
        if isinstance(value, py) and not (t in ("integer", "number") and isinstance(value, bool)):
            return True
    return False


def check_values(v: dict, keys: dict[str, object]) -> list[str]:
    """Problems of a values tree against the key extract."""
    problems: list[str] = []

    def walk(node, path: str):
        spec = keys.get(path)
        if isinstance(spec, str) and spec.startswith("k8s:"):
            errors = sorted(k8s_fragment_validator(spec[4:]).iter_errors(node), key=str)
            problems.extend(f"{path}: {e.message}" for e in errors)
            return
        if spec == "any-config":
            for section, options in node.items():
                if not isinstance(options, dict) or not all(isinstance(o, (str, int, bool)) for o in options.values()):
                    problems.append(f"{path}.{section}: airflow.cfg options must be scalars")
            return
        if spec is not None:
            if not _type_ok(node, spec):
                problems.append(f"{path}: {type(node).__name__} where the chart wants {spec}")
            return
        if isinstance(node, dict):
            for key, val in node.items():
                walk(val, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for item in node:
                walk(item, f"{path}[]")
        else:
            problems.append(f"{path}: not a key of the chart extract")

    walk(v, "")
    return problems


def key_extract() -> dict:
    return yaml.safe_load(KEYS.read_text())


def test_the_values_use_only_chart_keys_of_the_chart_types():
    extract = key_extract()
    assert extract["source"].startswith("apache/airflow@") and "values.schema.json" in extract["source"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", extract["chart_version"])
    assert f"--version {extract['chart_version']}" in (K8S / "airflow-values.yaml").read_text()
    assert check_values(values(), extract["keys"]) == []


@pytest.mark.parametrize("breakage", ["typo", "type", "k8s object", "container", "config"])
def test_the_values_check_rejects_a_broken_values_file(breakage):
    v = copy.deepcopy(values())
    if breakage == "typo":
        v["scheduler"]["resource"] = v["scheduler"].pop("resources")
    elif breakage == "type":
        v["scheduler"]["replicas"] = "one"
    elif breakage == "k8s object":
        v["securityContexts"]["pod"]["runAsNonroot"] = True  # wrong case: not a field
    elif breakage == "container":
        v["scheduler"]["extraInitContainers"][0]["command"] = "airflow pools set"  # not a list
    else:
        v["config"]["core"]["parallelism"] = {"value": 12}
    assert check_values(v, key_extract()["keys"]) != []


def _env(v: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in v["env"]}


def test_kubernetes_mode_settings():
    v = values()
    env = _env(v)
    assert v["executor"] == "LocalExecutor"
    assert env["SCREENER_EXECUTOR"] == "kubernetes"
    assert env["SCREENER_K8S_IN_CLUSTER"] == "true"
    assert v["dags"]["gitSync"]["enabled"] and v["dags"]["gitSync"]["subPath"] == "dags"
    assert v["postgresql"]["enabled"] is False and v["data"]["metadataSecretName"]
    # the connections and the token come from Secrets, not from env values
    secret_env = {s["envName"] for s in v["secret"]}
    assert {"AIRFLOW_CONN_SCREENER_DB", "AIRFLOW_CONN_EODHD_API", "EODHD_API_TOKEN"} <= secret_env
    assert not secret_env & set(env)
    # the Airflow image the chart runs is the one the pool init container uses
    (init,) = v["scheduler"]["extraInitContainers"]
    assert init["image"] == f"{v['defaultAirflowRepository']}:{v['defaultAirflowTag']}"
    assert v["defaultAirflowTag"] == v["airflowVersion"]


def test_the_pool_matches_the_dag_settings(monkeypatch):
    from screener_common import settings

    from tests import airflow_support  # noqa: F401  (dags/ on sys.path)

    v = values()
    env = _env(v)
    (init,) = v["scheduler"]["extraInitContainers"]
    m = re.search(r"airflow pools set (\S+) (\d+) ", " ".join(init["args"]))
    assert m, init["args"]
    assert m.group(1) == settings.EODHD_POOL == "eodhd_api"
    assert int(m.group(2)) == int(env["SCREENER_EODHD_POOL_SLOTS"]) == settings.EODHD_POOL_SLOTS


def test_the_scheduler_service_account_is_the_one_allowed_to_launch_pods():
    v = values()
    binding = next(d for d in documents(K8S / "rbac.yaml") if d["kind"] == "RoleBinding")
    (subject,) = binding["subjects"]
    assert subject == {
        "kind": "ServiceAccount",
        "name": v["scheduler"]["serviceAccount"]["name"],
        "namespace": "airflow",
    }
    assert binding["metadata"]["namespace"] == _env(v)["SCREENER_K8S_NAMESPACE"]


def test_the_fragment_validator_is_strict():
    validator = k8s_fragment_validator("resourcerequirements-v1")
    assert list(validator.iter_errors({"requests": {"cpu": "1"}})) == []
    assert list(validator.iter_errors({"request": {"cpu": "1"}})) != []
    assert json.dumps(values())  # the values file is plain data
