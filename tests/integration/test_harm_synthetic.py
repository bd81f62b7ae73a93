"""DuckDB and the plain PostgreSQL ranking agree, to the last digit and flag, on a seeded synthetic force with
crimes, DASH assessments and orders added, ranked as the application's role under row-level security."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.synth import seed_force
from safeguard.targeting import service
from safeguard.targeting.synthetic import add_crimes, add_flag_inputs
from safeguard.targeting.weights import DEFAULT_WEIGHTS, HarmWeights
from tests.conftest import DatabaseUnderTest

AS_OF = date(2026, 11, 1)  # the synthetic force's last day


async def test_duckdb_equals_plain_postgresql_on_a_synthetic_force(fresh_db: DatabaseUnderTest) -> None:
    seeded = seed_force(fresh_db.admin_url, size="demo", seed=3, force_code="HRM")
    other = seed_force(fresh_db.admin_url, size="demo", seed=4, force_code="OTH")
    suspects = add_crimes(fresh_db.admin_url, "HRM")
    assert suspects > 100
    assert add_crimes(fresh_db.admin_url, "HRM") == 0  # already done: nothing added twice
    add_flag_inputs(fresh_db.admin_url, "HRM")
    engine = make_engine(fresh_db.app_url)
    short = HarmWeights(recency_bands=[(1, 9.0), (4, 3.0)], frequency=0.5, frequency_cap=4, gravity=2.0,
                        victims=1.5, non_crime_harm=3.0)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, seeded.force_id)
            for weights, window in ((DEFAULT_WEIGHTS, 1095), (short, 200)):
                duck = await service.score(db, seeded.force_id, window_days=window, weights=weights, as_of=AS_OF)
                plain = await service.score(db, seeded.force_id, window_days=window, weights=weights, as_of=AS_OF,
                                            engine="postgres")
                assert len(duck) > 50
                assert duck == plain
            ranked = await service.compute(db, seeded.force_id, window_days=1095, weights=DEFAULT_WEIGHTS,
                                           as_of=AS_OF, top=10)
            assert [r.rank for r in ranked] == list(range(1, 11))
            assert all(r.display_name for r in ranked)
            everyone = await service.compute(db, seeded.force_id, window_days=1095, weights=DEFAULT_WEIGHTS,
                                             as_of=AS_OF)
            assert everyone[:10] == ranked
            assert {flag for r in everyone for flag in r.flags} == {"serial", "victim-high-risk", "active-order",
                                                                    "wanted"}
            # The other force's people are not in this force's list.
            await set_force_context(db, other.force_id)
            theirs = {row.person_id for row in await service.score(
                db, other.force_id, window_days=1095, weights=DEFAULT_WEIGHTS, as_of=AS_OF)}
            await set_force_context(db, seeded.force_id)
            ours = {row.person_id for row in await service.score(
                db, seeded.force_id, window_days=1095, weights=DEFAULT_WEIGHTS, as_of=AS_OF)}
            assert theirs and ours and not theirs & ours
    finally:
        await engine.dispose()


def test_the_demo_hook_stores_one_ranking_once(fresh_db: DatabaseUnderTest) -> None:
    import psycopg

    from safeguard.db.engine import psycopg_dsn
    from safeguard.targeting.demo_seed import rank_demo

    seed_force(fresh_db.admin_url, size="demo", seed=1, force_code="DMO")
    add_crimes(fresh_db.admin_url, "DMO")
    ranked = rank_demo(fresh_db.admin_url, fresh_db.app_url, "DMO")
    assert ranked > 50
    assert rank_demo(fresh_db.admin_url, fresh_db.app_url, "DMO") == ranked
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        rows = conn.execute("SELECT r.computed_by, r.weight_version, count(e.id) FROM harm_ranking r "
                            "JOIN harm_ranking_entry e ON e.ranking_id = r.id GROUP BY 1, 2").fetchall()
    assert rows == [("demo seed", 1, ranked)]
