"""What a targeted operation achieved over its period, beside the previous operation and an ordinary week.

The definitions (docs/operation-results.md) are the contract of the summary API, the results page and both
exports:

* The period is the operation's `starts_on` to `ends_on`, both included, in UK days (midnight to midnight,
  Europe/London). While it runs, figures are counted to the end of today ("so far"); before it starts, they
  are nothing yet.
* `arrests_total`: every arrest in the force in the period, in an operation or not.
* `arrests_da`: those flagged as domestic abuse.
* `arrests_targeted`: those made in this operation (`arrest.operation_id`) of a person who is one of its targets.
* `charges_by_category`: offences charged in the force in the period, one per offence on each charge, by
  report category; every category is present, 0 when none.
* `targets_total`: the operation's targets less those withdrawn, so it is always `targets_arrested` (status
  arrested) plus `targets_outstanding` (status outstanding). Withdrawn targets are counted on their own.
* Outcomes: Home Office outcomes given in the period to crimes where one of the targets is a suspect.
* The previous operation: the force's operation that ended most recently before this one started; its own
  figures, counted the same way.
* An ordinary week: as many days as this operation has counted, ending the day before it started.

Counts only, except the outstanding targets (names, team, last attempt). Reading a summary is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, distinct, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team
from safeguard.auth.permissions import TEAM_NAMES
from safeguard.crimes import offences as catalogue
from safeguard.crimes import results as crime_results
from safeguard.crimes.models import OFFENCE_CATEGORIES, Arrest, Crime, OutcomeType, Suspect
from safeguard.crimes.service import uk_time
from safeguard.imports.csvfiles import csv_text
from safeguard.operations.models import OUTCOME_LABELS, ArrestAttempt, Operation, OperationTarget
from safeguard.people.models import Person

# The seed operation's four categories, which the press summary names one by one.
SEED_CATEGORIES = OFFENCE_CATEGORIES[:4]
NOT_STARTED, RUNNING, FINISHED = "not-started", "running", "finished"
STATE_LABELS = {NOT_STARTED: "Not started yet", RUNNING: "Still running: figures so far",
                FINISHED: "Finished"}


class OperationNotFound(LookupError):
    """No such operation in the reader's force."""


@dataclass(frozen=True)
class ArrestCounts:
    total: int
    da: int
    targeted: int


@dataclass(frozen=True)
class OutcomeCount:
    code: str
    title: str
    group: str
    count: int


@dataclass(frozen=True)
class OutstandingTarget:
    target_id: int
    person_id: int
    name: str
    team: str
    attempts: int  # attempts made (with an outcome)
    last_outcome: str | None  # its label
    last_attempt_at: datetime | None


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class PeriodFigures:
    """The force-wide figures for a period with no operation of its own (the ordinary week)."""

    period: Period
    arrests_total: int
    arrests_da: int
    charges_by_category: dict[str, int]

    @property
    def charges(self) -> int:
        return sum(self.charges_by_category.values())


@dataclass(frozen=True)
class OperationSummary:
    operation_id: int
    name: str
    period: Period  # the operation's own dates
    state: str
    counted: Period | None  # the days counted: all of them, the days so far, or None before it starts
    arrests_total: int
    arrests_da: int
    arrests_targeted: int
    charges_by_category: dict[str, int]
    targets_total: int
    targets_arrested: int
    targets_outstanding: int
    targets_withdrawn: int
    outcomes: list[OutcomeCount] = field(default_factory=list)
    outstanding: list[OutstandingTarget] = field(default_factory=list)
    previous: OperationSummary | None = None
    ordinary: PeriodFigures | None = None

    @property
    def charges(self) -> int:
        return sum(self.charges_by_category.values())

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def outcome_groups(self) -> list[tuple[str, int]]:
        groups: dict[str, int] = {}
        for outcome in self.outcomes:
            groups[outcome.group] = groups.get(outcome.group, 0) + outcome.count
        return list(groups.items())


def uk_today(now: datetime | None = None) -> date:
    return uk_time(now or datetime.now(UTC)).date()


def category_rows(by_category: dict[str, int]) -> list[tuple[str, str, int]]:
    """(category, label, count) in the catalogue's order, every category present."""
    return [(c, catalogue.category_label(c), by_category.get(c, 0)) for c in OFFENCE_CATEGORIES]


