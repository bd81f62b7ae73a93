"""The duplicate review queue: an analyst merges or rejects a pair; a merge keeps both records and every
decision, and unmerging restores exactly the earlier state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import User
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.models import Arrest, Crime, CrimePerson, Suspect
from safeguard.db.session import set_force_context
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
from safeguard.people.service import grant_restricted, restrict
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in

FOLLOWING_TABLES = ["person", "person_alias", "person_phone", "person_address", "incident_person", "marker",
                    "relationship", "crime_person", "suspect", "arrest"]


async def _snapshot(db: AsyncSession, force_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table that refers to a person, exactly as stored."""
    await set_force_context(db, force_id)
    state = {}
    for table in FOLLOWING_TABLES:
        rows = await db.execute(text(f"SELECT * FROM {table} WHERE force_id = :f ORDER BY id"), {"f": force_id})
        state[table] = [tuple(row) for row in rows]
    return state


async def _pair(db: AsyncSession, force: ForceData, *, restricted_b: bool = False
                ) -> tuple[Person, Person, Person, DuplicateCandidate]:
    """Jonathan Smith and "Jon Smyth" (the same man, recorded twice), each with history, and his partner."""
    officer = await make_user(db, force, "ppu_investigator")
    await set_force_context(db, force.id, officer.user.id)
    a = Person(force_id=force.id, forename="Jonathan", surname="Smith", dob_year=1989, dob_month=4, dob_day=3,
               gender="male")
    b = Person(force_id=force.id, forename="Jon", surname="Smyth", dob_year=1989, gender="male")
    partner = Person(force_id=force.id, forename="Aisha", surname="Khan", dob_year=1991, gender="female")
    home = Location(force_id=force.id, line1="4 Elm Row", town="Northfield", postcode="ZZ9 9AA")
    db.add_all([a, b, partner, home])
    await db.flush()
    incident = Incident(force_id=force.id, reference="INC-1", occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
                        da_related=True)
    db.add(incident)
    await db.flush()
    db.add_all([
        PersonAlias(force_id=force.id, person_id=b.id, forename="Johnny", surname="Smyth"),
        PersonPhone(force_id=force.id, person_id=a.id, number_e164="+447700900001"),
        PersonPhone(force_id=force.id, person_id=b.id, number_e164="+447700900002"),
        PersonAddress(force_id=force.id, person_id=b.id, location_id=home.id, from_date=date(2024, 1, 1)),
        IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=b.id, role="suspect"),
        IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=partner.id, role="victim"),
        Marker(force_id=force.id, person_id=b.id, kind="da-perpetrator", starts_on=date(2026, 3, 1),
               set_by="officer"),
        Relationship(force_id=force.id, person_a_id=partner.id, person_b_id=b.id, kind="intimate_partner"),
        Relationship(force_id=force.id, person_a_id=a.id, person_b_id=b.id, kind="family_member"),
    ])
    await db.flush()
    # B is the suspect in two crimes; in the second, A was recorded as a suspect too (the same man, twice).
    crimes = [Crime(force_id=force.id, reference=f"CR-2026-00000{n}", incident_id=incident.id,
                    occurred_at=incident.occurred_at, recorded_at=incident.occurred_at, recorded_by="officer",
                    da_related=True) for n in (1, 2)]
    db.add_all(crimes)
    await db.flush()
    suspect_b = Suspect(force_id=force.id, crime_id=crimes[0].id, person_id=b.id)
    db.add_all([suspect_b, Suspect(force_id=force.id, crime_id=crimes[1].id, person_id=b.id),
                Suspect(force_id=force.id, crime_id=crimes[1].id, person_id=a.id),
                CrimePerson(force_id=force.id, crime_id=crimes[0].id, person_id=partner.id, role="victim")])
    await db.flush()
    db.add(Arrest(force_id=force.id, person_id=b.id, suspect_id=suspect_b.id, arrested_by="officer",
                  arrested_at=datetime(2026, 3, 2, tzinfo=UTC), da_related=True))
    await db.flush()
    if restricted_b:
        await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                       person_id=b.id)
    candidate = DuplicateCandidate(force_id=force.id, person_a_id=a.id, person_b_id=b.id, match_probability=0.97,
                                   evidence={"surname": "similar", "date_of_birth": "year agrees"},
                                   found_by="linkage test")
    db.add(candidate)
    await db.flush()
    return a, b, partner, candidate


