"""An operation's targets: chosen from the force's latest harm ranking and from its wanted DA suspects, given to a
team, moved between teams, or withdrawn with a reason.

A person is a target of an operation once: choosing them again is skipped with a message. A person who is
also a live target of another operation whose dates overlap is added all the same, and both rows are flagged
(`overlaps`) so that the two leads can agree who goes to the door.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.auth.models import Team
from safeguard.crimes.models import Crime, Suspect
from safeguard.operations.models import TARGET_TEAM_KINDS, Operation, OperationTarget
from safeguard.operations.service import (
    OperationConflict,
    OperationRefused,
    audit_people,
    closed_message,
    flag_label,
    force_teams,
    load_operation,
    load_target,
    overlapping,
    team_kind_label,
)
from safeguard.people.models import Person
from safeguard.targeting.models import HarmRanking, HarmRankingEntry

RANKED_SHOWN = 50
WANTED_SHOWN = 200
MAX_CHOSEN = 100
REASON_MAX = 1000
OPEN_SUSPECT = ("wanted", "outstanding")


@dataclass(frozen=True)
class RankedCandidate:
    entry_id: int
    rank: int
    person_id: int
    display_name: str
    score: Decimal
    flags: list[str]
    chosen: bool


@dataclass(frozen=True)
class WantedCandidate:
    suspect_id: int
    person_id: int
    display_name: str
    crime_id: int
    crime_reference: str
    wanted_since: datetime
    chosen: bool


@dataclass(frozen=True)
class Candidates:
    ranking_id: int | None
    computed_at: datetime | None
    weight_version: int | None
    ranked: list[RankedCandidate]
    wanted: list[WantedCandidate]


async def latest_ranking(db: AsyncSession) -> HarmRanking | None:
    """The force's newest ranked list (row-level security keeps it to the actor's force)."""
    found: HarmRanking | None = (await db.scalars(
        select(HarmRanking).order_by(HarmRanking.computed_at.desc(), HarmRanking.id.desc()).limit(1))).first()
    return found


async def candidates(db: AsyncSession, actor: Actor, operation: Operation) -> Candidates:
    """The top of the latest ranked list and the wanted DA suspects, each marked if already a target here.

    Audited as one read of the operation naming everyone shown."""
    chosen = set(await db.scalars(select(OperationTarget.person_id)
                                  .where(OperationTarget.operation_id == operation.id)))
    ranking = await latest_ranking(db)
    ranked: list[RankedCandidate] = []
    if ranking is not None:
        for entry, person in await db.execute(
                select(HarmRankingEntry, Person).join(Person, Person.id == HarmRankingEntry.person_id)
                .where(HarmRankingEntry.ranking_id == ranking.id)
                .order_by(HarmRankingEntry.rank).limit(RANKED_SHOWN)):
            ranked.append(RankedCandidate(entry.id, entry.rank, person.id, person.display_name, entry.score,
                                          [flag_label(f) for f in entry.flags], person.id in chosen))
    wanted = [WantedCandidate(suspect.id, person.id, person.display_name, crime.id, crime.reference,
                              suspect.wanted_since or suspect.status_since, person.id in chosen)
              for suspect, crime, person in await db.execute(
                  select(Suspect, Crime, Person).join(Crime, Crime.id == Suspect.crime_id)
                  .join(Person, Person.id == Suspect.person_id)
                  .where(Suspect.status == "wanted", Crime.da_related.is_(True))
                  .order_by(Suspect.wanted_since.nulls_last(), Suspect.id).limit(WANTED_SHOWN))]
    await audit_people(db, actor, operation, [c.person_id for c in ranked] + [c.person_id for c in wanted],
                       page="add targets")
    return Candidates(ranking.id if ranking else None, ranking.computed_at if ranking else None,
                      ranking.weight_version if ranking else None, ranked, wanted)


def team_problems(teams: Sequence[Team], team_kind: str | None, team_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if team_kind not in TARGET_TEAM_KINDS:
        errors["team_kind"] = "Choose public protection, operational support or local policing"
    elif team_id is not None:
        team = next((t for t in teams if t.id == team_id), None)
        if team is None:
            errors["team"] = "Choose a team of your force"
        elif team.kind != team_kind:
            errors["team"] = f"{team.name} is not a {team_kind_label(team_kind).lower()} team"
    return errors


async def open_suspects(db: AsyncSession, person_ids: Sequence[int]) -> dict[int, int]:
    """Each person's open DA suspect record (wanted first, then outstanding; the newest of each)."""
    found: dict[int, int] = {}
    if not person_ids:
        return found
    rows = await db.execute(
        select(Suspect.person_id, Suspect.id).join(Crime, Crime.id == Suspect.crime_id)
        .where(Suspect.person_id.in_(person_ids), Suspect.status.in_(OPEN_SUSPECT), Crime.da_related.is_(True))
        .order_by((Suspect.status == "wanted").desc(), Suspect.status_since.desc(), Suspect.id.desc()))
    for person_id, suspect_id in rows:
        found.setdefault(person_id, suspect_id)
    return found


