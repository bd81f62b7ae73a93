"""Duplicate person records: the analyst's review queue, merging, and undoing a merge exactly.

The linkage job (`safeguard.people.linkjob`) offers candidate pairs. An analyst confirms a pair, choosing
which record survives, or rejects it. A merge keeps both source records: the merged record stays in the
table, marked `merged_into_id`, and every row that pointed at it (aliases, phones, addresses, incident
roles, markers, relationships) is repointed to the survivor. The merge row lists exactly which rows
moved and which it created, so that unmerging moves exactly those back and removes exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import IncidentPerson
from safeguard.crimes.models import Arrest, CrimePerson, Suspect
from safeguard.people.models import (
    DuplicateCandidate,
    Location,
    Marker,
    Person,
    PersonAddress,
    PersonAlias,
    PersonMerge,
    PersonPhone,
    Relationship,
)
from safeguard.people.service import address_text


# Every table whose rows follow a person through a merge: the person column, and the columns that
# must stay unique with it (a row is left on the merged record when the survivor already has its twin,
# so a merge never breaks a unique constraint or makes someone a suspect twice on one crime). The key
# names the list in `PersonMerge.moved`; renaming one would strand the merges already recorded under it.
@dataclass(frozen=True)
class Follower:
    table: Table
    column: str
    unique_with: tuple[str, ...] = ()


FOLLOWERS: dict[str, Follower] = {
    "person_alias": Follower(PersonAlias.__table__, "person_id"),  # type: ignore[arg-type]
    "person_phone": Follower(PersonPhone.__table__, "person_id"),  # type: ignore[arg-type]
    "person_address": Follower(PersonAddress.__table__, "person_id"),  # type: ignore[arg-type]
    "incident_person": Follower(IncidentPerson.__table__, "person_id"),  # type: ignore[arg-type]
    "marker": Follower(Marker.__table__, "person_id"),  # type: ignore[arg-type]
    "relationship_a": Follower(Relationship.__table__, "person_a_id"),  # type: ignore[arg-type]
    "relationship_b": Follower(Relationship.__table__, "person_b_id"),  # type: ignore[arg-type]
    "crime_person": Follower(CrimePerson.__table__, "person_id", ("crime_id", "role")),  # type: ignore[arg-type]
    "suspect": Follower(Suspect.__table__, "person_id", ("crime_id",)),  # type: ignore[arg-type]
    "arrest": Follower(Arrest.__table__, "person_id"),  # type: ignore[arg-type]
}
DECISIONS = ("keep_a", "keep_b", "not_same")


class DuplicateError(ValueError):
    """A decision that cannot be made, with the reason in words the analyst can act on."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Side:
    """One record of a pair, as the analyst compares it."""

    id: int
    display_name: str
    date_of_birth: str | None
    gender: str
    aliases: list[str]
    phones: list[str]
    addresses: list[str]
    incidents: int
    merged_into_id: int | None


@dataclass(frozen=True)
class QueueEntry:
    candidate: DuplicateCandidate
    a: Person
    b: Person


def _now() -> datetime:
    return datetime.now(UTC)


async def queue(db: AsyncSession, *, status: str = "pending", limit: int = 50, offset: int = 0
                ) -> tuple[list[QueueEntry], int]:
    """Candidate pairs in one status, most likely first, with the number in that status.

    A pending pair whose either record has since been merged away is left out: there is nothing to decide.
    """
    if status not in ("pending", "confirmed", "rejected"):
        raise DuplicateError("Choose pending, confirmed or rejected.")
    a, b = aliased(Person), aliased(Person)
    query = (select(DuplicateCandidate, a, b)
             .join(a, a.id == DuplicateCandidate.person_a_id)
             .join(b, b.id == DuplicateCandidate.person_b_id)
             .where(DuplicateCandidate.status == status))
    if status == "pending":
        query = query.where(a.merged_into_id.is_(None), b.merged_into_id.is_(None))
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (DuplicateCandidate.match_probability.desc() if status == "pending"
             else DuplicateCandidate.decided_at.desc())
    rows = await db.execute(query.order_by(order, DuplicateCandidate.id).limit(limit).offset(offset))
    return [QueueEntry(c, pa, pb) for c, pa, pb in rows], total


async def get_candidate(db: AsyncSession, candidate_id: int) -> DuplicateCandidate:
    # Row-level security hides a pair from another force, or one holding a record this user may not see.
    candidate = await db.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFound(candidate_id)
    return candidate


