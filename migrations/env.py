"""Alembic runs as the owner (the admin URL), with lock and statement timeouts so that a migration
never queues behind a long transaction and blocks the whole force."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from safeguard.db.engine import psycopg_dsn
from safeguard.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("admin_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from safeguard.db.engine import resolve_urls

        url = resolve_urls().admin
    return "postgresql+psycopg://" + psycopg_dsn(url).split("://", 1)[1]


def run_migrations_online() -> None:
    connectable = create_engine(_url(), poolclass=pool.NullPool)
    app_role = config.attributes.get("app_role", "safeguard_app")
    with connectable.connect() as connection:
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.execute(text("SET statement_timeout = '15min'"))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            transaction_per_migration=True,
            app_role=app_role,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