async def load_operation(db: AsyncSession, operation_id: int) -> Operation:
    # A query, not the identity map, so that row-level security decides (another force's is not found).
    operation = (await db.scalars(select(Operation).where(Operation.id == operation_id))).first()
    if operation is None:
        raise OperationNotFound(operation_id)
    return operation


def state_of(operation: Operation, today: date) -> str:
    if today < operation.starts_on:
        return NOT_STARTED
    return RUNNING if today <= operation.ends_on else FINISHED


def counted_period(operation: Operation, today: date) -> Period | None:
    state = state_of(operation, today)
    if state == NOT_STARTED:
        return None
    return Period(operation.starts_on, operation.ends_on if state == FINISHED else today)


def _targets_of(operation_id: int | None) -> Select[int]:
    return select(OperationTarget.person_id).where(OperationTarget.operation_id == operation_id)


async def arrest_counts(db: AsyncSession, operation_id: int | None, since: datetime, until: datetime
                        ) -> ArrestCounts:
    """Arrests in [since, until): all, DA, and (with an operation) those of its targets made in it."""
    targeted = (func.count().filter(and_(Arrest.operation_id == operation_id,
                                         Arrest.person_id.in_(_targets_of(operation_id))))
                if operation_id is not None else literal(0))
    total, da, mine = (await db.execute(
        select(func.count(), func.count().filter(Arrest.da_related), targeted)
        .where(Arrest.arrested_at >= since, Arrest.arrested_at < until))).one()
    return ArrestCounts(int(total), int(da), int(mine))


async def target_counts(db: AsyncSession, operation_id: int) -> dict[str, int]:
    """The operation's targets by status (every status present)."""
    rows = await db.execute(select(OperationTarget.status, func.count())
                            .where(OperationTarget.operation_id == operation_id).group_by(OperationTarget.status))
    found = {status: int(count) for status, count in rows}
    return {status: found.get(status, 0) for status in ("outstanding", "arrested", "withdrawn")}


async def _outcomes(db: AsyncSession, operation_id: int, since: datetime, until: datetime) -> list[OutcomeCount]:
    of_a_target = exists().where(Suspect.crime_id == Crime.id, Suspect.person_id.in_(_targets_of(operation_id)))
    rows = await db.execute(
        select(OutcomeType.code, OutcomeType.title, OutcomeType.outcome_group, func.count(distinct(Crime.id)))
        .join(Crime, Crime.outcome_code == OutcomeType.code)
        .where(Crime.outcome_at >= since, Crime.outcome_at < until, of_a_target)
        .group_by(OutcomeType.code, OutcomeType.title, OutcomeType.outcome_group, OutcomeType.sort_order)
        .order_by(OutcomeType.sort_order, OutcomeType.code))
    return [OutcomeCount(code, title, group, int(count)) for code, title, group, count in rows]


async def outstanding_targets(db: AsyncSession, operation_id: int) -> list[OutstandingTarget]:
    """The targets still to arrest, by name, each with their team and how their latest attempt went."""
    made = (select(ArrestAttempt.target_id, func.count().label("attempts"),
                   func.max(ArrestAttempt.attempted_at).label("last_at"))
            .where(ArrestAttempt.operation_id == operation_id, ArrestAttempt.outcome.is_not(None))
            .group_by(ArrestAttempt.target_id).subquery())
    rows = (await db.execute(
        select(OperationTarget, Person, Team.name, made.c.attempts, made.c.last_at)
        .join(Person, Person.id == OperationTarget.person_id)
        .outerjoin(Team, Team.id == OperationTarget.team_id)
        .outerjoin(made, made.c.target_id == OperationTarget.id)
        .where(OperationTarget.operation_id == operation_id, OperationTarget.status == "outstanding")
        .order_by(Person.surname, Person.forename, OperationTarget.id))).all()
    last: dict[int, str] = {}
    ids = [target.id for target, *_ in rows]
    if ids:
        made_in_order = (select(ArrestAttempt.target_id, ArrestAttempt.outcome)
                         .where(ArrestAttempt.target_id.in_(ids), ArrestAttempt.outcome.is_not(None))
                         .order_by(ArrestAttempt.attempted_at, ArrestAttempt.id))
        last = {target_id: str(outcome) for target_id, outcome in await db.execute(made_in_order)}  # latest wins
    found = []
    for target, person, team_name, attempts, last_at in rows:
        team = team_name or (TEAM_NAMES.get(target.team_kind, target.team_kind) if target.team_kind
                             else "Not assigned")
        outcome = last.get(target.id)
        found.append(OutstandingTarget(target.id, person.id, person.display_name, team, int(attempts or 0),
                                       OUTCOME_LABELS.get(outcome, outcome) if outcome else None, last_at))
    return found


