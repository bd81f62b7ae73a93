"""The rules of custody, bail and charging, as data in one place.

Every limit, period and list that the law or a force's policy sets lives here, never as a literal in the
code that applies it. The defaults follow DOMAIN.md §8.2-§8.4; a force overrides any of them in
`force.settings` under the keys `custody_clock`, `bail` and `charging` (see `docs/crimes.md`). Several
defaults are background knowledge marked `UNVERIFIED` in DOMAIN.md (who reviews detention, which offences
are summary only, how the bail-breach hours apply); each is a setting for that reason.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.crimes.models import BAIL_AUTHORITIES
from safeguard.force.models import Force

AUTHORITY_LABELS = {
    "custody-officer": "Custody officer",
    "inspector": "Inspector or above",
    "superintendent": "Superintendent or above",
    "court": "Magistrates' court",
}
assert set(AUTHORITY_LABELS) == set(BAIL_AUTHORITIES)

RANK_LABELS = {
    "sergeant": "Sergeant",
    "inspector": "Inspector",
    "chief-inspector": "Chief inspector",
    "superintendent": "Superintendent",
    "chief-superintendent": "Chief superintendent",
}


def _hours(value: Any) -> timedelta:
    return timedelta(hours=float(value))


@dataclass(frozen=True)
class ClockRules:
    """The PACE detention clock (DOMAIN.md §8.3). Hours, as a force may set them."""

    # The relevant time is arrival at the station, but no later than this after the arrest (s41).
    relevant_time_cap: timedelta = timedelta(hours=24)
    basic_limit: timedelta = timedelta(hours=24)  # s41
    superintendent_limit: timedelta = timedelta(hours=36)  # s42
    warrant_step: timedelta = timedelta(hours=36)  # s43: each warrant of further detention, from its issue
    maximum: timedelta = timedelta(hours=96)  # s44: never beyond this from the relevant time
    first_review: timedelta = timedelta(hours=6)  # s40: after detention was first authorised
    review_interval: timedelta = timedelta(hours=9)  # s40: then at least this often
    # Arrest for breaching pre-charge bail (PCSC Act 2022): added to the 24- and 36-hour limits.
    bail_breach_extra: timedelta = timedelta(hours=3)
    # A superintendent's extension: only after this many reviews, and within this long of the relevant time.
    extension_after_reviews: int = 2
    extension_within: timedelta = timedelta(hours=24)
    # Warnings start this long before a review or a limit falls due.
    warn_within: timedelta = timedelta(hours=1)
    # Offences for which neither a superintendent's extension nor a warrant may be given (summary only).
    summary_only_offences: tuple[str, ...] = ("common-assault", "stalking", "harassment")
    # Who may review detention before charge (UNVERIFIED: inspector or above, not involved in the case).
    review_ranks: tuple[str, ...] = ("inspector", "chief-inspector", "superintendent", "chief-superintendent")
    # Who may extend detention to 36 hours.
    extension_ranks: tuple[str, ...] = ("superintendent", "chief-superintendent")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ClockRules:
        chosen = (settings or {}).get("custody_clock") or {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f.name + "_hours" if f.type == "timedelta" else f.name
            if key not in chosen:
                continue
            raw = chosen[key]
            if f.type == "timedelta":
                values[f.name] = _hours(raw)
            elif f.type == "int":
                values[f.name] = int(raw)
            else:
                values[f.name] = tuple(str(item) for item in raw)
        return cls(**values)


@dataclass(frozen=True)
class BailRules:
    """Pre-charge bail (DOMAIN.md §8.4): how long bail may run from its start date, by who sets it."""

    # In order of seniority: each authority may set bail up to its own period, measured from the bail start.
    periods: tuple[tuple[str, int], ...] = (("custody-officer", 3), ("inspector", 6), ("superintendent", 9),
                                            ("court", 24))
    # Typical DA conditions (local practice), offered on the bail form; "other" takes anything else.
    condition_kinds: tuple[tuple[str, str], ...] = (
        ("no-contact", "No contact, direct or indirect, with"),
        ("exclusion", "Not to enter (street, area or address)"),
        ("residence", "Live and sleep at"),
        ("curfew", "Curfew"),
        ("no-social-media", "No social media posts about"),
        ("other", "Other condition"),
    )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> BailRules:
        chosen = (settings or {}).get("bail") or {}
        values: dict[str, Any] = {}
        if isinstance(chosen.get("periods"), Mapping):
            months = {str(k): int(v) for k, v in chosen["periods"].items() if k in BAIL_AUTHORITIES}
            values["periods"] = tuple((a, months[a]) for a in BAIL_AUTHORITIES if a in months)
        if isinstance(chosen.get("condition_kinds"), list):
            values["condition_kinds"] = tuple((str(k["code"]), str(k["label"])) for k in chosen["condition_kinds"])
        return cls(**values)

    def months(self, authority: str) -> int | None:
        return dict(self.periods).get(authority)

    def authority_needed(self, starts_on: date, return_on: date) -> str | None:
        """The least senior authority that may set bail running to `return_on`; None if none may."""
        for authority, months in self.periods:
            if return_on <= add_months(starts_on, months):
                return authority
        return None

    def may_set(self, authority: str, starts_on: date, return_on: date) -> bool:
        needed = self.authority_needed(starts_on, return_on)
        order = [a for a, _ in self.periods]
        return needed is not None and authority in order and order.index(authority) >= order.index(needed)

    def condition_label(self, kind: str) -> str:
        return dict(self.condition_kinds).get(kind, kind)


@dataclass(frozen=True)
class ChargingRules:
    """Who may decide to charge (DOMAIN.md §8.2, the Director's Guidance on Charging, 6th edition)."""

    # DG6 sends domestic abuse cases to the CPS; a force may allow police charging (e.g. under a local protocol).
    police_may_charge_da: bool = False
    # Harassment and stalking cases also go to the CPS under DG6.
    cps_only_offences: tuple[str, ...] = ("stalking", "stalking-fear", "harassment", "fear-of-violence")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ChargingRules:
        chosen = (settings or {}).get("charging") or {}
        values: dict[str, Any] = {}
        if "police_may_charge_da" in chosen:
            values["police_may_charge_da"] = bool(chosen["police_may_charge_da"])
        if "cps_only_offences" in chosen:
            values["cps_only_offences"] = tuple(str(code) for code in chosen["cps_only_offences"])
        return cls(**values)


@dataclass(frozen=True)
class Rules:
    clock: ClockRules = field(default_factory=ClockRules)
    bail: BailRules = field(default_factory=BailRules)
    charging: ChargingRules = field(default_factory=ChargingRules)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> Rules:
        return cls(ClockRules.from_settings(settings), BailRules.from_settings(settings),
                   ChargingRules.from_settings(settings))


async def rules_for(db: AsyncSession, force_id: int) -> Rules:
    """The force's rules: its settings over the defaults."""
    return Rules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month (31 January + 1 month = 28 or 29 February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
