"""What the force achieved in any period [start, end): arrests, charges by report category, outcomes.

The operations summary and the reports build on `results()`. Days are UK days: the period runs from
midnight UK time on `start` to midnight UK time on `end` (not included). Four aggregate queries, each on
an indexed time column, under row-level security; counts only, no names. Every call is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.crimes import offences as catalogue
from safeguard.crimes.models import (
    OFFENCE_CATEGORIES,
    Arrest,
    Charge,
    ChargeOffence,
    Crime,
    Offence,
    OutcomeType,
    Suspect,
)
from safeguard.crimes.service import UK, CrimeRefused
from safeguard.imports.csvfiles import csv_text

MAX_DAYS = 3660  # ten years


@dataclass(frozen=True)
class CategoryCount:
    category: str
    label: str
    count: int


@dataclass(frozen=True)
class OutcomeCount:
    code: str
    title: str
    group: str
    count: int


@dataclass(frozen=True)
class Results:
    start: date
    end: date  # not included
    da_only: bool
    arrests: int
    arrests_da: int
    arrests_in_operations: int  # the rest were regular response
    people_arrested: int  # distinct people
    people_arrested_da: int  # distinct people arrested at least once for DA
    charge_decisions: int  # charges (each may hold several offences)
    people_charged: int
    charges_by_category: list[CategoryCount]  # each offence charged counts once: "charges" in police usage
    outcomes_by_code: list[OutcomeCount]
    outcomes_by_group: list[tuple[str, int]]

    @property
    def charges(self) -> int:
        return sum(c.count for c in self.charges_by_category)

    @property
    def outcomes(self) -> int:
        return sum(o.count for o in self.outcomes_by_code)


def period_problems(start: date | None, end: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if start is None:
        errors["from"] = "Give the first day of the period, as YYYY-MM-DD"
    if end is None:
        errors["to"] = "Give the day after the period, as YYYY-MM-DD"
    if start is not None and end is not None:
        if end <= start:
            errors["to"] = "The period must end after it starts"
        elif (end - start).days > MAX_DAYS:
            errors["to"] = "The period must be at most ten years"
    return errors


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Midnight UK time at the start of each day (so a period keeps to UK days across clock changes)."""
    return datetime.combine(start, time(0), tzinfo=UK), datetime.combine(end, time(0), tzinfo=UK)


async def charges_by_category(db: AsyncSession, since: datetime, until: datetime, *, da_only: bool = False
                              ) -> dict[str, int]:
    """Offences charged in [since, until) by report category (categories with none are left out). Not audited:
    callers that show the figures audit their own read."""
    charged = (select(Offence.category, func.count())
               .select_from(Charge).join(ChargeOffence, ChargeOffence.charge_id == Charge.id)
               .join(Offence, Offence.id == ChargeOffence.offence_id).join(Suspect, Suspect.id == Charge.suspect_id)
               .where(Charge.charged_at >= since, Charge.charged_at < until).group_by(Offence.category))
    if da_only:
        charged = charged.join(Crime, Crime.id == Suspect.crime_id).where(Crime.da_related.is_(True))
    return {category: int(count) for category, count in await db.execute(charged)}


async def results(db: AsyncSession, actor: Actor, start: date | None, end: date | None, *, da_only: bool = False,
                  via: str = "web") -> Results:
    """The force's results for [start, end). Raises CrimeRefused naming `from` or `to` for a bad period."""
    errors = period_problems(start, end)
    if errors:
        raise CrimeRefused(errors)
    assert start is not None and end is not None
    since, until = bounds(start, end)

    in_period = and_(Arrest.arrested_at >= since, Arrest.arrested_at < until)
    arrests = select(
        func.count(), func.count().filter(Arrest.da_related), func.count().filter(Arrest.operation_id.is_not(None)),
        func.count(distinct(Arrest.person_id)), func.count(distinct(Arrest.person_id)).filter(Arrest.da_related),
    ).where(in_period)
    if da_only:
        arrests = arrests.where(Arrest.da_related.is_(True))
    total, da, in_operations, people, people_da = (await db.execute(arrests)).one()

    totals = (select(func.count(distinct(Charge.id)), func.count(distinct(Suspect.person_id)))
              .select_from(Charge).join(Suspect, Suspect.id == Charge.suspect_id)
              .where(Charge.charged_at >= since, Charge.charged_at < until))
    if da_only:
        totals = totals.join(Crime, Crime.id == Suspect.crime_id).where(Crime.da_related.is_(True))
    by_category = await charges_by_category(db, since, until, da_only=da_only)
    decisions, people_charged = (await db.execute(totals)).one()

    outcome_join = and_(Crime.outcome_code == OutcomeType.code, Crime.outcome_at >= since, Crime.outcome_at < until)
    if da_only:
        outcome_join = and_(outcome_join, Crime.da_related.is_(True))
    outcome_rows = (await db.execute(
        select(OutcomeType.code, OutcomeType.title, OutcomeType.outcome_group, func.count(Crime.id))
        .outerjoin(Crime, outcome_join)
        .group_by(OutcomeType.code, OutcomeType.title, OutcomeType.outcome_group, OutcomeType.sort_order)
        .order_by(OutcomeType.sort_order, OutcomeType.code))).all()
    by_code = [OutcomeCount(code, title, group, int(count)) for code, title, group, count in outcome_rows]
    groups: dict[str, int] = {}
    for outcome in by_code:
        groups[outcome.group] = groups.get(outcome.group, 0) + outcome.count

    found = Results(
        start=start, end=end, da_only=da_only, arrests=int(total), arrests_da=int(da),
        arrests_in_operations=int(in_operations), people_arrested=int(people), people_arrested_da=int(people_da),
        charge_decisions=int(decisions or 0), people_charged=int(people_charged or 0),
        charges_by_category=[CategoryCount(c, catalogue.category_label(c), int(by_category.get(c, 0)))
                             for c in OFFENCE_CATEGORIES],
        outcomes_by_code=by_code, outcomes_by_group=list(groups.items()))
    await audit.record(db, action="crime.results", actor=actor, details={
        "from": start.isoformat(), "to": end.isoformat(), "da_only": da_only, "via": via})
    return found


CSV_HEADER = ["section", "code", "label", "value"]


def to_csv(found: Results) -> str:
    """The results as CSV: one row per figure, the period first."""
    rows: list[list[object]] = [
        ["period", "from", "First day", found.start.isoformat()],
        ["period", "to", "Day after the period (not included)", found.end.isoformat()],
        ["period", "da_only", "Domestic abuse only", "yes" if found.da_only else "no"],
        ["arrests", "people", "People arrested", found.people_arrested],
        ["arrests", "people_da", "People arrested for domestic abuse", found.people_arrested_da],
        ["arrests", "total", "Arrests", found.arrests],
        ["arrests", "da", "Arrests for domestic abuse", found.arrests_da],
        ["arrests", "operations", "Arrests in targeted operations", found.arrests_in_operations],
        ["charges", "decisions", "Charge decisions", found.charge_decisions],
        ["charges", "people", "People charged", found.people_charged],
        ["charges", "total", "Offences charged", found.charges],
    ]
    rows += [["charges by category", c.category, c.label, c.count] for c in found.charges_by_category]
    rows += [["outcomes by code", o.code, o.title, o.count] for o in found.outcomes_by_code]
    rows += [["outcomes by group", "", group, count] for group, count in found.outcomes_by_group]
    return csv_text(CSV_HEADER, rows)


def default_period(today: date) -> tuple[date, date]:
    """The last seven days, today included."""
    return today - timedelta(days=6), today + timedelta(days=1)
