"""Arrest attempts: planned for a target (an address, a time, a team), then recorded by the officers who went.

An attempt is recorded once, with one outcome. "Arrested" records the arrest itself through
`crimes.custody.record_arrest` (which moves the suspect to arrested and checks everything an arrest needs),
in the operation, and marks the target arrested; the attempt keeps the arrest's id, which the database holds
unique, so an attempt never leads to two arrests. A second recording of an attempt, a recording on an
operation that is not active, and an attempt or target of another operation are all refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.crimes import custody, suspects
from safeguard.crimes import offences as catalogue
from safeguard.crimes.models import CrimeOffence, Offence
from safeguard.crimes.service import CrimeRefused
from safeguard.operations.models import ATTEMPT_OUTCOMES, OUTCOME_LABELS, ArrestAttempt, Operation, OperationTarget
from safeguard.operations.service import (
    AttemptView,
    OperationConflict,
    OperationNotFound,
    OperationRefused,
    TargetView,
    attempt_views,
    audit_people,
    closed_message,
    force_teams,
    load_operation,
    load_target,
    target_views,
    uk_today,
)
from safeguard.people import markers
from safeguard.people.models import Location, Marker, PersonAddress
from safeguard.people.service import address_text

ADDRESS_MAX = 500
NOTES_MAX = 2000
PLACE_MAX = 500
# record_arrest's fields, as the outcome form and the API name them.
ARREST_FIELDS = {"arrested_at": "attempted_at", "place": "place", "offences": "offence_codes"}


def no_suspect_message(name: str) -> str:
    return (f"{name} has no open suspect record for a domestic abuse crime, so the arrest cannot be linked to a "
            "crime: record the crime and the suspect first, then record this attempt")


# -- planning ----------------------------------------------------------------------------------------------

async def current_address(db: AsyncSession, person_id: int) -> tuple[int, str] | None:
    """The person's current address (location id, text), if one is known and visible to the reader."""
    today = uk_today()
    row = (await db.execute(
        select(Location).join(PersonAddress, PersonAddress.location_id == Location.id)
        .where(PersonAddress.person_id == person_id,
               or_(PersonAddress.to_date.is_(None), PersonAddress.to_date >= today))
        .order_by(PersonAddress.from_date.desc().nulls_last(), PersonAddress.id.desc()).limit(1))).first()
    return (row[0].id, address_text(row[0])) if row else None


@dataclass(frozen=True)
class NewAttempt:
    target_id: int
    planned_at: datetime | None
    address: str
    team_id: int | None


def _target_closed(target: OperationTarget, name: str) -> str | None:
    if target.status == "arrested":
        return f"{name} has been arrested in this operation"
    if target.status == "withdrawn":
        return f"{name} was withdrawn from this operation"
    return None


async def _name(db: AsyncSession, operation: Operation, target_id: int) -> str:
    views = await target_views(db, operation, target_id=target_id)
    return views[0].display_name if views else f"Target {target_id}"


async def plan_attempt(db: AsyncSession, actor: Actor, operation_id: int, new: NewAttempt, *,
                       via: str = "web") -> ArrestAttempt:
    operation = await load_operation(db, operation_id, lock=True)
    if operation.status == "closed":
        raise OperationConflict(closed_message(operation))
    errors: dict[str, str] = {}
    target = (await db.scalars(select(OperationTarget).where(OperationTarget.id == new.target_id))).first()
    if target is None or target.operation_id != operation.id:
        errors["target_id"] = f"Target {new.target_id} is not a target of {operation.name}"
    else:
        problem = _target_closed(target, await _name(db, operation, target.id))
        if problem:
            errors["target_id"] = f"{problem}: no more attempts are planned for them"
    if new.planned_at is None:
        errors["planned_at"] = "Enter the date and time of the attempt"
    elif new.planned_at.tzinfo is None:
        errors["planned_at"] = "Give the time of the attempt with its time zone"
    elif not operation.starts_on <= uk_today(new.planned_at) <= operation.ends_on:
        errors["planned_at"] = (f"Plan the attempt within the operation's dates, {operation.starts_on:%d %B %Y} to "
                                f"{operation.ends_on:%d %B %Y}")
    address = " ".join((new.address or "").split())
    if not address:
        errors["address"] = "Enter the address to attend"
    elif len(address) > ADDRESS_MAX:
        errors["address"] = f"The address must be at most {ADDRESS_MAX} characters"
    if new.team_id is None:
        errors["team"] = "Choose the team that makes the attempt"
    elif new.team_id not in {t.id for t in await force_teams(db, actor)}:
        errors["team"] = "Choose a team of your force"
    if errors:
        raise OperationRefused(errors)
    assert target is not None and new.planned_at is not None
    known = await current_address(db, target.person_id)
    attempt = ArrestAttempt(force_id=actor.force_id, operation_id=operation.id, target_id=target.id,
                            planned_at=new.planned_at, address=address,
                            location_id=known[0] if known and known[1] == address else None, team_id=new.team_id,
                            planned_by=actor.label)
    db.add(attempt)
    await db.flush()
    await audit.record(db, action="arrest_attempt.plan", actor=actor, object_type="arrest_attempt",
                       object_id=attempt.id, details={"operation_id": operation.id, "target_id": target.id,
                                                      "via": via})
    return attempt