async def _analyst(client: httpx.AsyncClient, db: AsyncSession, force: ForceData) -> Staff:
    staff = await make_user(db, force, "analyst", username=f"analyst-{force.force.code.lower()}")
    assert (await sign_in(client, staff)).status_code == 303
    return staff


async def _decide(client: httpx.AsyncClient, candidate_id: int, decision: str, reason: str) -> httpx.Response:
    page = await client.get(f"/people/duplicates/{candidate_id}")
    assert page.status_code == 200, page.text
    return await client.post(f"/people/duplicates/{candidate_id}", data={
        "decision": decision, "reason": reason, "csrf_token": csrf_from(page.text)})


async def test_the_queue_lists_pending_pairs_most_likely_first(client: httpx.AsyncClient, db: AsyncSession,
                                                               force_a: ForceData) -> None:
    a, _b, partner, candidate = await _pair(db, force_a)
    db.add(DuplicateCandidate(force_id=force_a.id, person_a_id=min(a.id, partner.id),
                              person_b_id=max(a.id, partner.id), match_probability=0.91, found_by="linkage test"))
    await db.flush()
    await _analyst(client, db, force_a)
    page = await client.get("/people/duplicates")
    assert page.status_code == 200
    assert "2 pairs to review" in page.text
    assert page.text.index("97.0%") < page.text.index("91.0%")
    pair = await client.get(f"/people/duplicates/{candidate.id}")
    assert "Jonathan Smith" in pair.text and "Jon Smyth" in pair.text and "Johnny Smyth" in pair.text
    assert "year agrees" in pair.text


async def test_merge_then_unmerge_restores_exactly_the_earlier_state(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    a, b, partner, candidate = await _pair(db, force_a)
    before = await _snapshot(db, force_a.id)
    await _analyst(client, db, force_a)

    response = await _decide(client, candidate.id, "keep_a", "Same DOB year, same phone history, typo in surname")
    assert response.status_code == 303 and response.headers["location"] == f"/people/{a.id}"

    await set_force_context(db, force_a.id)
    merged = await db.get(Person, b.id, populate_existing=True)
    assert merged is not None and merged.merged_into_id == a.id  # the source record is kept
    record = (await db.scalars(select(PersonMerge))).one()
    assert record.decided_by == "analyst-aaa" and record.reason.startswith("Same DOB") and record.decided_at
    assert (await db.scalar(select(IncidentPerson.person_id).where(IncidentPerson.role == "suspect"))) == a.id
    assert sorted(await db.scalars(select(PersonPhone.number_e164).where(PersonPhone.person_id == a.id))) == [
        "+447700900001", "+447700900002"]
    assert (await db.scalar(select(Marker.person_id))) == a.id
    # His crimes and arrest follow him, except where A was already a suspect on the same crime.
    suspects = sorted((await db.execute(select(Suspect.crime_id, Suspect.person_id))).all())
    assert [p for _, p in suspects] == [a.id, a.id, b.id]
    assert (await db.scalar(select(Arrest.person_id))) == a.id
    # The partner is now connected to the surviving record; the A–B link itself is left alone.
    links = set((await db.execute(select(Relationship.person_a_id, Relationship.person_b_id))).all())
    assert links == {(partner.id, a.id), (a.id, b.id)}
    aliases = set((await db.execute(select(PersonAlias.forename, PersonAlias.surname)
                                    .where(PersonAlias.person_id == a.id))).all())
    assert aliases == {("Johnny", "Smyth"), ("Jon", "Smyth")}
    decided = await db.get(DuplicateCandidate, candidate.id, populate_existing=True)
    assert decided is not None and decided.status == "confirmed" and decided.decided_by == "analyst-aaa"

    # The merged record's page now leads to the survivor, and it no longer comes up in the queue.
    queue = await client.get("/people/duplicates")
    assert "0 pairs to review" in queue.text

    page = await client.get(f"/people/merges/{record.id}")
    assert page.status_code == 200 and "Typo in surname".lower() in page.text.lower()
    refused = await client.post(f"/people/merges/{record.id}/unmerge",
                                data={"reason": " ", "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 400 and "Give the reason" in refused.text
    undone = await client.post(f"/people/merges/{record.id}/unmerge",
                               data={"reason": "Different fathers named on custody records",
                                     "csrf_token": csrf_from(page.text)})
    assert undone.status_code == 303

    assert await _snapshot(db, force_a.id) == before
    record = (await db.scalars(select(PersonMerge).execution_options(populate_existing=True))).one()
    assert record.unmerged_by == "analyst-aaa" and record.unmerge_reason == "Different fathers named on custody records"
    rejected = await db.get(DuplicateCandidate, candidate.id, populate_existing=True)
    assert rejected is not None and rejected.status == "rejected"
    actions = list(await db.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["person.merged", "person.unmerged"])).order_by(AuditEvent.id)))
    assert actions == ["person.merged", "person.unmerged"]


