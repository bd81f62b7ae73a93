"""The demo force's first harm ranking, so the ranking page and operations have a list from the start."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from safeguard.db.session import session_scope, set_force_context
from safeguard.force.models import Force
from safeguard.targeting import service


async def _rank_demo(app_url: str, force_code: str) -> int:
    async with session_scope(app_url) as db:
        force = await db.scalar(select(Force).where(Force.code == force_code))
        if force is None:
            raise RuntimeError(f"The force {force_code} has not been seeded.")
        await set_force_context(db, force.id)
        existing = await service.latest_ranking(db, force.id)
        if existing is not None:
            return existing.perpetrators
        ranking = await service.rank_and_store(db, force.id, computed_by="demo seed")
        return ranking.perpetrators


def rank_demo(admin_url: str, app_url: str, force_code: str) -> int:
    """Store one ranking for the force (3 years to today, the newest weights, DuckDB) as the application's role,
    unless it has one already. Returns how many perpetrators its latest ranking holds.

    `admin_url` is not needed: the ranking runs under row-level security like any other."""
    del admin_url
    return asyncio.run(_rank_demo(app_url, force_code))