# -- the officers' list and the attempt page ---------------------------------------------------------------

async def todays_attempts(db: AsyncSession, actor: Actor, operation_id: int, *, now: datetime | None = None
                          ) -> tuple[Operation, list[AttemptView]]:
    """Attempts planned for today: the officer's own team's first, those still to make before those made."""
    operation = await load_operation(db, operation_id)
    views = await attempt_views(db, operation, planned_on=uk_today(now))
    views.sort(key=lambda a: (a.team_id != actor.team_id or actor.team_id is None, a.outcome is not None,
                              a.planned_at, a.id))
    await audit_people(db, actor, operation, [a.person_id for a in views], page="today's attempts")
    return operation, views


@dataclass(frozen=True)
class AttemptPage:
    operation: Operation
    attempt: AttemptView
    target: TargetView
    safety: list[tuple[str, str | None]]  # (marker label, note) on the person and the address
    crime_offences: list[tuple[str, str]]  # (code, title) of the suspect's crime
    other_offences: list[tuple[str, str]]  # the rest of the catalogue, in the order of the crime form


async def _safety(db: AsyncSession, actor: Actor, person_id: int, location_id: int | None
                  ) -> list[tuple[str, str | None]]:
    today = uk_today()
    subject = Marker.person_id == person_id
    if location_id is not None:
        subject = or_(subject, Marker.location_id == location_id)
    kinds = await markers.kinds_for(db, actor.force_id)
    found = await db.scalars(select(Marker).where(subject, Marker.starts_on <= today,
                                                  or_(Marker.ends_on.is_(None), Marker.ends_on > today))
                             .order_by(Marker.starts_on.desc(), Marker.id))
    return [(markers.label_for(m.kind, kinds) + (" (at the address)" if m.location_id else ""), m.note)
            for m in found]


async def read_attempt(db: AsyncSession, actor: Actor, operation_id: int, attempt_id: int, *,
                       reason: str | None = None) -> AttemptPage:
    """One attempt with its target, warning markers and offences to choose from. Audited as one read."""
    operation = await load_operation(db, operation_id)
    found = await attempt_views(db, operation, attempt_id=attempt_id)
    if not found:
        raise OperationNotFound(attempt_id)
    attempt = found[0]
    target = (await target_views(db, operation, target_id=attempt.target_id))[0]
    crime_offences: list[tuple[str, str]] = []
    if target.crime_id is not None:
        crime_offences = [(code, title) for code, title in await db.execute(
            select(Offence.code, Offence.title).join(CrimeOffence, CrimeOffence.offence_id == Offence.id)
            .where(CrimeOffence.crime_id == target.crime_id, Offence.active.is_(True))
            .order_by(CrimeOffence.principal.desc(), CrimeOffence.id))]
    listed = {code for code, _ in crime_offences}
    other_offences = [(o.code, o.title) for o in await catalogue.catalogue(db) if o.code not in listed]
    await audit_people(db, actor, operation, [target.person_id], page="attempt", reason=reason)
    return AttemptPage(operation, attempt, target, await _safety(db, actor, target.person_id, attempt.location_id),
                       crime_offences, other_offences)


# -- recording ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    outcome: str
    attempted_at: datetime | None = None  # default: now
    notes: str | None = None
    offence_codes: Sequence[str] = ()  # when arrested
    place: str | None = None  # when arrested; default: the attempt's address


def already_recorded(attempt: ArrestAttempt) -> str:
    at = attempt.attempted_at
    when = suspects.uk_text(at) if at else "an unknown time"
    return (f"This attempt was already recorded as {OUTCOME_LABELS.get(attempt.outcome or '', attempt.outcome)} "
            f"at {when} by {attempt.recorded_by or 'someone'}")


