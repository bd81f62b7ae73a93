"""The numbers of protective notices and orders, as data a force may override (DOMAIN.md §7.2-7.4).

Defaults follow DOMAIN.md, with its confidence beside each; a force sets any of them in `force.settings`
under the key `protective_orders` (see `docs/protective-orders.md`), e.g.
`{"protective_orders": {"dvpn_authoriser_ranks": ["inspector", "chief-inspector", "superintendent"]}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.force.models import Force
from safeguard.safeguarding.clocks import ExcludedDays

SETTINGS_KEY = "protective_orders"

RANK_LABELS = {
    "constable": "Constable",
    "sergeant": "Sergeant",
    "inspector": "Inspector",
    "chief-inspector": "Chief inspector",
    "superintendent": "Superintendent",
    "chief-superintendent": "Chief superintendent",
    "chief-officer": "Chief officer (ACC and above)",
}


@dataclass(frozen=True)
class OrderRules:
    # DAPN (DA Act 2021 ss22-26), VERIFIED [S90][S91][S92]: the DAPO application is heard within 48 hours of
    # service, and a subject arrested for breach goes before the court within 24 hours; both not counting
    # Sundays, Christmas Day, Good Friday or bank holidays. Given only by an inspector or above; never to
    # anyone under 18.
    dapn_hearing_hours: float = 48
    dapn_breach_court_hours: float = 24
    dapn_authoriser_ranks: tuple[str, ...] = ("inspector", "chief-inspector", "superintendent",
                                              "chief-superintendent", "chief-officer")
    dapn_min_age: int = 18
    # DVPN/DVPO (Crime and Security Act 2010 ss24-33), VERIFIED [S97][S98]: the DVPO hearing within 48 hours;
    # a DVPO lasts 14-28 days. Whether the DVPN's 48 hours skip the same days is not in DOMAIN.md's sources
    # (UNVERIFIED), hence a setting. The authoriser was a superintendent or above [S97]; some training
    # material says inspector (UNVERIFIED whether amended), hence a setting.
    dvpn_hearing_hours: float = 48
    dvpn_skips_excluded_days: bool = True
    dvpn_authoriser_ranks: tuple[str, ...] = ("superintendent", "chief-superintendent", "chief-officer")
    dvpo_min_days: int = 14
    dvpo_max_days: int = 28
    # DAPO (s41), VERIFIED [S93]: the subject notifies name and address within 3 days; electronic monitoring
    # at most 12 months at a time [S93][S95]. How the 3 days are counted is PARTIAL (see clocks.py).
    dapo_notification_days: int = 3
    electronic_monitoring_max_months: int = 12
    # Clocks falling due within this many hours are highlighted on the list of orders.
    warn_within_hours: float = 24
    # The bank-holiday calendar (`holidays` library): England and Wales by default.
    calendar_country: str = "GB"
    calendar_subdiv: str = "ENG"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> OrderRules:
        chosen = (settings or {}).get(SETTINGS_KEY) or {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in chosen:
                continue
            raw = chosen[f.name]
            if f.type == "float":
                values[f.name] = float(raw)
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "bool":
                values[f.name] = bool(raw)
            elif f.type == "str":
                values[f.name] = str(raw)
            else:
                values[f.name] = tuple(str(item) for item in raw)
        return cls(**values)

    @property
    def excluded(self) -> ExcludedDays:
        """Sundays, Christmas Day, Good Friday and the calendar's bank holidays."""
        return ExcludedDays(country=self.calendar_country, subdiv=self.calendar_subdiv or None)

    @property
    def dvpn_excluded(self) -> ExcludedDays:
        if self.dvpn_skips_excluded_days:
            return self.excluded
        return ExcludedDays(country=self.calendar_country, subdiv=self.calendar_subdiv or None, sundays=False,
                            christmas_day=False, good_friday=False, bank_holidays=False)

    def authoriser_ranks(self, kind: str) -> tuple[str, ...] | None:
        """The ranks that may authorise a notice of this kind; None when a court makes it."""
        return {"dapn": self.dapn_authoriser_ranks, "dvpn": self.dvpn_authoriser_ranks}.get(kind)


async def order_rules_for(db: AsyncSession, force_id: int) -> OrderRules:
    return OrderRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))
