"""The history-based MARAC routes (DOMAIN.md §1.5): `escalation` and `repeat`.

The answers alone decide `visible-high-risk` and `professional-judgement` (see `scoring`). These two need the
victim's history, so they are decided when an assessment is saved:

* `escalation`: N domestic-abuse incidents with the person as victim within M months, counting the current
  incident, over a window that ends at the current incident. SafeLives' common rule is 3 in 12 months; some
  areas use other thresholds (Kent and Medway: 3 in 6), so both numbers are the force's to set in
  `force.settings["marac"]` as `escalation_incidents` and `escalation_months`.
* `repeat`: the victim was referred to MARAC before, and this incident happened within 12 months of the last
  referral (`repeat_months`). The referral's date is when it was submitted, or when it was made if it was
  never submitted; a declined referral does not count. An incident more than 12 months after the last
  referral is a new referral, not a repeat.

The rules are pure functions over plain values (`escalation_met`, `repeat_met`), with a database function
(`history_routes`) that gathers the values for one victim and one incident.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Incident, IncidentPerson
from safeguard.force.models import Force
from safeguard.risk.models import MaracReferral
from safeguard.risk.scoring import ESCALATION, REPEAT

SETTINGS_KEY = "marac"
log = logging.getLogger(__name__)


class RulesError(ValueError):
    """A force's MARAC settings are not usable."""


@dataclass(frozen=True)
class EligibilityRules:
    escalation_incidents: int = 3
    escalation_months: int = 12
    repeat_months: int = 12

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> EligibilityRules:
        """The force's choices from `force.settings["marac"]`; unknown keys are ignored, bad values refused."""
        chosen = (settings or {}).get(SETTINGS_KEY) or {}
        values: dict[str, int] = {}
        for f in fields(cls):
            if f.name not in chosen:
                continue
            raw = chosen[f.name]
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 120:
                raise RulesError(f"force settings marac.{f.name} must be a whole number from 1 to 120, not {raw!r}")
            values[f.name] = raw
        return cls(**values)


def months_before(at: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the last day of the month where that day is missing)."""
    total = at.year * 12 + (at.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def months_after(at: datetime, months: int) -> datetime:
    return months_before(at, -months)


def escalation_met(incident_times: Mapping[int, datetime], current_id: int, current_at: datetime,
                   rules: EligibilityRules) -> bool:
    """Are there at least N DA incidents (the current one included, each counted once) in the M months that end
    at the current incident? `incident_times` maps the victim's DA incidents to when each happened."""
    start = months_before(current_at, rules.escalation_months)
    counted = {incident_id for incident_id, at in incident_times.items() if start < at <= current_at}
    counted.add(current_id)
    return len(counted) >= rules.escalation_incidents


@dataclass(frozen=True)
class PastReferral:
    referred_at: datetime
    submitted_at: datetime | None
    status: str

    @property
    def dated(self) -> datetime:
        return self.submitted_at or self.referred_at


def last_referral(referrals: Iterable[PastReferral], before: datetime) -> datetime | None:
    """The date of the last referral made before `before` that was not declined."""
    dates = [r.dated for r in referrals if r.status != "declined" and r.dated < before]
    return max(dates, default=None)


def repeat_met(referrals: Iterable[PastReferral], incident_at: datetime, rules: EligibilityRules) -> bool:
    """Did this incident happen within `repeat_months` of the victim's last (not declined) MARAC referral?"""
    last = last_referral(referrals, incident_at)
    return last is not None and incident_at <= months_after(last, rules.repeat_months)


def routes(incident_times: Mapping[int, datetime], referrals: Iterable[PastReferral], current_id: int,
           current_at: datetime, rules: EligibilityRules) -> tuple[str, ...]:
    met = []
    if escalation_met(incident_times, current_id, current_at, rules):
        met.append(ESCALATION)
    if repeat_met(referrals, current_at, rules):
        met.append(REPEAT)
    return tuple(met)


# -- from the database -------------------------------------------------------------------------------------

async def rules_for(db: AsyncSession, force_id: int) -> EligibilityRules:
    """The force's rules. A force whose settings are broken gets the defaults, and the fault is logged: an
    officer saving an assessment at the scene must not be stopped by a configuration mistake."""
    try:
        return EligibilityRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))
    except RulesError as fault:
        log.warning("force %s: %s; using the default MARAC rules", force_id, fault)
        return EligibilityRules()


async def history_routes(db: AsyncSession, *, victim_id: int, incident_id: int,
                         rules: EligibilityRules | None = None, force_id: int | None = None) -> tuple[str, ...]:
    """The history-based routes this victim meets at this incident (row-level security confines every query to
    the caller's force). Returns () if the incident is not visible."""
    current = (await db.execute(select(Incident.id, Incident.occurred_at, Incident.force_id)
                                .where(Incident.id == incident_id))).first()
    if current is None:
        return ()
    if rules is None:
        rules = await rules_for(db, force_id if force_id is not None else current.force_id)
    rows = await db.execute(
        select(Incident.id, Incident.occurred_at).join(IncidentPerson, IncidentPerson.incident_id == Incident.id)
        .where(IncidentPerson.person_id == victim_id, IncidentPerson.role == "victim",
               Incident.da_related.is_(True)))
    times = {row.id: row.occurred_at for row in rows}
    referrals = [PastReferral(r.referred_at, r.submitted_at, r.status) for r in await db.execute(
        select(MaracReferral.referred_at, MaracReferral.submitted_at, MaracReferral.status)
        .where(MaracReferral.victim_id == victim_id))]
    return routes(times, referrals, current.id, current.occurred_at, rules)
