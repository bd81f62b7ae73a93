"""Operations: a targeted week of action, from its creation through start and close, and how it reads.

An operation has a name unique in its force, dates (at most 31 days, the end on or after the start), an
objective and a lead. It is planned, then started (active), then closed; a closed operation takes no more
targets, attempts or outcomes. Every read of an operation lists the people it shows in one audit event.
Refusals raise `OperationRefused` naming each field; nothing is written when they do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team, User
from safeguard.auth.permissions import ROLES, TEAM_NAMES, P
from safeguard.crimes.models import Crime, Suspect
from safeguard.crimes.service import SUSPECT_STATUS_LABELS, uk_time
from safeguard.operations.models import (
    OUTCOME_LABELS,
    ArrestAttempt,
    Operation,
    OperationTarget,
)
from safeguard.people.models import Person
from safeguard.targeting.models import HarmRankingEntry

MAX_DAYS = 31
NAME_MAX = 120
OBJECTIVE_MAX = 2000
LEAD_MAX = 140
STATUS_LABELS = {"planned": "Planned", "active": "Active", "closed": "Closed"}
TARGET_STATUS_LABELS = {"outstanding": "Outstanding", "arrested": "Arrested", "withdrawn": "Withdrawn"}
SOURCE_LABELS = {"ranking": "Harm ranking", "wanted": "Wanted list", "manual": "Added by hand"}
# The ranking job's flags, in the words an officer uses; an unknown flag is shown as it is written.
FLAG_LABELS = {"serial": "Serial perpetrator", "victim-high-risk": "Victim's latest DASH is high",
               "active-order": "Active order", "wanted": "Wanted"}


class OperationRefused(ValueError):
    """What was asked cannot be saved. `errors` maps each field at fault to a message an officer can act on."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class OperationConflict(Exception):
    """The request clashes with the operation's state (closed, or an attempt already recorded): HTTP 409."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OperationNotFound(LookupError):
    """No such operation in this force (or no such target or attempt in the operation)."""


def uk_today(now: datetime | None = None) -> date:
    return uk_time(now or datetime.now(UTC)).date()


def team_kind_label(kind: str | None) -> str:
    return TEAM_NAMES.get(kind or "", "No team yet")


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " ").replace("-", " ").capitalize())


def closed_message(operation: Operation) -> str:
    return f"{operation.name} is closed: nothing more can be recorded on it"


# -- loading -----------------------------------------------------------------------------------------------

async def load_operation(db: AsyncSession, operation_id: int, *, lock: bool = False) -> Operation:
    """The operation, in the actor's force (row-level security decides), locked for a change if asked.

    Locking the operation serialises every change to it, its targets and its attempts."""
    query = select(Operation).where(Operation.id == operation_id).execution_options(populate_existing=True)
    found = (await db.scalars(query.with_for_update() if lock else query)).first()
    if found is None:
        raise OperationNotFound(operation_id)
    return found


async def load_target(db: AsyncSession, operation: Operation, target_id: int, *, lock: bool = False
                      ) -> OperationTarget:
    """A target of this operation; another operation's target (or a hidden person's) is not found."""
    query = (select(OperationTarget).where(OperationTarget.id == target_id)
             .execution_options(populate_existing=True))
    target = (await db.scalars(query.with_for_update() if lock else query)).first()
    if target is None or target.operation_id != operation.id:
        raise OperationNotFound(target_id)
    return target


async def force_teams(db: AsyncSession, actor: Actor) -> list[Team]:
    """The force's teams (staff tables are filtered by force in code, not by row-level security)."""
    return list(await db.scalars(select(Team).where(Team.force_id == actor.force_id).order_by(Team.name)))


