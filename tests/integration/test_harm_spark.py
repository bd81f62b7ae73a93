"""The same job definition on Spark (pyspark, local mode) gives exactly DuckDB's ranking on a small seeded force:
ranks, people, every part of every score, total harm, counts, dates and flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.synth import seed_force
from safeguard.targeting import service
from safeguard.targeting.engines import stop_spark
from safeguard.targeting.synthetic import add_crimes, add_flag_inputs
from safeguard.targeting.weights import DEFAULT_WEIGHTS
from tests.conftest import DatabaseUnderTest

AS_OF = date(2026, 11, 1)


@pytest.fixture
def spark_stopped_after() -> Iterator[None]:
    yield
    stop_spark()


async def test_spark_ranks_exactly_as_duckdb(fresh_db: DatabaseUnderTest, spark_stopped_after: None) -> None:
    seeded = seed_force(fresh_db.admin_url, size="demo", seed=5, force_code="SPK")
    add_crimes(fresh_db.admin_url, "SPK")
    add_flag_inputs(fresh_db.admin_url, "SPK")
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine) as db, db.begin():
            await set_force_context(db, seeded.force_id)
            duck = await service.score(db, seeded.force_id, window_days=1095, weights=DEFAULT_WEIGHTS, as_of=AS_OF)
            spark = await service.score(db, seeded.force_id, window_days=1095, weights=DEFAULT_WEIGHTS, as_of=AS_OF,
                                        engine="spark")
    finally:
        await engine.dispose()
    assert len(duck) > 50
    assert spark == duck
    assert {flag for row in spark for flag in row.flags} == {"serial", "victim-high-risk", "active-order", "wanted"}