async def record_outcome(db: AsyncSession, actor: Actor, operation_id: int, attempt_id: int, outcome: Outcome, *,
                         via: str = "web", now: datetime | None = None) -> ArrestAttempt:
    """Record what happened at an attempt. Raises OperationNotFound (another operation's attempt),
    OperationConflict (already recorded, or the operation is not active) or OperationRefused (fields)."""
    now = now or datetime.now(UTC)
    operation = await load_operation(db, operation_id, lock=True)
    attempt = (await db.scalars(select(ArrestAttempt).where(ArrestAttempt.id == attempt_id).with_for_update()
                                .execution_options(populate_existing=True))).first()
    if attempt is None or attempt.operation_id != operation.id:
        raise OperationNotFound(attempt_id)
    if attempt.outcome is not None:
        raise OperationConflict(already_recorded(attempt))
    if operation.status == "closed":
        raise OperationConflict(closed_message(operation))
    if operation.status == "planned":
        raise OperationConflict(f"{operation.name} has not started: its lead starts it on the operation's page")
    target = await load_target(db, operation, attempt.target_id, lock=True)
    name = await _name(db, operation, target.id)
    problem = _target_closed(target, name)
    if problem:
        raise OperationConflict(f"{problem}: this attempt is no longer needed")
    errors: dict[str, str] = {}
    kind = (outcome.outcome or "").strip()
    if kind not in ATTEMPT_OUTCOMES:
        errors["outcome"] = "Choose what happened: " + ", ".join(OUTCOME_LABELS[o].lower() for o in ATTEMPT_OUTCOMES)
    at = outcome.attempted_at or now
    time_problem = suspects.time_problem(at, now, "of the attempt")
    if time_problem:
        errors["attempted_at"] = time_problem
    elif uk_today(at) < operation.starts_on:
        errors["attempted_at"] = (f"The attempt must be on or after the operation's start, "
                                  f"{operation.starts_on:%d %B %Y}")
    notes = (outcome.notes or "").strip()
    if kind == "other" and not notes:
        errors["notes"] = "Say what happened"
    elif len(notes) > NOTES_MAX:
        errors["notes"] = f"The notes must be at most {NOTES_MAX} characters"
    new_arrest: custody.NewArrest | None = None
    if kind == "arrested":
        place = " ".join((outcome.place or "").split()) or attempt.address
        if not actor.can(P.ARREST_WRITE):
            errors["outcome"] = ("Your role does not record arrests: the arresting officer records an arrested "
                                 "outcome")
        elif target.suspect_id is None:
            errors["outcome"] = no_suspect_message(name)
        elif len(place) > PLACE_MAX:
            errors["place"] = f"The place must be at most {PLACE_MAX} characters"
        else:
            new_arrest = custody.NewArrest(
                suspect_id=target.suspect_id, arrested_at=at, place=place, offence_codes=list(outcome.offence_codes),
                team_id=attempt.team_id or target.team_id or actor.team_id, operation_id=operation.id)
            try:
                await custody.record_arrest(db, actor, new_arrest, via=via, now=now, dry_run=True)
            except suspects.SuspectNotFound:
                errors["outcome"] = no_suspect_message(name)
            except CrimeRefused as refused:
                for field, message in refused.errors.items():
                    errors.setdefault(ARREST_FIELDS.get(field, "outcome"), message)
    if errors:
        raise OperationRefused(errors)
    if new_arrest is not None:
        try:
            arrest = await custody.record_arrest(db, actor, new_arrest, via=via, now=now)
        except CrimeRefused as refused:  # checked just now, so only a change in between lands here
            raise OperationRefused({ARREST_FIELDS.get(f, "outcome"): m for f, m in refused.errors.items()}) from None
        assert arrest is not None
        attempt.arrest_id = arrest.id
        target.status = "arrested"
    attempt.outcome = kind
    attempt.attempted_at = at
    attempt.notes = notes or None
    attempt.recorded_by = actor.label
    attempt.recorded_by_id = actor.user_id
    await db.flush()
    await audit.record(db, action="arrest_attempt.record", actor=actor, object_type="arrest_attempt",
                       object_id=attempt.id, details={"operation_id": operation.id, "target_id": target.id,
                                                      "outcome": kind, "arrest_id": attempt.arrest_id, "via": via})
    return attempt

