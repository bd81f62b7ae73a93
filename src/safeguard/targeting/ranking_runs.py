""""Rank now" from a page or the API: check what was asked, then run the ranking job (targeting/service.py),
which stores the list with the weight version it used. Refusals name the field at fault; nothing is stored."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.targeting import service
from safeguard.targeting.models import HarmRanking
from safeguard.targeting.weights import WeightsError

YEARS = (1, 2, 3, 4, 5)
DAYS_A_YEAR = 365
MAX_WINDOW_DAYS = 5 * DAYS_A_YEAR + 1  # five years, with a leap day


class RankRefused(Exception):
    def __init__(self, errors: dict[str, str], *, unknown_version: bool = False) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.unknown_version = unknown_version  # the API answers 404 for this one


def read_choice(window: str, weight_version: str) -> tuple[int, int | None]:
    """The page's choices: a window of 1 to 5 years and a weight version ("" for the newest)."""
    errors: dict[str, str] = {}
    years = int(window) if window.isdigit() and len(window) < 3 else 0
    if years not in YEARS:
        errors["window"] = "Choose a window of 1 to 5 years"
    version = None
    if weight_version:
        if weight_version.isdigit() and len(weight_version) < 10:
            version = int(weight_version)
        else:
            errors["weight_version"] = "Choose a weight version from the list"
    if errors:
        raise RankRefused(errors)
    return years * DAYS_A_YEAR, version


async def rank(db: AsyncSession, actor: Actor, window_days: int, weight_version: int | None) -> HarmRanking:
    """Rank the force's perpetrators now and store the list (the job audits it). Raises RankRefused for a
    window out of range or a weight version that does not exist."""
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise RankRefused({"window_days": f"The window must be 1 to {MAX_WINDOW_DAYS} days (five years)"})
    try:
        return await service.rank_and_store(db, actor.force_id, window_days=window_days,
                                            weight_version=weight_version, computed_by=actor.label,
                                            computed_by_id=actor.user_id)
    except WeightsError as refused:
        raise RankRefused({"weight_version": str(refused)}, unknown_version=weight_version is not None) from None


async def rank_now(db: AsyncSession, actor: Actor, window: str, weight_version: str) -> HarmRanking:
    window_days, version = read_choice(window, weight_version)
    return await rank(db, actor, window_days, version)
