"""People who are "personally connected" (Domestic Abuse Act 2021 s2): partners, ex-partners and relatives.

Abuse between two people aged 16 or over who are personally connected is domestic abuse, so these links
decide whether an incident is DA and who else is at risk. A relationship is one row, read the same from
either side. A connected person this user may not see (a refuge resident, an officer who is a victim)
appears as "Restricted person", with no link and nothing else about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.people import history
from safeguard.people.markers import Refused, today
from safeguard.people.models import RELATIONSHIP_KINDS, Person, Relationship
from safeguard.people.service import PersonNotFound, may_see

RELATIONSHIP_LABELS: dict[str, str] = {
    "intimate_partner": "Intimate partner",
    "ex_partner": "Ex-partner",
    "family_member": "Family member",
}
assert set(RELATIONSHIP_LABELS) == set(RELATIONSHIP_KINDS)
DETAIL_MAX = 40
RESTRICTED_PERSON = "Restricted person"


class RelationshipRefused(Refused):
    pass


@dataclass(frozen=True)
class ConnectedPerson:
    """The other person in a relationship, as this user may see them.

    When they are withheld, `person_id`, `date_of_birth`, `detail` and `since` are None and `display_name`
    is "Restricted person".
    """

    relationship_id: int
    person_id: int | None
    display_name: str
    date_of_birth: str | None
    kind: str
    kind_label: str
    detail: str | None
    since: date | None
    withheld: bool


async def relationship_problems(db: AsyncSession, actor: Actor, person_id: int, other_person_id: int | None,
                                kind: str, *, since: date | None = None, detail: str | None = None
                                ) -> dict[str, str]:
    """Everything wrong with connecting these two people, field by field (empty when it may be saved).

    `other_person_id` may be None when the form held no usable number: the other fields are still checked.
    Raises PersonNotFound when `person_id` is not a person this user may see.
    """
    person = await history.visible_person(db, actor, person_id)
    if person is None:
        raise PersonNotFound(person_id)
    problems: dict[str, str] = {}
    if person.merged_into_id is not None:
        problems["person_id"] = f"Person {person_id} was merged into person {person.merged_into_id}"
    if other_person_id is not None and other_person_id == person_id:
        problems["other_person_id"] = "A person cannot be connected to themselves: enter the other person's number"
    elif other_person_id is not None:
        other = await history.visible_person(db, actor, other_person_id)
        if other is None:
            problems["other_person_id"] = f"There is no person {other_person_id} in your force"
        elif other.merged_into_id is not None:
            survivor = await history.surviving_record(db, actor, other_person_id)
            problems["other_person_id"] = (f"Person {other_person_id} was merged into person {survivor}: "
                                           "enter that number instead" if survivor is not None
                                           else f"There is no person {other_person_id} in your force")
    if kind not in RELATIONSHIP_KINDS:
        problems["kind"] = ("Choose how they are connected" if not kind.strip() else
                            f"'{kind}' is not a kind of connection: choose one of "
                            f"{', '.join(RELATIONSHIP_LABELS.values())}")
    if since is not None and since > today():
        problems["since"] = "The date they have been connected since must be today or in the past"
    if detail is not None and len(detail.strip()) > DETAIL_MAX:
        problems["detail"] = f"The detail must be {DETAIL_MAX} characters or fewer"
    if other_person_id is not None and "other_person_id" not in problems and "kind" not in problems:
        existing = await db.scalar(select(Relationship.id).where(
            Relationship.kind == kind,
            or_(and_(Relationship.person_a_id == person_id, Relationship.person_b_id == other_person_id),
                and_(Relationship.person_a_id == other_person_id, Relationship.person_b_id == person_id)),
        ).limit(1))
        if existing is not None:
            problems["other_person_id"] = (f"{RELATIONSHIP_LABELS[kind]} is already recorded between these two "
                                           "people")
    return problems


async def add_relationship(db: AsyncSession, actor: Actor, person_id: int, other_person_id: int, kind: str,
                           since: date | None = None, detail: str | None = None) -> Relationship:
    """Record that two people are personally connected. Audited.

    Raises PersonNotFound when `person_id` is not a person this user may see, and RelationshipRefused
    (naming each field at fault) for a connection to themselves, an unknown kind, another person who is not
    found or not visible, a connection of the same kind already recorded either way round, a date in the
    future or a detail that is too long. Nothing is saved when it raises.
    """
    problems = await relationship_problems(db, actor, person_id, other_person_id, kind, since=since,
                                           detail=detail)
    if problems:
        raise RelationshipRefused(problems)
    relationship = Relationship(force_id=actor.force_id, person_a_id=person_id, person_b_id=other_person_id,
                                kind=kind, detail=(detail or "").strip() or None, since=since)
    db.add(relationship)
    await db.flush()
    await audit.record(db, action="relationship.added", actor=actor, object_type="relationship",
                       object_id=relationship.id,
                       details={"person_a_id": person_id, "person_b_id": other_person_id, "kind": kind,
                                "since": since.isoformat() if since else None})
    return relationship


async def relationships_for(db: AsyncSession, person_id: int, *, actor: Actor | None = None
                            ) -> list[ConnectedPerson]:
    """Everyone connected to this person, whichever side the relationship was recorded from.

    Row-level security returns nothing for a restricted person without a grant; with `actor` given, the
    grant is checked in code as well.
    """
    found: list[ConnectedPerson] = []
    for mine, theirs in ((Relationship.person_a_id, Relationship.person_b_id),
                         (Relationship.person_b_id, Relationship.person_a_id)):
        rows = await db.execute(
            select(Relationship, Person).select_from(Relationship)
            .outerjoin(Person, Person.id == theirs)
            .where(mine == person_id)
        )
        for relationship, row in rows:
            other: Person | None = row
            if other is not None and other.restricted and actor is not None \
                    and not await may_see(db, actor, person_id=other.id):
                other = None
            label = RELATIONSHIP_LABELS.get(relationship.kind, relationship.kind)
            if other is None:
                found.append(ConnectedPerson(relationship.id, None, RESTRICTED_PERSON, None, relationship.kind,
                                             label, None, None, True))
            else:
                found.append(ConnectedPerson(relationship.id, other.id, other.display_name, other.date_of_birth,
                                             relationship.kind, label, relationship.detail, relationship.since,
                                             False))
    order = {kind: i for i, kind in enumerate(RELATIONSHIP_KINDS)}
    found.sort(key=lambda c: (order.get(c.kind, len(order)), c.withheld, c.display_name, c.relationship_id))
    return found