@dataclass
class Choice:
    source: str
    entry_id: int | None
    suspect_id: int | None
    name: str


@dataclass(frozen=True)
class NewTargets:
    entry_ids: Sequence[int] = ()
    suspect_ids: Sequence[int] = ()
    team_kind: str | None = None
    team_id: int | None = None


@dataclass
class Added:
    added: list[OperationTarget] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names already targets of this operation
    overlaps: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, the other operations)

    @property
    def messages(self) -> list[str]:
        said = [f"{len(self.added)} {'target' if len(self.added) == 1 else 'targets'} added."]
        said += [f"{name} is already a target of this operation: skipped." for name in self.skipped]
        said += [f"Warning: {name} is also a target of {', '.join(others)}, whose dates overlap. Agree with its "
                 "lead who makes the arrest attempts." for name, others in self.overlaps]
        return said


async def add_targets(db: AsyncSession, actor: Actor, operation_id: int, new: NewTargets, *,
                      via: str = "web") -> Added:
    operation = await load_operation(db, operation_id, lock=True)
    if operation.status == "closed":
        raise OperationConflict(closed_message(operation))
    errors = team_problems(await force_teams(db, actor), new.team_kind, new.team_id)
    entry_ids = list(dict.fromkeys(new.entry_ids))
    suspect_ids = list(dict.fromkeys(new.suspect_ids))
    if not entry_ids and not suspect_ids:
        errors["chosen"] = "Choose at least one person from the ranked list or the wanted list"
    elif len(entry_ids) + len(suspect_ids) > MAX_CHOSEN:
        errors["chosen"] = f"Choose at most {MAX_CHOSEN} people at a time"
    people: dict[int, Choice] = {}  # ranked choices first
    if "chosen" not in errors and entry_ids:
        entries = {e.id: (e, p) for e, p in await db.execute(
            select(HarmRankingEntry, Person).join(Person, Person.id == HarmRankingEntry.person_id)
            .where(HarmRankingEntry.id.in_(entry_ids)))}
        for entry_id in entry_ids:
            if entry_id not in entries:
                errors["chosen"] = f"Entry {entry_id} is not in your force's ranked lists"
                break
            entry, person = entries[entry_id]
            people.setdefault(person.id, Choice("ranking", entry.id, None, person.display_name))
    if "chosen" not in errors and suspect_ids:
        found = {s.id: (s, c, p) for s, c, p in await db.execute(
            select(Suspect, Crime, Person).join(Crime, Crime.id == Suspect.crime_id)
            .join(Person, Person.id == Suspect.person_id).where(Suspect.id.in_(suspect_ids)))}
        for suspect_id in suspect_ids:
            if suspect_id not in found:
                errors["chosen"] = f"There is no suspect {suspect_id} in your force"
                break
            suspect, crime, person = found[suspect_id]
            if suspect.status != "wanted" or not crime.da_related:
                errors["chosen"] = (f"{person.display_name} is no longer wanted for a domestic abuse crime "
                                    f"({crime.reference}): reload the page")
                break
            choice = people.setdefault(person.id, Choice("wanted", None, None, person.display_name))
            if choice.suspect_id is None:
                choice.suspect_id = suspect.id
    if errors:
        raise OperationRefused(errors)
    result = Added()
    existing = set(await db.scalars(select(OperationTarget.person_id).where(
        OperationTarget.operation_id == operation.id, OperationTarget.person_id.in_(list(people)))))
    fresh = [person_id for person_id in people if person_id not in existing]
    result.skipped = [people[p].name for p in people if p in existing]
    suspects_of = await open_suspects(db, [p for p in fresh if people[p].suspect_id is None])
    others = await overlapping(db, operation, fresh)
    for person_id in fresh:
        choice = people[person_id]
        target = OperationTarget(
            force_id=actor.force_id, operation_id=operation.id, person_id=person_id, source=choice.source,
            ranking_entry_id=choice.entry_id, suspect_id=choice.suspect_id or suspects_of.get(person_id),
            team_kind=new.team_kind, team_id=new.team_id, overlaps=person_id in others, added_by=actor.label,
            added_by_id=actor.user_id)
        db.add(target)
        result.added.append(target)
        if person_id in others:
            result.overlaps.append((choice.name, others[person_id]))
    if others:
        await db.execute(
            update(OperationTarget)
            .where(OperationTarget.person_id.in_(list(others)), OperationTarget.operation_id != operation.id,
                   OperationTarget.status != "withdrawn",
                   OperationTarget.operation_id.in_(select(Operation.id).where(
                       Operation.starts_on <= operation.ends_on, Operation.ends_on >= operation.starts_on)))
            .values(overlaps=True).execution_options(synchronize_session=False))
    await db.flush()
    await audit.record(db, action="operation_target.add", actor=actor, object_type="operation",
                       object_id=operation.id, details={
                           "target_ids": [t.id for t in result.added],
                           "person_ids": [t.person_id for t in result.added],
                           "skipped": len(result.skipped), "overlaps": len(result.overlaps),
                           "team_kind": new.team_kind, "team_id": new.team_id, "via": via})
    return result


