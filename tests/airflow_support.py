"""Airflow for the test suite: import this module before anything imports airflow.

It points AIRFLOW_HOME at a throw-away directory of this test process inside the checkout
(.tmp/airflow-pytest-<pid>, removed at exit), turns the examples off, uses dags/ as the DAG
folder and puts dags/ on sys.path (the DAG processor does that for a bundle; a plain DagBag
does not). Its SQLite metadata database is a copy of one migrated once per checkout
(.tmp/airflow-pytest-template), so two test sessions running side by side never see each
other's DAG runs and every session starts with none.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
TEMPLATE_HOME = ROOT / ".tmp" / "airflow-pytest-template"
AIRFLOW_HOME = ROOT / ".tmp" / f"airflow-pytest-{os.getpid()}"

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ.setdefault("AIRFLOW__LOGGING__COLORED_CONSOLE_LOG", "False")
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)


def ensure_metadata_db() -> None:
    """This process's metadata database: a copy of the checkout's migrated one, which is
    made on first use (airflow db migrate, about 3 s) under a lock."""
    if (AIRFLOW_HOME / "airflow.db").exists():
        return
    template = TEMPLATE_HOME / "airflow.db"
    TEMPLATE_HOME.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATE_HOME / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            work = Path(tempfile.mkdtemp(dir=TEMPLATE_HOME))
            subprocess.run(
                [str(ROOT / ".venv" / "bin" / "airflow"), "db", "migrate"],
                check=True,
                capture_output=True,
                env={**os.environ, "AIRFLOW_HOME": str(work)},
            )
            os.replace(work / "airflow.db", template)
            shutil.rmtree(work, ignore_errors=True)
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, AIRFLOW_HOME / "airflow.db")


def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS))


# -- DAG runs created and run the way production creates and runs them ------------------------
# dag.test() always gives its run a logical date and a data interval, which production runs
# (Asset events, `airflow dags trigger` / REST API without a logical date) do not have. These
# helpers create each kind of run with Airflow's own code and run its tasks through the
# Task SDK's runner and the in-process Execution API, as dag.test() does: the template
# context of every task is the one Airflow builds for that run.


def sync_dags_to_db() -> None:
    """Parse dags/ and write the DAGs to the metadata database (the DAG processor's job).

    The executor mode (SCREENER_EXECUTOR) of the environment decides the tasks, so call it
    again after changing it; a DAG whose file changed gets a new version."""
    from airflow import settings
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    ensure_metadata_db()
    manager = DagBundlesManager()
    with settings.Session() as session:
        manager.sync_bundles_to_db(session=session)
        session.commit()
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        assert bag.import_errors == {}, bag.import_errors
        sync_bag_to_db(bag, bundle.name, bundle.version)


def set_paused(dag_id: str, paused: bool) -> None:
    from airflow import settings
    from airflow.models.dag import DagModel

    with settings.Session() as session:
        session.get(DagModel, dag_id).is_paused = paused
        session.commit()


@contextmanager
def unpaused_consumer(dag_id: str):
    """An Asset event queues a run only for unpaused consumers: unpause `dag_id` with nothing
    queued for it yet; pause it again afterwards (DAGs start paused) and drop what is left."""
    from airflow import settings
    from airflow.models.asset import AssetDagRunQueue
    from sqlalchemy import delete

    def clear() -> None:
        with settings.Session() as session:
            session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == dag_id))
            session.commit()

    clear()
    set_paused(dag_id, False)
    try:
        yield
    finally:
        set_paused(dag_id, True)
        clear()


def clear_unfinished_runs(*dag_ids: str) -> None:
    """Delete the runs an earlier failed test left queued or running (max_active_runs is 1)
    and reset the scheduler's "max active runs reached" flag, so the scheduler may create
    runs for these DAGs."""
    from airflow import settings
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from sqlalchemy import delete, update

    with settings.Session() as session:
        session.execute(delete(DagRun).where(DagRun.dag_id.in_(dag_ids), DagRun.state.in_(["queued", "running"])))
        session.execute(update(DagModel).where(DagModel.dag_id.in_(dag_ids)).values(exceeds_max_non_backfill=False))
        session.commit()


def _scheduler():
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    return SchedulerJobRunner(job=Job(), executors=[])


def scheduler_creates_runs() -> list[tuple[str, str]]:
    """One pass of the scheduler's run creation (SchedulerJobRunner._create_dagruns_for_dags):
    a run for every unpaused DAG that is due or whose Asset events are queued. Returns the
    (dag_id, run_id) of the runs it created."""
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.utils.sqlalchemy import prohibit_commit
    from sqlalchemy import select

    with settings.Session() as session:
        before = set(session.scalars(select(DagRun.id)))
        with prohibit_commit(session) as guard:
            _scheduler()._create_dagruns_for_dags(guard, session)
        rows = session.execute(select(DagRun.id, DagRun.dag_id, DagRun.run_id)).all()
    return [(dag_id, run_id) for run_pk, dag_id, run_id in rows if run_pk not in before]


def scheduler_creates_scheduled_run(dag_id: str) -> str:
    """The scheduler's run of a DAG's next cron time (SchedulerJobRunner._create_dag_runs),
    with that data interval. Returns its run id."""
    from airflow import settings
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from sqlalchemy import delete, select

    with settings.Session() as session:
        model = session.get(DagModel, dag_id)
        # the scheduler creates nothing when a run of that logical date exists already (an
        # earlier test's run in this metadata database): clear it, as a fresh deployment has none
        if model.next_dagrun is not None:
            session.execute(delete(DagRun).where(DagRun.dag_id == dag_id, DagRun.logical_date == model.next_dagrun))
            session.commit()
        before = set(session.scalars(select(DagRun.run_id).where(DagRun.dag_id == dag_id)))
        _scheduler()._create_dag_runs([session.get(DagModel, dag_id)], session)
        session.commit()
        (run_id,) = set(session.scalars(select(DagRun.run_id).where(DagRun.dag_id == dag_id))) - before
    return run_id


def trigger(dag_id: str, conf: dict | None = None, logical_date=None) -> str:
    """A manual run as `airflow dags trigger` and the REST API create it (trigger_dag): without
    a logical date unless one is given. Returns its run id."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    run = trigger_dag(
        dag_id,
        conf=conf,
        logical_date=logical_date,
        triggered_by=DagRunTriggeredByType.CLI,
        triggering_user_name="pytest",
    )
    return run.run_id