def ordinary_period(operation: Operation, counted: Period | None) -> Period:
    """As many days as the operation has counted (all of it before it starts), ending the day before it."""
    days = counted.days if counted is not None else (operation.ends_on - operation.starts_on).days + 1
    return Period(operation.starts_on - timedelta(days=days), operation.starts_on - timedelta(days=1))


async def period_figures(db: AsyncSession, period: Period) -> PeriodFigures:
    since, until = crime_results.bounds(period.start, period.end + timedelta(days=1))
    counts = await arrest_counts(db, None, since, until)
    by_category = await crime_results.charges_by_category(db, since, until)
    return PeriodFigures(period, counts.total, counts.da, {c: by_category.get(c, 0) for c in OFFENCE_CATEGORIES})


async def previous_operation(db: AsyncSession, operation: Operation) -> Operation | None:
    return (await db.scalars(select(Operation).where(Operation.ends_on < operation.starts_on)
                             .order_by(Operation.ends_on.desc(), Operation.starts_on.desc(), Operation.id.desc())
                             .limit(1))).first()


async def _summary(db: AsyncSession, operation: Operation, today: date, *, full: bool) -> OperationSummary:
    counted = counted_period(operation, today)
    if counted is None:
        counts, by_category, outcomes = ArrestCounts(0, 0, 0), {}, []
    else:
        since, until = crime_results.bounds(counted.start, counted.end + timedelta(days=1))
        counts = await arrest_counts(db, operation.id, since, until)
        by_category = await crime_results.charges_by_category(db, since, until)
        outcomes = await _outcomes(db, operation.id, since, until) if full else []
    targets = await target_counts(db, operation.id)
    summary = OperationSummary(
        operation_id=operation.id, name=operation.name, period=Period(operation.starts_on, operation.ends_on),
        state=state_of(operation, today), counted=counted, arrests_total=counts.total, arrests_da=counts.da,
        arrests_targeted=counts.targeted,
        charges_by_category={c: by_category.get(c, 0) for c in OFFENCE_CATEGORIES},
        targets_total=targets["outstanding"] + targets["arrested"], targets_arrested=targets["arrested"],
        targets_outstanding=targets["outstanding"], targets_withdrawn=targets["withdrawn"], outcomes=outcomes)
    if not full:
        return summary
    earlier = await previous_operation(db, operation)
    return OperationSummary(**{
        **summary.__dict__,
        "outstanding": await outstanding_targets(db, operation.id),
        "previous": await _summary(db, earlier, today, full=False) if earlier is not None else None,
        "ordinary": await period_figures(db, ordinary_period(operation, counted))})


async def summary(db: AsyncSession, actor: Actor, operation: Operation | int, *, via: str = "web",
                  now: datetime | None = None) -> OperationSummary:
    """The operation's results (see the module's docstring), with both comparisons. The read is audited.

    Raises OperationNotFound for an id that is not an operation of the reader's force."""
    if isinstance(operation, int):
        operation = await load_operation(db, operation)
    found = await _summary(db, operation, uk_today(now), full=True)
    await audit.record(db, action="operation.summary", actor=actor, object_type="operation",
                       object_id=operation.id, details={"via": via, "state": found.state,
                                                        "outstanding_shown": len(found.outstanding)})
    return found


# -- words and exports ------------------------------------------------------------------------------------

def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def span_text(period: Period) -> str:
    """'2 to 8 March 2026', '28 February to 6 March 2026', '30 December 2025 to 5 January 2026'."""
    start, end = period.start, period.end
    if start == end:
        return long_date(start)
    if start.year != end.year:
        return f"{long_date(start)} to {long_date(end)}"
    if start.month != end.month:
        return f"{start.day} {start:%B} to {long_date(end)}"
    return f"{start.day} to {long_date(end)}"


def period_words(found: OperationSummary) -> str:
    """How the headline names the period counted: 'the week', 'the 10 days', 'the first 3 days'."""
    if found.counted is None:
        return "the operation, which has not started"
    days = found.counted.days
    if found.state == RUNNING:
        return "the operation's first day" if days == 1 else f"the operation's first {days} days"
    if days == 7:
        return "the week"
    return "the day" if days == 1 else f"the {days} days"