async def side(db: AsyncSession, actor: Actor, person_id: int) -> Side:
    """One record of a pair in full, for comparison. Reading it is audited like any read of a person."""
    person = await db.get(Person, person_id)
    if person is None:
        raise NotFound(person_id)
    await audit.record_read(db, actor, "person", person_id, reason="duplicate review")
    aliases = [f"{x.forename} {x.surname}" for x in await db.scalars(
        select(PersonAlias).where(PersonAlias.person_id == person_id).order_by(PersonAlias.id))]
    phones = list(await db.scalars(select(PersonPhone.number_e164).where(PersonPhone.person_id == person_id)
                                   .order_by(PersonPhone.id)))
    rows = await db.execute(select(Location).select_from(PersonAddress)
                            .outerjoin(Location, Location.id == PersonAddress.location_id)
                            .where(PersonAddress.person_id == person_id)
                            .order_by(PersonAddress.from_date.desc().nulls_last()))
    addresses = [address_text(location) for (location,) in rows]
    incidents = await db.scalar(select(func.count()).select_from(IncidentPerson)
                                .where(IncidentPerson.person_id == person_id)) or 0
    return Side(person.id, person.display_name, person.date_of_birth, person.gender, aliases, phones, addresses,
                incidents, person.merged_into_id)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DuplicateError("Give the reason for your decision: it is kept with the record.")
    if len(text) > 1000:
        raise DuplicateError("Keep the reason to 1,000 characters or fewer.")
    return text


async def decide(db: AsyncSession, actor: Actor, candidate_id: int, *, decision: str,
                 reason: str | None) -> PersonMerge | None:
    """Record the analyst's decision on a pair: merge it one way or the other, or reject it."""
    if decision not in DECISIONS:
        raise DuplicateError("Choose which record to keep, or that these are not the same person.")
    why = _reason(reason)
    candidate = await get_candidate(db, candidate_id)
    if candidate.status != "pending":
        raise DuplicateError(f"This pair was already {candidate.status} by {candidate.decided_by}.")
    if decision == "not_same":
        candidate.status, candidate.decided_by, candidate.decided_at = "rejected", actor.label, _now()
        candidate.reason = why
        await db.flush()
        await audit.record(db, action="person.duplicate_rejected", actor=actor, object_type="duplicate_candidate",
                           object_id=candidate.id, reason=why,
                           details={"person_a_id": candidate.person_a_id, "person_b_id": candidate.person_b_id})
        return None
    survivor, merged = ((candidate.person_a_id, candidate.person_b_id) if decision == "keep_a"
                        else (candidate.person_b_id, candidate.person_a_id))
    return await merge(db, actor, survivor_id=survivor, merged_id=merged, reason=why, candidate=candidate)


async def merge(db: AsyncSession, actor: Actor, *, survivor_id: int, merged_id: int, reason: str | None,
                candidate: DuplicateCandidate | None = None) -> PersonMerge:
    why = _reason(reason)
    if survivor_id == merged_id:
        raise DuplicateError("A record cannot be merged into itself.")
    # Lock both records, in id order, so two analysts merging overlapping pairs cannot interleave.
    people = {p.id: p for p in await db.scalars(
        select(Person).where(Person.id.in_([survivor_id, merged_id])).order_by(Person.id).with_for_update())}
    survivor, merged = people.get(survivor_id), people.get(merged_id)
    if survivor is None or merged is None:
        raise NotFound(survivor_id if survivor is None else merged_id)
    for person in (survivor, merged):
        if person.merged_into_id is not None:
            raise DuplicateError(f"Person {person.id} has already been merged into person "
                                 f"{person.merged_into_id}. Review that record instead.")
        if person.restricted:
            # Grants to see a restricted record are per record; merging would widen or narrow who sees it.
            raise DuplicateError(f"Person {person.id} is a restricted record. Restricted records are not merged "
                                 "from the review queue; ask the record's owner.")
    moved: dict[str, list[int]] = {}
    for key, follower in FOLLOWERS.items():
        table, column = follower.table, follower.column
        condition = table.c[column] == merged_id
        if key == "relationship_a":
            condition = and_(condition, table.c.person_b_id != survivor_id)
        elif key == "relationship_b":
            condition = and_(condition, table.c.person_a_id != survivor_id)
        if follower.unique_with:
            twin = table.alias("twin")
            condition = and_(condition, ~exists().where(
                twin.c[column] == survivor_id, *(twin.c[c] == table.c[c] for c in follower.unique_with)))
        ids = list(await db.scalars(update(table).where(condition).values({column: survivor_id})
                                    .returning(table.c.id)))
        moved[key] = sorted(ids)
    created: dict[str, list[int]] = {"person_alias": []}
    names = {(survivor.forename.lower(), survivor.surname.lower())} | {
        (f.lower(), s.lower()) for f, s in await db.execute(
            select(PersonAlias.forename, PersonAlias.surname).where(PersonAlias.person_id == survivor_id))}
    if (merged.forename.lower(), merged.surname.lower()) not in names:
        alias = PersonAlias(force_id=survivor.force_id, person_id=survivor_id, forename=merged.forename,
                            surname=merged.surname)
        db.add(alias)
        await db.flush()
        created["person_alias"].append(alias.id)
    merged.merged_into_id = survivor_id
    if candidate is not None:
        candidate.status, candidate.decided_by, candidate.decided_at = "confirmed", actor.label, _now()
        candidate.reason = why
    record = PersonMerge(force_id=survivor.force_id, survivor_id=survivor_id, merged_id=merged_id,
                         candidate_id=candidate.id if candidate else None, moved=moved, created=created,
                         decided_by=actor.label, reason=why)
    db.add(record)
    await db.flush()
    await audit.record(db, action="person.merged", actor=actor, object_type="person", object_id=survivor_id,
                       reason=why, details={"merge_id": record.id, "merged_id": merged_id,
                                            "rows_moved": sum(len(v) for v in moved.values())})
    return record