async def leads(db: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    """Active staff of the force whose role may run an operation, as (user id, name)."""
    roles = [code for code, role in ROLES.items() if P.OPERATION_WRITE in role.permissions]
    return [(u.id, u.display_name) for u in await db.scalars(
        select(User).where(User.force_id == actor.force_id, User.active.is_(True), User.role.in_(roles))
        .order_by(User.display_name))]


# -- creating, starting and closing ------------------------------------------------------------------------

@dataclass(frozen=True)
class NewOperation:
    name: str
    objective: str
    starts_on: date | None
    ends_on: date | None
    lead_user_id: int | None = None  # one of `leads`; or
    lead_name: str | None = None  # a lead without an account


async def operation_problems(db: AsyncSession, actor: Actor, new: NewOperation) -> tuple[dict[str, str], str]:
    """Everything wrong with `new`, keyed by field, and the lead's name."""
    errors: dict[str, str] = {}
    name = " ".join((new.name or "").split())
    if not name:
        errors["name"] = "Enter the operation's name, like Operation Harbour"
    elif len(name) > NAME_MAX:
        errors["name"] = f"The name must be at most {NAME_MAX} characters"
    elif await db.scalar(select(Operation.id).where(func.lower(Operation.name) == name.lower()).limit(1)):
        errors["name"] = f"Your force already has an operation called {name}: choose another name"
    objective = (new.objective or "").strip()
    if not objective:
        errors["objective"] = "Say what the operation sets out to do"
    elif len(objective) > OBJECTIVE_MAX:
        errors["objective"] = f"The objective must be at most {OBJECTIVE_MAX} characters"
    if new.starts_on is None:
        errors.setdefault("starts_on", "Enter the date the operation starts")
    if new.ends_on is None:
        errors.setdefault("ends_on", "Enter the date the operation ends")
    if new.starts_on is not None and new.ends_on is not None and "ends_on" not in errors:
        if new.ends_on < new.starts_on:
            errors["ends_on"] = "The end date must be the same as or after the start date"
        elif (new.ends_on - new.starts_on).days + 1 > MAX_DAYS:
            errors["ends_on"] = f"An operation runs for at most {MAX_DAYS} days: bring the end date forward"
    lead_name = " ".join((new.lead_name or "").split())
    if new.lead_user_id is not None:
        chosen = dict(await leads(db, actor)).get(new.lead_user_id)
        if chosen is None:
            errors["lead"] = "Choose a lead from your force's operation leads"
        else:
            lead_name = chosen
    elif not lead_name:
        errors["lead"] = "Choose the operation's lead, or enter their name"
    elif len(lead_name) > LEAD_MAX:
        errors["lead"] = f"The lead's name must be at most {LEAD_MAX} characters"
    return errors, lead_name


async def create_operation(db: AsyncSession, actor: Actor, new: NewOperation, *, via: str = "web") -> Operation:
    errors, lead_name = await operation_problems(db, actor, new)
    if errors:
        raise OperationRefused(errors)
    assert new.starts_on is not None and new.ends_on is not None
    operation = Operation(force_id=actor.force_id, name=" ".join(new.name.split()), objective=new.objective.strip(),
                          starts_on=new.starts_on, ends_on=new.ends_on, lead_name=lead_name,
                          lead_user_id=new.lead_user_id, status="planned", created_by=actor.label,
                          created_by_id=actor.user_id)
    db.add(operation)
    await db.flush()
    await audit.record(db, action="operation.create", actor=actor, object_type="operation", object_id=operation.id,
                       details={"via": via})
    return operation


async def change_status(db: AsyncSession, actor: Actor, operation_id: int, to: str, *, via: str = "web",
                        now: datetime | None = None) -> Operation:
    """Start a planned operation (active) or close a planned or active one. Closing cannot be undone."""
    operation = await load_operation(db, operation_id, lock=True)
    if to == "active":
        if operation.status != "planned":
            raise OperationConflict(f"{operation.name} is {operation.status}: only a planned operation is started")
        if uk_today(now) > operation.ends_on:
            raise OperationConflict(f"{operation.name} ended on {operation.ends_on:%d %B %Y}: close it instead")
    elif to == "closed":
        if operation.status == "closed":
            raise OperationConflict(f"{operation.name} is already closed")
    else:
        raise OperationConflict(f"An operation cannot be made '{to}'")
    source = operation.status
    operation.status = to
    await db.flush()
    await audit.record(db, action="operation.status", actor=actor, object_type="operation", object_id=operation.id,
                       details={"from": source, "to": to, "via": via})
    return operation


# -- reading -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OperationListItem:
    id: int
    name: str
    starts_on: date
    ends_on: date
    status: str
    status_label: str
    lead_name: str
    targets: int  # not withdrawn
    arrested: int


async def list_operations(db: AsyncSession, actor: Actor) -> list[OperationListItem]:
    """The force's operations, newest first, with their targets arrested and in all. Names no one."""
    counts = (select(OperationTarget.operation_id,
                     func.count().filter(OperationTarget.status != "withdrawn").label("targets"),
                     func.count().filter(OperationTarget.status == "arrested").label("arrested"))
              .group_by(OperationTarget.operation_id).subquery())
    rows = await db.execute(
        select(Operation, counts.c.targets, counts.c.arrested)
        .outerjoin(counts, counts.c.operation_id == Operation.id)
        .order_by(Operation.starts_on.desc(), Operation.id.desc()))
    items = [OperationListItem(o.id, o.name, o.starts_on, o.ends_on, o.status, STATUS_LABELS[o.status], o.lead_name,
                               targets or 0, arrested or 0) for o, targets, arrested in rows]
    await audit.record(db, action="operation.list", actor=actor, object_type="operation",
                       details={"shown": len(items)})
    return items


@dataclass(frozen=True)
class TargetView:
    id: int
    person_id: int
    display_name: str
    date_of_birth: str | None
    source: str
    source_label: str
    rank: int | None
    score: Any
    flags: list[str]
    suspect_id: int | None
    crime_id: int | None
    crime_reference: str | None
    suspect_status: str | None
    suspect_status_label: str | None
    team_kind: str | None
    team_kind_label: str
    team_id: int | None
    team_name: str | None
    status: str
    status_label: str
    overlaps: bool
    overlap_with: list[str]
    note: str | None
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class AttemptView:
    id: int
    target_id: int
    person_id: int
    display_name: str
    planned_at: datetime
    address: str
    location_id: int | None
    team_id: int | None
    team_name: str | None
    planned_by: str
    outcome: str | None
    outcome_label: str | None
    attempted_at: datetime | None
    notes: str | None
    recorded_by: str | None
    arrest_id: int | None


@dataclass(frozen=True)
class OperationDetail:
    id: int
    name: str
    objective: str
    starts_on: date
    ends_on: date
    status: str
    status_label: str
    lead_name: str
    lead_user_id: int | None
    created_by: str
    created_at: datetime
    targets: list[TargetView]
    attempts: list[AttemptView]
    team_names: dict[int, str] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.status != "closed"

    @property
    def targets_by_team(self) -> list[tuple[str, list[TargetView]]]:
        """Targets under each team kind (public protection, operational support, local policing, none)."""
        groups: dict[str, list[TargetView]] = {}
        for target in self.targets:
            groups.setdefault(target.team_kind_label, []).append(target)
        order = [TEAM_NAMES[k] for k in ("public_protection", "operational_support", "local_policing")]
        return sorted(groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))

    @property
    def planned(self) -> list[AttemptView]:
        return [a for a in self.attempts if a.outcome is None]

    @property
    def recorded(self) -> list[AttemptView]:
        return sorted((a for a in self.attempts if a.outcome is not None),
                      key=lambda a: a.attempted_at or a.planned_at, reverse=True)