def headline(found: OperationSummary) -> str:
    """The press summary's first sentence: exact numbers, never rounded up or hedged."""
    if found.state == NOT_STARTED:
        return f"{found.name} starts on {long_date(found.period.start)}: no arrests are counted yet."
    so_far = " so far" if found.state == RUNNING else ""
    total, targeted = found.arrests_total, found.arrests_targeted
    if total == 0:
        return f"No arrests{so_far} in {period_words(found)}."
    if total == 1:
        whose = "of a targeted domestic abuse suspect" if targeted else "not of a targeted domestic abuse suspect"
    elif targeted == 0:
        whose = "none of them of targeted domestic abuse suspects"
    elif targeted == total:
        whose = "all of them of targeted domestic abuse suspects"
    elif targeted == 1:
        whose = "1 of them of a targeted domestic abuse suspect"
    else:
        whose = f"{targeted} of them of targeted domestic abuse suspects"
    return f"{plural(total, 'arrest')}{so_far} in {period_words(found)}, {whose}."


def ordinary_label(period: Period) -> str:
    what = "An ordinary week" if period.days == 7 else f"The {plural(period.days, 'day')} before"
    return f"{what} ({span_text(period)})"


CSV_HEADER = ["section", "code", "label", "value", "note"]


def to_csv(found: OperationSummary) -> str:
    """The figures and the outstanding targets, one row each. Cells a spreadsheet would run are neutralised."""
    counted = found.counted
    rows: list[Sequence[object]] = [
        ["operation", "name", "Operation", found.name, ""],
        ["operation", "start", "First day", found.period.start.isoformat(), ""],
        ["operation", "end", "Last day (included)", found.period.end.isoformat(), ""],
        ["operation", "state", "State", found.state_label, ""],
        ["operation", "counted_to", "Counted to (included)", counted.end.isoformat() if counted else "", ""],
        ["figures", "arrests_total", "Arrests, force-wide", found.arrests_total, ""],
        ["figures", "arrests_da", "Arrests for domestic abuse", found.arrests_da, ""],
        ["figures", "arrests_targeted", "Arrests of the operation's targets in the operation",
         found.arrests_targeted, ""],
        ["figures", "targets_total", "Targets (less withdrawn)", found.targets_total, ""],
        ["figures", "targets_arrested", "Targets arrested", found.targets_arrested, ""],
        ["figures", "targets_outstanding", "Targets outstanding", found.targets_outstanding, ""],
        ["figures", "targets_withdrawn", "Targets withdrawn", found.targets_withdrawn, ""],
        ["figures", "charges", "Offences charged, force-wide", found.charges, ""],
    ]
    rows += [["charges by category", c, label, n, ""] for c, label, n in category_rows(found.charges_by_category)]
    rows += [["outcomes of targets' crimes", o.code, o.title, o.count, o.group] for o in found.outcomes]
    if found.previous is not None:
        p = found.previous
        note = f"{p.name}, {p.period.start.isoformat()} to {p.period.end.isoformat()}"
        rows += [["previous operation", "arrests_total", "Arrests, force-wide", p.arrests_total, note],
                 ["previous operation", "arrests_da", "Arrests for domestic abuse", p.arrests_da, note],
                 ["previous operation", "arrests_targeted", "Arrests of its targets", p.arrests_targeted, note],
                 ["previous operation", "targets_total", "Targets (less withdrawn)", p.targets_total, note],
                 ["previous operation", "targets_arrested", "Targets arrested", p.targets_arrested, note],
                 ["previous operation", "charges", "Offences charged, force-wide", p.charges, note]]
    if found.ordinary is not None:
        o = found.ordinary
        note = f"{o.period.start.isoformat()} to {o.period.end.isoformat()}"
        rows += [["ordinary period", "arrests_total", "Arrests, force-wide", o.arrests_total, note],
                 ["ordinary period", "arrests_da", "Arrests for domestic abuse", o.arrests_da, note],
                 ["ordinary period", "charges", "Offences charged, force-wide", o.charges, note]]
    rows += [["outstanding target", t.target_id, t.name, t.team,
              f"{t.last_outcome} ({plural(t.attempts, 'attempt')})" if t.last_outcome else "No attempt yet"]
             for t in found.outstanding]
    return csv_text(CSV_HEADER, rows)