async def get_merge(db: AsyncSession, merge_id: int) -> PersonMerge:
    record = await db.get(PersonMerge, merge_id)
    if record is None:
        raise NotFound(merge_id)
    return record


async def unmerge(db: AsyncSession, actor: Actor, merge_id: int, *, reason: str | None) -> PersonMerge:
    """Undo a merge: exactly the rows it moved go back, exactly the rows it created go.

    Rows added to the surviving record since the merge stay with it. A merge can only be undone while
    the survivor has not itself been merged on: undo the later merge first.
    """
    why = _reason(reason)
    record = (await db.scalars(select(PersonMerge).where(PersonMerge.id == merge_id).with_for_update())).first()
    if record is None:
        raise NotFound(merge_id)
    if record.unmerged_at is not None:
        raise DuplicateError(f"This merge was already undone by {record.unmerged_by}.")
    people = {p.id: p for p in await db.scalars(
        select(Person).where(Person.id.in_([record.survivor_id, record.merged_id])).order_by(Person.id)
        .with_for_update())}
    survivor, merged = people[record.survivor_id], people[record.merged_id]
    if survivor.merged_into_id is not None:
        later = await db.scalar(select(PersonMerge.id).where(PersonMerge.merged_id == survivor.id,
                                                             PersonMerge.unmerged_at.is_(None)))
        raise DuplicateError(f"Person {survivor.id} has since been merged into person {survivor.merged_into_id}"
                             f" (merge {later}). Undo that merge first.")
    for key, ids in record.moved.items():
        if not ids:
            continue
        table, column = FOLLOWERS[key].table, FOLLOWERS[key].column
        await db.execute(update(table).where(table.c.id.in_(ids), table.c[column] == record.survivor_id)
                         .values({column: record.merged_id}))
    for key, ids in record.created.items():
        if ids:
            table = FOLLOWERS[key].table
            await db.execute(delete(table).where(table.c.id.in_(ids)))
    merged.merged_into_id = None
    record.unmerged_by, record.unmerged_at, record.unmerge_reason = actor.label, _now(), why
    if record.candidate_id is not None:
        candidate = await db.get(DuplicateCandidate, record.candidate_id)
        if candidate is not None:
            # Undoing a merge says the two are not the same person; the pair is not offered again.
            candidate.status, candidate.decided_by, candidate.decided_at = "rejected", actor.label, _now()
            candidate.reason = f"Merge {record.id} undone: {why}"
    await db.flush()
    await audit.record(db, action="person.unmerged", actor=actor, object_type="person",
                       object_id=record.survivor_id, reason=why,
                       details={"merge_id": record.id, "merged_id": record.merged_id})
    return record


async def merges(db: AsyncSession, *, person_id: int | None = None, limit: int = 50) -> list[PersonMerge]:
    """Merges, newest first; for one person, those in which it survived or was merged away."""
    query = select(PersonMerge)
    if person_id is not None:
        query = query.where(or_(PersonMerge.survivor_id == person_id, PersonMerge.merged_id == person_id))
    return list(await db.scalars(query.order_by(PersonMerge.id.desc()).limit(limit)))
