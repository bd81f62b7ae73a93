"""Connections: which server, which roles, and the async engine the application uses."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
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


# A pooled connection that has sat idle this long is checked with a round trip before it is handed out, and replaced
# if the server has gone (restarted, or the connection dropped by a firewall). One in steady use is not: checking
# every checkout cost a round trip on every request (about 0.1 ms of the web process's time, and the server's),
# and a connection used a moment ago is as good as a ping. If the server goes away between two uses, the first
# request to find out fails, and SQLAlchemy then replaces every connection in the pool.
PING_AFTER_IDLE_SECONDS = 5.0


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine whose pool checks connections that have been idle (`ping_after_idle` seconds, default
    PING_AFTER_IDLE_SECONDS); other keywords go to SQLAlchemy."""
    ping_after_idle = float(kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS))
    engine = create_async_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _taken(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and tries another (a new one if need be).
            raise DisconnectionError("the pooled connection no longer answers") from error
