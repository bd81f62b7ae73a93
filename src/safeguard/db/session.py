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
