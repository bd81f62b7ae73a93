"""Seeding loads a whole force with COPY, once, without touching another force."""

from __future__ import annotations

import psycopg
import pytest

from safeguard.db.engine import psycopg_dsn
from safeguard.synth import seed_force
from tests.conftest import DatabaseUnderTest


def test_seed_demo_force_and_refuse_a_second_load(fresh_db: DatabaseUnderTest) -> None:
    report = seed_force(fresh_db.admin_url, size="demo", seed=1, force_code="DEMO")
    assert report.rows["incident"] == 1500 and report.rows["person"] > 3000
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        people = conn.execute("SELECT count(*) FROM person").fetchone()
        assert people == (report.rows["person"],)
        # Sequences were advanced: an insert without an id does not collide.
        conn.execute("INSERT INTO person (force_id, forename, surname) SELECT id, 'New', 'Person' FROM force")
        # The search keys were computed by PostgreSQL.
        assert conn.execute("SELECT count(*) FROM person WHERE surname_sound IS NULL").fetchone() == (0,)
        conn.commit()
    with pytest.raises(ValueError, match="already exists"):
        seed_force(fresh_db.admin_url, size="demo", seed=2, force_code="DEMO")
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (report.rows["person"] + 1,)
    second = seed_force(fresh_db.admin_url, size="demo", seed=1, force_code="TWO", force_name="Second Police")
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        counts = conn.execute("SELECT f.code, count(*) FROM person p JOIN force f ON f.id = p.force_id "
                              "GROUP BY 1 ORDER BY 1").fetchall()
        assert counts == [("DEMO", report.rows["person"] + 1), ("TWO", second.rows["person"])]
        # The true identities are out of the application's reach.
        has = conn.execute("SELECT has_schema_privilege(%s, 'synth', 'USAGE')", (fresh_db.app_role,)).fetchone()
        assert has == (False,)
