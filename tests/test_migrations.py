"""The migration entry point: idempotent, checksum-guarded, same schema every time."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import psycopg
import pytest

from tests.dbutil import ROOT, migrate, server_url, url_for


@pytest.fixture
def empty_db():
    name = "mig_" + uuid.uuid4().hex[:10]
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield url_for(name)
    finally:
        with psycopg.connect(server_url(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def schema_dump(url: str) -> str:
    out = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "\n".join(
        line for line in out.splitlines() if not line.startswith(("-- Dumped", "\\restrict", "\\unrestrict"))
    )


def test_migrate_twice_gives_identical_schema(empty_db):
    migrate(empty_db)
    first = schema_dump(empty_db)
    second_run = migrate(empty_db)
    assert second_run.returncode == 0
    assert schema_dump(empty_db) == first
    assert "CREATE TABLE market.stock_prices (" in first
    assert "CREATE FUNCTION pipeline.sync_universe(" in first


def test_every_numbered_migration_is_recorded_with_checksum(empty_db):
    migrate(empty_db)
    files = sorted(p.name for p in (ROOT / "db").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    with psycopg.connect(empty_db) as conn:
        rows = conn.execute("select filename, length(checksum) from pipeline.schema_migrations order by 1").fetchall()
    assert [r[0] for r in rows] == files
    assert all(r[1] == 64 for r in rows)


def test_edited_landed_migration_is_refused(empty_db, tmp_path):
    copy = tmp_path / "db"
    shutil.copytree(ROOT / "db", copy)
    env_url = empty_db
    run = lambda: subprocess.run(
        [str(copy / "migrate.sh")],
        env={"DATABASE_URL": env_url, "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
    )
    assert run().returncode == 0
    first = sorted(copy.glob("[0-9][0-9][0-9][0-9]_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after landing\n")
    result = run()
    assert result.returncode != 0
    assert f"landed migration {first.name} was edited" in result.stderr


def test_failing_migration_leaves_nothing_behind(empty_db, tmp_path):
    copy = tmp_path / "db"
    shutil.copytree(ROOT / "db", copy)
    (copy / "9999_broken.sql").write_text("create table market.half_done (x int);\nselect no_such_function();\n")
    result = subprocess.run(
        [str(copy / "migrate.sh")],
        env={"DATABASE_URL": empty_db, "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select to_regclass('market.half_done')").fetchone()[0] is None
        names = [r[0] for r in conn.execute("select filename from pipeline.schema_migrations")]
    assert "9999_broken.sql" not in names