async def set_team(db: AsyncSession, actor: Actor, operation_id: int, target_id: int, *, team_kind: str | None,
                   team_id: int | None, via: str = "web") -> OperationTarget:
    operation = await load_operation(db, operation_id, lock=True)
    target = await load_target(db, operation, target_id, lock=True)
    if operation.status == "closed":
        raise OperationConflict(closed_message(operation))
    errors = team_problems(await force_teams(db, actor), team_kind, team_id)
    if errors:
        raise OperationRefused(errors)
    before = (target.team_kind, target.team_id)
    target.team_kind, target.team_id = team_kind, team_id
    await db.flush()
    await audit.record(db, action="operation_target.team", actor=actor, object_type="operation_target",
                       object_id=target.id, details={"operation_id": operation.id, "from": list(before),
                                                     "to": [team_kind, team_id], "via": via})
    return target


async def withdraw(db: AsyncSession, actor: Actor, operation_id: int, target_id: int, *, reason: str,
                   via: str = "web") -> OperationTarget:
    operation = await load_operation(db, operation_id, lock=True)
    target = await load_target(db, operation, target_id, lock=True)
    if operation.status == "closed":
        raise OperationConflict(closed_message(operation))
    text = (reason or "").strip()
    errors: dict[str, str] = {}
    if target.status == "arrested":
        errors["reason"] = "This target has been arrested: an arrested target is not withdrawn"
    elif target.status == "withdrawn":
        errors["reason"] = "This target has already been withdrawn"
    elif not text:
        errors["reason"] = "Say why the target is withdrawn"
    elif len(text) > REASON_MAX:
        errors["reason"] = f"The reason must be at most {REASON_MAX} characters"
    if errors:
        raise OperationRefused(errors)
    target.status = "withdrawn"
    target.note = text
    await db.flush()
    await audit.record(db, action="operation_target.withdraw", actor=actor, object_type="operation_target",
                       object_id=target.id, reason=text, details={"operation_id": operation.id, "via": via})
    return target
