"""History at a glance builds every person it shows with one query per kind of record for all of them: the same
screen as person by person (markers, current addresses and theirs, incidents in the window, safe contact; a
merged record's survivor; a restricted person withheld unless the reader holds a grant; a restricted address
withheld), every person shown audited, and a number of statements that does not grow with the people shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.session import set_force_context
from safeguard.people import glance
from safeguard.people.models import Location, Marker, Person, PersonAddress, PersonPhone
from safeguard.people.service import grant_restricted, restrict
from safeguard.safeguarding.models import SafeContact
from tests.conftest import ForceData, make_user
from tests.integration.crime_scene import actor_for

NUMBER = "+447700900444"
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = date.today()


def _person(force: ForceData, forename: str, surname: str, **values: object) -> Person:
    return Person(force_id=force.id, forename=forename, surname=surname, dob_year=1980, **values)


def _marker(force: ForceData, kind: str, *, ends_on: date | None = None, **subject: object) -> Marker:
    return Marker(force_id=force.id, kind=kind, starts_on=TODAY - timedelta(days=30), ends_on=ends_on,
                  set_by="pc.example", **subject)


@contextmanager
def _statements(db: AsyncSession) -> Iterator[list[str]]:
    seen: list[str] = []
    bind = db.sync_session.get_bind()

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", count)


async def test_each_person_is_shown_as_before_and_audited(db: AsyncSession, force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    officer = await make_user(db, force_a, "response_officer")
    await set_force_context(db, force_a.id, officer.user.id)
    dean, alice, old, hidden, shared = (_person(force_a, "Dean", "Carver"), _person(force_a, "Alice", "Marsh"),
                                        _person(force_a, "Al", "Marsh"), _person(force_a, "Sam", "Hidden"),
                                        _person(force_a, "Kim", "Shared"))
    home, old_home, refuge = (Location(force_id=force_a.id, line1="8 Tanner Street", town="Northfield"),
                              Location(force_id=force_a.id, line1="2 Old Road", town="Northfield"),
                              Location(force_id=force_a.id, line1="1 Quiet Lane", town="Northfield"))
    db.add_all([dean, alice, old, hidden, shared, home, old_home, refuge])
    await db.flush()
    old.merged_into_id = alice.id  # a duplicate record merged into Alice's
    recent = Incident(force_id=force_a.id, reference="INC-1", occurred_at=NOW - timedelta(days=20), da_related=True,
                      location_id=home.id)
    long_ago = Incident(force_id=force_a.id, reference="INC-0", occurred_at=NOW - timedelta(days=400))
    db.add_all([recent, long_ago])
    await db.flush()
    db.add_all([*(PersonPhone(force_id=force_a.id, person_id=p.id, number_e164=NUMBER)
                  for p in (dean, alice, old, hidden, shared)),
                PersonAddress(force_id=force_a.id, person_id=dean.id, location_id=home.id),
                PersonAddress(force_id=force_a.id, person_id=dean.id, location_id=refuge.id),
                PersonAddress(force_id=force_a.id, person_id=dean.id, location_id=old_home.id,
                              to_date=TODAY - timedelta(days=60)),
                PersonAddress(force_id=force_a.id, person_id=alice.id, location_id=home.id),
                _marker(force_a, "da-perpetrator", person_id=dean.id),
                _marker(force_a, "weapons", person_id=dean.id),
                _marker(force_a, "stalking", person_id=dean.id, ends_on=TODAY - timedelta(days=1)),
                _marker(force_a, "children", location_id=home.id),
                _marker(force_a, "da-high-risk-victim", person_id=alice.id),
                IncidentPerson(force_id=force_a.id, incident_id=recent.id, person_id=dean.id, role="suspect"),
                IncidentPerson(force_id=force_a.id, incident_id=recent.id, person_id=alice.id, role="victim"),
                IncidentPerson(force_id=force_a.id, incident_id=long_ago.id, person_id=alice.id, role="victim"),
                SafeContact(force_id=force_a.id, person_id=alice.id, safe_times="Weekdays 10-12", no_voicemail=True,
                            updated_at=NOW, updated_by="pc.example")])
    await db.flush()
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   person_id=hidden.id)
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   location_id=refuge.id)
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Officer",
                   person_id=shared.id)
    await grant_restricted(db, force_id=force_a.id, user_id=handler.user.id, granted_by="officer",
                           reason="Control room", person_id=shared.id)

    await set_force_context(db, force_a.id, handler.user.id)
    found = await glance.history_for_number(db, actor_for(handler, force_a), "07700 900444", now=NOW)

    assert [p.display_name for p in found.people] == ["Restricted person", "Dean Carver", "Alice Marsh",
                                                      "Kim Shared"]
    withheld, d, a, k = found.people
    assert withheld.id is None and withheld.markers == [] and withheld.addresses == []
    assert [m.kind for m in d.markers] == ["weapons", "da-perpetrator"]  # newest first; the ended one is not shown
    assert sorted((x.text, tuple(m.kind for m in x.markers)) for x in d.addresses) == [
        ("8 Tanner Street, Northfield", ("children",)), ("Restricted address", ())]
    assert [(i.reference, i.role, i.da_related, i.address) for i in d.incidents] == [
        ("INC-1", "suspect", True, "8 Tanner Street, Northfield")]
    assert d.safe_contact is None
    assert (a.id, [m.kind for m in a.markers], [i.reference for i in a.incidents]) == \
        (alice.id, ["da-high-risk-victim"], ["INC-1"])
    assert a.safe_contact is not None and a.safe_contact.no_voicemail and a.safe_contact.safe_times == "Weekdays 10-12"
    assert (k.id, k.markers, k.addresses, k.incidents) == (shared.id, [], [], [])
    assert "Sam" not in repr(found) and "Quiet Lane" not in repr(found) and "Al Marsh" not in repr(found)
    reads = [int(e.object_id or 0) for e in await db.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.read").order_by(AuditEvent.id))]
    # Alice is read twice: once as herself and once as the survivor of the merged record.
    assert sorted(reads) == sorted([dean.id, alice.id, alice.id, shared.id])
    viewed = await db.scalar(select(AuditEvent).where(AuditEvent.action == "phone.history_viewed"))
    assert viewed is not None and viewed.details == {"people": 3, "withheld": 1}


async def test_a_crowded_number_shows_the_most_concerning_twenty_in_the_same_statements(
        db: AsyncSession, force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    await set_force_context(db, force_a.id, handler.user.id)
    actor = actor_for(handler, force_a)
    people = [_person(force_a, f"Person{n:02d}", "Crowd") for n in range(30)]
    db.add_all(people)
    await db.flush()
    place = Location(force_id=force_a.id, line1="9 Crowd Street", town="Northfield")
    db.add(place)
    await db.flush()
    db.add_all([*(PersonPhone(force_id=force_a.id, person_id=p.id, number_e164=NUMBER) for p in people),
                *(PersonAddress(force_id=force_a.id, person_id=p.id, location_id=place.id) for p in people),
                _marker(force_a, "weapons", person_id=people[29].id),
                _marker(force_a, "da-perpetrator", person_id=people[17].id),
                _marker(force_a, "violence-to-police", person_id=people[17].id)])
    await db.flush()
    with _statements(db) as crowded:
        found = await glance.history_for_number(db, actor, NUMBER, now=NOW)
    assert [p.display_name for p in found.people][:2] == ["Person17 Crowd", "Person29 Crowd"]
    assert len(found.people) == glance.MAX_PEOPLE and found.more_people == 10
    assert all(p.addresses[0].text == "9 Crowd Street, Northfield" for p in found.people)
    assert len(list(await db.scalars(select(AuditEvent.id).where(AuditEvent.action == "person.read")))) == 20

    few = "+447700900445"
    db.add_all([PersonPhone(force_id=force_a.id, person_id=p.id, number_e164=few)
                for p in (people[0], people[17], people[29])])
    await db.flush()
    with _statements(db) as three:
        assert len((await glance.history_for_number(db, actor, few, now=NOW)).people) == 3
    # Twenty people cost no more statements than three (one more, to rank a crowded number's people).
    assert len(crowded) <= len(three) + 1, (len(crowded), len(three))
