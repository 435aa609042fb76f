"""The one factory for fetcher tasks: a Kubernetes pod in production, a local process otherwise.

`fetcher_task(task_id, args)` runs `python -m fetcher <args>` once;
`fetcher_task(task_id, expand_args=<XComArg of argument lists>)` maps one task instance
per argument list (dynamic task mapping, e.g. one per worker). SCREENER_EXECUTOR chooses
the kind (settings.py), so the DAG files are the same in both modes.

Secrets never travel on a command line or into a log: in Kubernetes mode the pod reads them
from a Secret through secretKeyRef; locally the process gets them in its environment from the
Airflow connections `screener_db_fetcher` (else `screener_db`) and `eodhd_api`, and every line it
prints is redacted by the fetcher's own `fetcher.config.redact` (one rule for both sides). The fetcher connects as a login role of screener_fetcher (db/0014_roles.sql).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from typing import Any

from airflow.sdk import task

from screener_common import settings

log = logging.getLogger(__name__)

# Requests what one fetcher worker needs (I/O bound: a thread pool and one connection);
# the limit stops a runaway worker from starving the node.
POD_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "192Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
# The image's user (k8s/Dockerfile); the pods run it with a read-only root file system.
FETCHER_UID = 10001
LABEL_MAX = 63
_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_label(value: str) -> str:
    """A valid Kubernetes label value: [A-Za-z0-9_.-], at most 63, alphanumeric at both ends."""
    text = _LABEL_BAD.sub("-", value)[:LABEL_MAX]
    return text.strip("-_.")


def dns_name(value: str) -> str:
    """A DNS-1123 label fragment (lowercase alphanumerics and '-') for pod names."""
    return re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")


def fetcher_task(
    task_id: str, args: list[str] | None = None, *, expand_args: Any = None, pool: str | None = None, **task_kwargs: Any
):
    """Build the task running `python -m fetcher <args>` (or one mapped instance per list)."""
    if (args is None) == (expand_args is None):
        raise ValueError("fetcher_task needs exactly one of args or expand_args")
    if pool:
        task_kwargs["pool"] = pool
    if settings.executor_mode() == "kubernetes":
        return _pod_task(task_id, args, expand_args, task_kwargs)
    return _local_task(task_id, args, expand_args, task_kwargs)


# -- Kubernetes ----------------------------------------------------------------------------------


def pod_operator_kwargs(task_id: str, *, mapped: bool) -> dict[str, Any]:
    """Everything the KubernetesPodOperator gets apart from task_id and arguments."""
    from kubernetes.client import models as k8s

    k = settings.kubernetes_settings()

    def secret(name: str, key: str) -> k8s.V1EnvVar:
        return k8s.V1EnvVar(
            name=name,
            value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name=k.secret_name, key=key)),
        )

    # A unique name per try (and per mapped worker); the operator appends a random suffix too.
    worker = "-w{{ ti.map_index }}" if mapped else ""
    # The root file system is read-only (the fetcher writes no scratch files); the universe
    # files live on the tickers claim when one is set (refresh-universe rewrites them there).
    volumes: dict[str, Any] = {}
    if k.tickers_pvc:
        volumes = {
            "volumes": [
                k8s.V1Volume(
                    name="tickers",
                    persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name=k.tickers_pvc),
                )
            ],
            "volume_mounts": [k8s.V1VolumeMount(name="tickers", mount_path=settings.tickers_dir())],
        }
    return {
        **volumes,
        # No API access: the pod's service account has no role and its token is not mounted.
        "service_account_name": k.service_account,
        "automount_service_account_token": False,
        "security_context": k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=FETCHER_UID,
            run_as_group=FETCHER_UID,
            fs_group=FETCHER_UID,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
        "container_security_context": k8s.V1SecurityContext(
            run_as_non_root=True,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
        ),
        "name": f"fetcher-{dns_name(task_id)}{worker}-t{{{{ ti.try_number }}}}",
        "random_name_suffix": True,
        "namespace": k.namespace,
        "image": k.image,
        "cmds": ["python", "-m", "fetcher"],
        "env_vars": [
            secret("DATABASE_URL", k.database_url_key),
            secret("EODHD_API_TOKEN", "eodhd-api-token"),
            k8s.V1EnvVar(name="EODHD_BASE_URL", value=k.eodhd_base_url),
        ],
        "labels": {
            "app.kubernetes.io/name": "screener-fetcher",
            "app.kubernetes.io/part-of": "screener-pipeline",
            "screener/task": safe_label(task_id),
        },
        "container_resources": k8s.V1ResourceRequirements(
            requests=POD_RESOURCES["requests"], limits=POD_RESOURCES["limits"]
        ),
        "in_cluster": k.in_cluster,
        "config_file": k.config_file,
        "get_logs": True,
        "on_finish_action": "delete_succeeded_pod",
        "log_pod_spec_on_failure": False,
        "log_events_on_failure": True,
        "do_xcom_push": False,
        "startup_timeout_seconds": 300,
    }


def _pod_task(task_id, args, expand_args, task_kwargs):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    kwargs = {**pod_operator_kwargs(task_id, mapped=expand_args is not None), **task_kwargs}
    if expand_args is None:
        return KubernetesPodOperator(task_id=task_id, arguments=list(args), **kwargs)
    return KubernetesPodOperator.partial(task_id=task_id, **kwargs).expand(arguments=expand_args)


# -- local process -------------------------------------------------------------------------------


def fetcher_environment() -> tuple[dict[str, str], list[str]]:
    """The fetcher's environment from the Airflow connections, and the secrets in it."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    secrets: list[str] = []
    db = fetcher_db_connection()
    env["DATABASE_URL"] = db.get_uri()
    if db.password:
        secrets.append(db.password)
    try:
        api = BaseHook.get_connection(settings.EODHD_CONN_ID)
    except AirflowNotFoundException:
        api = None
    if api is not None:
        env["EODHD_BASE_URL"] = eodhd_base_url(api)
        if api.password:
            env["EODHD_API_TOKEN"] = api.password
            secrets.append(api.password)
    return env, secrets


