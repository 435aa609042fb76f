"""docs/OPERATIONS.md never goes stale: every ```sql block runs (psql, ON_ERROR_STOP, in a
transaction rolled back afterwards) against a database with real data (tests/test_screens.py:
two collection days from the local EODHD server, indicators, screener), and every reprocess
recipe has its plan_cost dry run next to it."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.dbutil import ROOT
from tests.test_screens import market_db

DOC = ROOT / "docs" / "OPERATIONS.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_recipes():
    assert len(BLOCKS) >= 12


def test_each_reprocess_recipe_has_its_dry_run():
    for block in BLOCKS:
        if "request_reprocess(" in block and "'indicators'" not in block:
            assert "plan_cost(" in block, block


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_recipe_runs(number):
    block = BLOCKS[number]
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", market_db()],
        input=f"begin;\n{block}\nrollback;\n",
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"recipe {number} failed:\n{block}\n{out.stderr}"
    assert "ERROR" not in out.stderr, out.stderr
