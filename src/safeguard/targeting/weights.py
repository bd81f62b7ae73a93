"""The RFG(V) weights a force ranks its DA perpetrators with, as numbered versions that never change.

DOMAIN.md §5.1: the real MATAC point tables are force spreadsheets that are not published, so the defaults
here are the `UNVERIFIED` template from that section, offered for a force to replace. What a score means:

- the events are the person's DA incidents as a suspect inside the window, and the DA crimes they are a
  suspect in that have no incident; an event's harm is the highest harm weight (offence catalogue, days) of
  the offences recorded on it against them, or `non_crime_harm` when no crime was recorded;
- recency = `recency` x the points of the first band whose months (since the latest event, days / 30) are
  not exceeded, or 0;
- frequency = `frequency` x min(events, `frequency_cap`);
- gravity = `gravity` x ln(1 + the highest event harm);
- victims = `victims` x the number of distinct victims;
- score = recency + frequency + gravity + victims; total harm = the sum of the events' harm.

A change of weights is a new version (`add_version`); a ranked list records the version it was made with.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.targeting.models import HarmWeightSet

Points = Annotated[float, Field(ge=0, le=1000)]
Weight = Annotated[float, Field(ge=0, le=1000)]


class HarmWeights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # [months since the latest event, points], months ascending: the first band the gap fits in scores.
    recency_bands: list[tuple[Annotated[int, Field(gt=0, le=600)], Points]] = Field(min_length=1, max_length=24)
    recency: Weight = 1.0
    frequency: Weight = 1.0
    frequency_cap: Annotated[int, Field(gt=0, le=1000)] = 20
    gravity: Weight = 1.0
    victims: Weight = 2.0
    non_crime_harm: Annotated[float, Field(ge=0, le=100_000)] = 1.0
    serial_min_victims: Annotated[int, Field(ge=2, le=50)] = 2
    serial_min_age: Annotated[int, Field(ge=10, le=30)] = 16

    @model_validator(mode="after")
    def _bands_ascend(self) -> HarmWeights:
        months = [band[0] for band in self.recency_bands]
        if months != sorted(set(months)):
            raise ValueError("recency_bands: months must go up, each band once (for example [[3, 5], [6, 4]])")
        return self


DEFAULT_WEIGHTS = HarmWeights(recency_bands=[(3, 5.0), (6, 4.0), (12, 3.0), (24, 2.0), (36, 1.0)])


class WeightsError(ValueError):
    """A weight version that does not exist, or weights that are not valid: the message says which."""


def parse_weights(raw: dict[str, Any]) -> HarmWeights:
    try:
        return HarmWeights.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'weights'}: {e['msg']}" for e in exc.errors())
        raise WeightsError(f"The weights are not valid: {problems}") from None


async def versions(db: AsyncSession, force_id: int) -> list[HarmWeightSet]:
    """Every version of the force's weights, newest first (the session must be in the force's context)."""
    rows = await db.scalars(select(HarmWeightSet).where(HarmWeightSet.force_id == force_id)
                            .order_by(HarmWeightSet.version.desc()))
    return list(rows)


async def weight_set(db: AsyncSession, force_id: int, version: int | None = None, *,
                     created_by: str = "Safeguard defaults") -> HarmWeightSet:
    """The given version, or the newest. A force with none gets version 1, the defaults, on first use.

    Raises WeightsError when the version asked for does not exist."""
    query = select(HarmWeightSet).where(HarmWeightSet.force_id == force_id)
    if version is not None:
        found = await db.scalar(query.where(HarmWeightSet.version == version))
        if found is None:
            known = [v.version for v in await versions(db, force_id)]
            listed = ", ".join(str(v) for v in sorted(known)) or "none yet"
            raise WeightsError(f"Weight version {version} does not exist for this force (versions: {listed}).")
        return found
    newest = await db.scalar(query.order_by(HarmWeightSet.version.desc()).limit(1))
    if newest is not None:
        return newest
    return await add_version(db, force_id, DEFAULT_WEIGHTS, created_by=created_by,
                             note="Safeguard's defaults: the UNVERIFIED template of DOMAIN.md §5.1")


async def add_version(db: AsyncSession, force_id: int, weights: HarmWeights, *, created_by: str,
                      created_by_id: int | None = None, note: str | None = None) -> HarmWeightSet:
    """Store the weights as the force's next version. A transaction-scoped advisory lock keeps two editors
    from taking the same number; the unique constraint backs that up."""
    await db.execute(select(func.pg_advisory_xact_lock(func.hashtext("harm_weight_set"), force_id)))
    latest = await db.scalar(select(func.max(HarmWeightSet.version)).where(HarmWeightSet.force_id == force_id))
    row = HarmWeightSet(force_id=force_id, version=(latest or 0) + 1, weights=weights.model_dump(mode="json"),
                        note=note, created_by=created_by, created_by_id=created_by_id)
    db.add(row)
    await db.flush()
    return row