def backfill(dag_id: str, start, end) -> list[str]:
    """Backfill runs as `airflow backfill create` makes them (models.backfill._create_backfill).
    Returns their run ids."""
    from airflow import settings
    from airflow.models.backfill import _create_backfill
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    made = _create_backfill(
        dag_id=dag_id,
        from_date=start,
        to_date=end,
        max_active_runs=1,
        reverse=False,
        dag_run_conf=None,
        triggering_user_name="pytest",
    )
    with settings.Session() as session:
        return list(session.scalars(select(DagRun.run_id).where(DagRun.backfill_id == made.id)))


def scheduler_marks_backfills_complete() -> None:
    """The scheduler's bookkeeping after backfill runs finished (else the next backfill of the
    DAG is refused as "already running")."""
    _scheduler()._mark_backfills_complete()


@contextmanager
def params_kept(dag):
    """Give the DAG's Params their parsed values back after a run in this process.

    Airflow stores a run's conf in the task's own Param objects while building the context
    (Param.resolve sets .value). A worker parses the DAG afresh for every task, so nothing
    carries over in production; in one test process the next run would inherit the values."""
    holders = [dag.params, *(task.params for task in dag.tasks)]
    saved = [{name: holder.get_param(name).value for name in holder} for holder in holders]
    try:
        yield dag
    finally:
        for holder, values in zip(holders, saved):
            for name, value in values.items():
                holder.get_param(name).value = value


def run_dagrun(dag, run_id: str):
    """Run every task of an existing run in this process, as dag.test() does (same loop, same
    per-task runner), and return the finished DagRun.

    `dag` is the parsed (Task SDK) DAG; the run may come from the scheduler, a trigger, a
    backfill or `airflow dags trigger` in another process."""
    from airflow import settings
    from airflow.models.dag import DagModel
    from airflow.models.dagbag import DBDagBag
    from airflow.models.dagrun import DagRun
    from airflow.sdk.definitions.dag import _run_task
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    session = settings.Session()
    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id))
    run.dag = DBDagBag().get_dag_for_run(run, session=session)
    run.set_state(DagRunState.RUNNING)  # what the scheduler does to a queued run
    session.commit()
    idle = 0
    while run.state == DagRunState.RUNNING:
        session.expire_all()
        schedulable, _ = run.update_state(session=session)
        for ti in schedulable:
            if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                ti.try_number += 1
            ti.state = TaskInstanceState.SCHEDULED
        session.commit()
        ready = run.get_task_instances(state=[TaskInstanceState.SCHEDULED], session=session)
        idle = 0 if ready else idle + 1  # (a failure reaches the tasks downstream pass by pass)
        if idle > 20:
            raise AssertionError(f"{dag.dag_id} {run_id}: nothing left to run: {task_states(run)}")
        with params_kept(dag):
            for ti in ready:
                _run_task(ti=ti, task=dag.task_dict[ti.task_id])
    # the scheduler's bookkeeping of a finished run: may the DAG get its next run?
    _scheduler()._set_exceeds_max_active_runs(dag_model=session.get(DagModel, dag.dag_id), session=session)
    session.commit()
    return run


def task_states(run) -> dict[str, str]:
    """{task id (fetch[i] for a mapped instance): state} of a DagRun."""
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state)
        for ti in run.get_task_instances()
    }
