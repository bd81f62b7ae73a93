"""The offence catalogue: lookups by code and by report category.

The catalogue is data (`safeguard/crimes/data/offences.csv`, loaded by the migration and replaced with
`safeguard import offences`), never code. Harm weights marked `estimate` are placeholders until a force
imports the official Cambridge Crime Harm Index or ONS Crime Severity Score table (DOMAIN.md §5.3).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.crimes.models import OFFENCE_CATEGORIES, Offence

CATEGORY_LABELS = {
    "assault-wounding": "Assault and wounding",
    "coercive-control-stalking": "Coercive control and stalking",
    "false-imprisonment-kidnap": "False imprisonment and kidnap",
    "threats-to-kill": "Threats to kill",
    "strangulation": "Strangulation and suffocation",
    "harassment": "Harassment",
    "criminal-damage": "Criminal damage",
    "breach-of-order": "Breach of an order",
    "sexual-offences": "Sexual offences",
    "other": "Other offences",
}
assert set(CATEGORY_LABELS) == set(OFFENCE_CATEGORIES)

HARM_SOURCE_LABELS = {
    "chi": "Cambridge Crime Harm Index (days)",
    "css": "ONS Crime Severity Score",
    "estimate": "Estimate, pending the official table",
}

# Shown beside harm weights wherever they appear (DOMAIN.md §5.3).
HARM_CAVEAT = ("Harm weights come from sentencing and understate coercive control, stalking and cumulative "
               "abuse: do not use them on their own to prioritise domestic abuse or to judge performance.")


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


async def by_code(db: AsyncSession, code: str) -> Offence | None:
    found: Offence | None = await db.scalar(select(Offence).where(Offence.code == code))
    return found


async def by_codes(db: AsyncSession, codes: Iterable[str]) -> dict[str, Offence]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await db.scalars(select(Offence).where(Offence.code.in_(wanted)))
    return {offence.code: offence for offence in rows}


async def by_category(db: AsyncSession, category: str, *, include_retired: bool = False) -> list[Offence]:
    if category not in OFFENCE_CATEGORIES:
        raise ValueError(f"'{category}' is not a category; use one of {', '.join(OFFENCE_CATEGORIES)}")
    query = select(Offence).where(Offence.category == category)
    if not include_retired:
        query = query.where(Offence.active.is_(True))
    return list(await db.scalars(query.order_by(Offence.title)))


async def catalogue(db: AsyncSession, *, include_retired: bool = False) -> list[Offence]:
    """Every offence, in report-category order then by title (the order of the record-a-crime form)."""
    query = select(Offence)
    if not include_retired:
        query = query.where(Offence.active.is_(True))
    offences = list(await db.scalars(query.order_by(Offence.title)))
    order = {category: n for n, category in enumerate(OFFENCE_CATEGORIES)}
    return sorted(offences, key=lambda offence: order.get(offence.category, len(order)))
