"""The models and the migrations agree, and the migrations run both ways."""

from __future__ import annotations

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from safeguard.db import migrate
from safeguard.db.engine import psycopg_dsn
from safeguard.models import metadata
from tests.conftest import DatabaseUnderTest


def _diff(admin_url: str) -> list[object]:
    engine = create_engine(admin_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_autogenerate_finds_no_difference(template_db: DatabaseUnderTest) -> None:
    assert _diff(template_db.admin_url) == []


def test_downgrade_to_nothing_and_up_again(fresh_db: DatabaseUnderTest) -> None:
    migrate.downgrade(fresh_db.admin_url, "base", app_role=fresh_db.app_role)
    assert migrate.current(fresh_db.admin_url) == ""
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                              "AND tablename <> 'alembic_version'").fetchone()
        assert tables == (0,)
    migrate.upgrade(fresh_db.admin_url, app_role=fresh_db.app_role)
    assert "(head)" in migrate.current(fresh_db.admin_url)
    assert _diff(fresh_db.admin_url) == []
