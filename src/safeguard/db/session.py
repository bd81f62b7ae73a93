"""Transactions. Every request, command and job runs in exactly one, with its force set inside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguard.db.engine import make_engine


async def set_force_context(db: AsyncSession, force_id: int, user_id: int | None = None) -> None:
    """Tell PostgreSQL which force (and user) this transaction acts for; row-level security does the rest.

    `set_config(..., true)` lasts until the end of the transaction, so a pooled connection never carries
    one request's force into the next.
    """
    await db.execute(
        text("SELECT set_config('app.force_id', :force, true), set_config('app.user_id', :user, true)"),
        {"force": str(force_id), "user": "" if user_id is None else str(user_id)},
    )


def sessionmaker_for(url: str, **engine_kwargs: object) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(make_engine(url, **engine_kwargs), expire_on_commit=False)


def web_sessionmaker(url: str, pool_size: int) -> async_sessionmaker[AsyncSession]:
    """A web process's sessions: `pool_size` connections, kept open, and never more.

    A request that finds them all busy waits for the next one free. An "overflow" connection opened for a burst
    costs far more than the wait: PostgreSQL forks a backend for it, whose first statements run with cold
    caches (the audit trigger's PL/pgSQL compiled again, plans made again), and it is closed as soon as it is
    handed back, so the next burst pays again. With 10 overflow connections a worker, bursts of telephony posts
    fed on themselves: slower answers, more requests waiting, more new connections. Measured with
    `bench/intake_bench.py` (2 workers, alternating runs): /healthz 1,319 to 2,126 a second with overflow and
    2,612 to 3,150 without; 500 contacts offered a second answered with p99 11 to 388 ms with it and 9 to 25 ms
    without."""
    return sessionmaker_for(url, pool_size=pool_size, max_overflow=0)


@asynccontextmanager
async def session_scope(url: str, force_id: int | None = None) -> AsyncIterator[AsyncSession]:
    """One transaction on a short-lived engine, for CLI commands."""
    engine = make_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db, db.begin():
            if force_id is not None:
                await set_force_context(db, force_id)
            yield db
    finally:
        await engine.dispose()