async def overlapping(db: AsyncSession, operation: Operation, person_ids: list[int]) -> dict[int, list[str]]:
    """For each person, the other operations whose dates overlap this one's and hold them as a live target."""
    found: dict[int, list[str]] = {}
    if not person_ids:
        return found
    rows = await db.execute(
        select(OperationTarget.person_id, Operation.name)
        .join(Operation, Operation.id == OperationTarget.operation_id)
        .where(OperationTarget.person_id.in_(person_ids), Operation.id != operation.id,
               OperationTarget.status != "withdrawn",
               and_(Operation.starts_on <= operation.ends_on, Operation.ends_on >= operation.starts_on))
        .order_by(Operation.starts_on))
    for person_id, name in rows:
        found.setdefault(person_id, []).append(name)
    return found


async def target_views(db: AsyncSession, operation: Operation, *, target_id: int | None = None
                       ) -> list[TargetView]:
    query = (select(OperationTarget, Person, HarmRankingEntry, Suspect, Crime.reference, Team.name)
             .join(Person, Person.id == OperationTarget.person_id)
             .outerjoin(HarmRankingEntry, HarmRankingEntry.id == OperationTarget.ranking_entry_id)
             .outerjoin(Suspect, Suspect.id == OperationTarget.suspect_id)
             .outerjoin(Crime, Crime.id == Suspect.crime_id)
             .outerjoin(Team, Team.id == OperationTarget.team_id)
             .where(OperationTarget.operation_id == operation.id))
    if target_id is not None:
        query = query.where(OperationTarget.id == target_id)
    rows = (await db.execute(query.order_by(HarmRankingEntry.rank.nulls_last(), Person.surname,
                                            Person.forename, OperationTarget.id))).all()
    others = await overlapping(db, operation, [t.person_id for t, *_ in rows if t.overlaps])
    return [TargetView(
        t.id, t.person_id, person.display_name, person.date_of_birth, t.source, SOURCE_LABELS.get(t.source, t.source),
        entry.rank if entry else None, entry.score if entry else None,
        [flag_label(f) for f in (entry.flags if entry else [])], t.suspect_id,
        suspect.crime_id if suspect else None, reference, suspect.status if suspect else None,
        SUSPECT_STATUS_LABELS.get(suspect.status) if suspect else None, t.team_kind, team_kind_label(t.team_kind),
        t.team_id, team, t.status, TARGET_STATUS_LABELS[t.status], t.overlaps, others.get(t.person_id, []), t.note,
        t.added_by, t.added_at) for t, person, entry, suspect, reference, team in rows]


