"""`safeguard targets rank` and `safeguard targets weights`, run as an analyst would, against a seeded force."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import psycopg
import pytest

from safeguard.db.engine import psycopg_dsn
from safeguard.synth import seed_force
from safeguard.targeting.synthetic import add_crimes, add_flag_inputs
from tests.conftest import DatabaseUnderTest


def _run(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db.app_url, DATABASE_ADMIN_URL=db.admin_url, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "safeguard", "targets", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def seeded(fresh_db: DatabaseUnderTest) -> DatabaseUnderTest:
    seed_force(fresh_db.admin_url, size="demo", seed=2, force_code="CLI")
    add_crimes(fresh_db.admin_url, "CLI")
    add_flag_inputs(fresh_db.admin_url, "CLI")
    return fresh_db


def test_rank_prints_json_and_csv_of_the_same_list_and_stores_only_when_asked(seeded: DatabaseUnderTest) -> None:
    as_json = _run(seeded, "rank", "--window", "3y", "--top", "5", "--format", "json", "--as-of", "2026-11-01")
    assert as_json.returncode == 0, as_json.stderr
    ranked = json.loads(as_json.stdout)
    assert [r["rank"] for r in ranked] == [1, 2, 3, 4, 5]
    assert set(ranked[0]) == {"rank", "person_id", "display_name", "score", "breakdown", "flags", "total_harm"}
    assert set(ranked[0]["breakdown"]) == {"recency", "frequency", "gravity", "victims"}
    for r in ranked:
        assert r["score"] == pytest.approx(sum(r["breakdown"].values()), abs=1e-9)
        assert r["display_name"] and isinstance(r["flags"], list)
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert "CLI: ranked" in as_json.stderr and "over 1,095 days to 2026-11-01 with weight version 1" in as_json.stderr

    as_csv = _run(seeded, "rank", "--window", "36m", "--top", "5", "--format", "csv", "--as-of", "2026-11-01",
                  "--engine", "postgres", "--store")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == ["rank", "person_id", "display_name", "score", "recency", "frequency", "gravity",
                             "victims", "flags", "total_harm"]
    # 36 months is 1,080 days, not 3 years: the list may differ, but its form is the same.
    assert [int(row["rank"]) for row in rows] == [1, 2, 3, 4, 5]
    assert all(row["flags"] == ";".join(row["flags"].split(";")) for row in rows)
    assert "Stored as ranking" in as_csv.stderr
    with psycopg.connect(psycopg_dsn(seeded.admin_url)) as conn:
        stored = conn.execute("SELECT engine, window_days, weight_version, perpetrators FROM harm_ranking").fetchall()
    assert len(stored) == 1 and stored[0][:3] == ("postgres", 1080, 1) and stored[0][3] > 5

    same = _run(seeded, "rank", "--top", "5", "--format", "csv", "--as-of", "2026-11-01")
    assert [row["person_id"] for row in csv.DictReader(io.StringIO(same.stdout))] == [
        str(r["person_id"]) for r in ranked]


def test_bad_input_is_refused_with_the_reason(seeded: DatabaseUnderTest) -> None:
    none_yet = _run(seeded, "rank", "--weights-version", "9")
    assert none_yet.returncode == 1 and none_yet.stdout == ""
    assert "Weight version 9 does not exist for this force (versions: none yet)." in none_yet.stderr
    versions = _run(seeded, "weights")
    assert versions.returncode == 0, versions.stderr
    assert versions.stdout.startswith("Version 1, ") and '"recency_bands": [[3, 5.0]' in versions.stdout
    unknown = _run(seeded, "rank", "--weights-version", "9")
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "Weight version 9 does not exist for this force (versions: 1)." in unknown.stderr
    window = _run(seeded, "rank", "--window", "3 weeks")
    assert window.returncode == 2 and "such as 3y, 18m or 90d" in window.stderr
