"""Connections: which server, which roles, and the async engine the application uses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from safeguard.config import Settings, get_settings
from safeguard.db.embedded import EmbeddedPostgres

# Settings that make a bulk load or a test run quicker on the embedded server. Durability settings
# are left alone: an embedded server holds real data.
EMBEDDED_SETTINGS = {
    "max_connections": "60",
    "shared_buffers": "256MB",
    "max_wal_size": "4GB",
    "maintenance_work_mem": "512MB",
    "work_mem": "32MB",
}


@dataclass(frozen=True)
class DatabaseUrls:
    app: str  # the application's role: no superuser, owns nothing
    admin: str  # the owner: migrations, seeding, audit verification


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def psycopg_dsn(url: str) -> str:
    """A SQLAlchemy URL as a plain libpq connection string."""
    return _psycopg_dsn(url)


@cache
def embedded_server(data_dir: str) -> EmbeddedPostgres:
    from pathlib import Path

    return EmbeddedPostgres(Path(data_dir), settings=EMBEDDED_SETTINGS)


def bootstrap_database(admin_server_url: str, database: str, app_role: str) -> None:
    """Create the database and the application's role when they are missing (needs a superuser)."""
    with psycopg.connect(_psycopg_dsn(admin_server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
        if not role:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(
                    sql.Identifier(app_role)
                )
            )


def resolve_urls(settings: Settings | None = None) -> DatabaseUrls:
    """Where to connect. Starts the embedded server on demand when no DATABASE_URL is given."""
    settings = settings or get_settings()
    if settings.database_url:
        return DatabaseUrls(app=settings.database_url, admin=settings.database_admin_url or settings.database_url)
    server = embedded_server(str(settings.safeguard_data_dir))
    server.acquire()
    bootstrap_database(server.url(), settings.safeguard_db_name, settings.safeguard_app_role)
    return DatabaseUrls(
        app=server.url(user=settings.safeguard_app_role, database=settings.safeguard_db_name),
        admin=server.url(database=settings.safeguard_db_name),
    )


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    return create_async_engine(url, pool_pre_ping=True, **kwargs)