async def attempt_views(db: AsyncSession, operation: Operation, *, attempt_id: int | None = None,
                        target_id: int | None = None, planned_on: date | None = None) -> list[AttemptView]:
    query = (select(ArrestAttempt, OperationTarget.person_id, Person, Team.name)
             .join(OperationTarget, OperationTarget.id == ArrestAttempt.target_id)
             .join(Person, Person.id == OperationTarget.person_id)
             .outerjoin(Team, Team.id == ArrestAttempt.team_id)
             .where(ArrestAttempt.operation_id == operation.id))
    if attempt_id is not None:
        query = query.where(ArrestAttempt.id == attempt_id)
    if target_id is not None:
        query = query.where(ArrestAttempt.target_id == target_id)
    rows = (await db.execute(query.order_by(ArrestAttempt.planned_at, ArrestAttempt.id))).all()
    views = [AttemptView(a.id, a.target_id, person_id, person.display_name, a.planned_at, a.address, a.location_id,
                         a.team_id, team, a.planned_by, a.outcome, OUTCOME_LABELS.get(a.outcome or ""),
                         a.attempted_at, a.notes, a.recorded_by, a.arrest_id) for a, person_id, person, team in rows]
    if planned_on is not None:
        views = [v for v in views if uk_time(v.planned_at).date() == planned_on]
    return views


async def audit_people(db: AsyncSession, actor: Actor, operation: Operation, person_ids: list[int], *,
                       page: str, reason: str | None = None) -> None:
    """One audit event for a page of an operation, naming every person it showed."""
    await audit.record(db, action="operation.read", actor=actor, object_type="operation", object_id=operation.id,
                       reason=reason, details={"page": page, "person_ids": sorted(set(person_ids))})


async def read_operation(db: AsyncSession, actor: Actor, operation_id: int, *, reason: str | None = None,
                         page: str = "overview") -> OperationDetail:
    """The operation with its targets and attempts. Audited as one read listing the people shown."""
    operation = await load_operation(db, operation_id)
    targets = await target_views(db, operation)
    attempts = await attempt_views(db, operation)
    await audit_people(db, actor, operation, [t.person_id for t in targets], page=page, reason=reason)
    return OperationDetail(operation.id, operation.name, operation.objective, operation.starts_on, operation.ends_on,
                           operation.status, STATUS_LABELS[operation.status], operation.lead_name,
                           operation.lead_user_id, operation.created_by, operation.created_at, targets, attempts)