def fetcher_db_connection():
    """The fetcher's database connection: `screener_db_fetcher` (the fetcher role), else `screener_db`."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(settings.FETCHER_DB_CONN_ID)
    except AirflowNotFoundException:
        log.info("no %s connection: the fetcher uses %s", settings.FETCHER_DB_CONN_ID, settings.DB_CONN_ID)
        return BaseHook.get_connection(settings.DB_CONN_ID)


def eodhd_base_url(conn) -> str:
    """Base URL from the eodhd_api connection: a full URL in host, or scheme/host/port/schema."""
    host = conn.host or ""
    if "://" in host:
        return host.rstrip("/")
    scheme = (conn.extra_dejson or {}).get("scheme") or ("https" if conn.conn_type == "https" else "http")
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.strip('/')}" if conn.schema else ""
    return f"{scheme}://{host}{port}{path}"


def fetcher_redact():
    """`fetcher.config.redact`: the one rule for what a log line must not show (tokens, URL passwords).

    Imported here, not at the top of the module: in Kubernetes mode only dags/ is deployed (git-sync,
    k8s/airflow-values.yaml) and this local path is never taken. The local fetcher runs as
    `python -m fetcher` from PROJECT_ROOT, so the package is there; the root is appended to sys.path
    (as the child process sees it) when the Airflow process does not have it already.
    """
    root = str(settings.PROJECT_ROOT)
    if root not in sys.path:
        sys.path.append(root)
    from fetcher.config import redact

    return redact


def run_fetcher_process(argv: list[str]) -> None:
    """Run `python -m fetcher <argv>` from the project root; its output goes to the task log."""
    from airflow.sdk.exceptions import AirflowException

    redact = fetcher_redact()
    env, secrets = fetcher_environment()
    cmd = [sys.executable, "-m", "fetcher", *argv]
    log.info("running: python -m fetcher %s", " ".join(argv))
    proc = subprocess.Popen(
        cmd, cwd=settings.PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        log.info("%s", redact(line.rstrip("\n"), *secrets))
    code = proc.wait()
    if code != 0:
        raise AirflowException(f"python -m fetcher {argv[0]} exited with status {code}")


@task
def _run_fetcher(argv: list[str]) -> None:
    run_fetcher_process(argv)


def _local_task(task_id, args, expand_args, task_kwargs):
    runner = _run_fetcher.override(task_id=task_id, **task_kwargs)
    if expand_args is None:
        return runner(list(args))
    return runner.expand(argv=expand_args)