async def test_rows_added_after_the_merge_stay_with_the_survivor(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    a, b, _partner, candidate = await _pair(db, force_a)
    await _analyst(client, db, force_a)
    assert (await _decide(client, candidate.id, "keep_b", "Same man")).status_code == 303
    await set_force_context(db, force_a.id)
    db.add(PersonPhone(force_id=force_a.id, person_id=b.id, number_e164="+447700900003"))
    await db.flush()
    record = (await db.scalars(select(PersonMerge))).one()
    assert record.survivor_id == b.id and record.merged_id == a.id
    page = await client.get(f"/people/merges/{record.id}")
    assert (await client.post(f"/people/merges/{record.id}/unmerge", data={
        "reason": "Wrong", "csrf_token": csrf_from(page.text)})).status_code == 303
    await set_force_context(db, force_a.id)
    phones = dict((await db.execute(select(PersonPhone.number_e164, PersonPhone.person_id))).all())
    assert phones == {"+447700900001": a.id, "+447700900002": b.id, "+447700900003": b.id}


async def test_rejecting_a_pair_records_who_and_why(client: httpx.AsyncClient, db: AsyncSession,
                                                    force_a: ForceData) -> None:
    _a, _b, _partner, candidate = await _pair(db, force_a)
    before = await _snapshot(db, force_a.id)
    await _analyst(client, db, force_a)
    response = await _decide(client, candidate.id, "not_same", "Twins: different NHS numbers")
    assert response.status_code == 303 and response.headers["location"] == "/people/duplicates"
    assert await _snapshot(db, force_a.id) == before
    decided = await db.get(DuplicateCandidate, candidate.id, populate_existing=True)
    assert decided is not None and (decided.status, decided.reason) == ("rejected", "Twins: different NHS numbers")
    rejected_list = await client.get("/people/duplicates?status=rejected")
    assert "analyst-aaa" in rejected_list.text
    again = await client.get(f"/people/duplicates/{candidate.id}")
    assert "Not the same person: decided by analyst-aaa" in again.text and "Record decision" not in again.text


@pytest.mark.parametrize(("decision", "reason", "message"), [
    ("", "Because", "Choose which record to keep"),
    ("keep_a", "", "Give the reason"),
    ("delete_both", "Because", "Choose which record to keep"),
    ("keep_a", "x" * 1001, "1,000 characters or fewer"),
])
async def test_an_incomplete_decision_is_refused_and_changes_nothing(
        decision: str, reason: str, message: str, client: httpx.AsyncClient, db: AsyncSession,
        force_a: ForceData) -> None:
    _a, _b, _partner, candidate = await _pair(db, force_a)
    before = await _snapshot(db, force_a.id)
    await _analyst(client, db, force_a)
    response = await _decide(client, candidate.id, decision, reason)
    assert response.status_code == 400 and message in response.text
    assert "There is a problem" in response.text
    assert await _snapshot(db, force_a.id) == before
    assert (await db.scalar(select(PersonMerge.id))) is None


async def test_a_restricted_record_is_not_merged(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    _a, b, _partner, candidate = await _pair(db, force_a, restricted_b=True)
    await _analyst(client, db, force_a)
    # Without a grant the pair is invisible: row-level security hides a pair holding a restricted record.
    assert (await client.get(f"/people/duplicates/{candidate.id}")).status_code == 404
    assert "0 pairs to review" in (await client.get("/people/duplicates")).text
    # With a grant the analyst sees the pair, but a restricted record is still not merged from the queue.
    await set_force_context(db, force_a.id)
    analyst = await db.scalar(select(User.id).where(User.username == "analyst-aaa"))
    assert analyst is not None
    await grant_restricted(db, force_id=force_a.id, user_id=analyst, granted_by="officer", reason="Data quality",
                           person_id=b.id)
    response = await _decide(client, candidate.id, "keep_a", "Same man")
    assert response.status_code == 400 and f"Person {b.id} is a restricted record" in response.text
    assert (await db.scalar(select(PersonMerge.id))) is None


async def test_a_merged_record_cannot_be_merged_again(client: httpx.AsyncClient, db: AsyncSession,
                                                      force_a: ForceData) -> None:
    a, b, partner, candidate = await _pair(db, force_a)
    other = DuplicateCandidate(force_id=force_a.id, person_a_id=min(b.id, partner.id),
                               person_b_id=max(b.id, partner.id), match_probability=0.5, found_by="linkage test")
    db.add(other)
    await db.flush()
    await _analyst(client, db, force_a)
    assert (await _decide(client, candidate.id, "keep_a", "Same man")).status_code == 303
    decision = "keep_a" if other.person_a_id == partner.id else "keep_b"
    response = await _decide(client, other.id, decision, "Same?")
    assert response.status_code == 400 and f"already been merged into person {a.id}" in response.text


async def test_unmerge_waits_for_a_later_merge_of_the_survivor(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    a, b, _partner, candidate = await _pair(db, force_a)
    third = Person(force_id=force_a.id, forename="Jonathon", surname="Smith", dob_year=1989, gender="male")
    db.add(third)
    await db.flush()
    later = DuplicateCandidate(force_id=force_a.id, person_a_id=a.id, person_b_id=third.id,
                               match_probability=0.9, found_by="linkage test")
    db.add(later)
    await db.flush()
    await _analyst(client, db, force_a)
    assert (await _decide(client, candidate.id, "keep_a", "Same man")).status_code == 303
    assert (await _decide(client, later.id, "keep_b", "Same man again")).status_code == 303
    await set_force_context(db, force_a.id)
    first = (await db.scalars(select(PersonMerge).where(PersonMerge.merged_id == b.id))).one()
    page = await client.get(f"/people/merges/{first.id}")
    response = await client.post(f"/people/merges/{first.id}/unmerge",
                                 data={"reason": "Wrong", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and "Undo that merge first" in response.text


async def test_another_forces_pairs_and_merges_are_not_found(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    a, _b, partner, candidate = await _pair(db, force_b)
    await set_force_context(db, force_b.id)
    db.add(PersonMerge(force_id=force_b.id, survivor_id=a.id, merged_id=partner.id, moved={}, created={},
                       decided_by="someone", reason="test"))
    await db.flush()
    merge_id = await db.scalar(select(PersonMerge.id))
    await _analyst(client, db, force_a)
    assert (await client.get(f"/people/duplicates/{candidate.id}")).status_code == 404
    assert (await client.get(f"/people/merges/{merge_id}")).status_code == 404
    page = await client.get("/people/duplicates")
    assert (await client.post(f"/people/duplicates/{candidate.id}", data={
        "decision": "keep_a", "reason": "x", "csrf_token": csrf_from(page.text)})).status_code == 404
    assert "0 pairs to review" in page.text


async def test_only_analysts_review_duplicates(client: httpx.AsyncClient, db: AsyncSession,
                                               force_a: ForceData) -> None:
    _a, _b, _partner, _candidate = await _pair(db, force_a)
    officer = await make_user(db, force_a, "ppu_investigator")
    await sign_in(client, officer)
    assert (await client.get("/people/duplicates")).status_code == 403
    home = await client.get("/")
    assert "/people/duplicates" not in home.text
