"""Personally connected people (DA Act 2021 s2) and merged records, through the service, the page and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.people import markers
from safeguard.people.models import Person, Relationship
from safeguard.people.relationships import (
    RESTRICTED_PERSON,
    RelationshipRefused,
    add_relationship,
    relationships_for,
)
from safeguard.people.service import PersonNotFound, grant_restricted, restrict
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in
from tests.integration.test_person_markers import actor_for

TODAY = markers.today()


async def _person(db: AsyncSession, force: ForceData, forename: str, surname: str = "Pryce",
                  dob: tuple[int, int, int] | None = (1990, 5, 17)) -> Person:
    year, month, day = dob or (None, None, None)
    person = Person(force_id=force.id, forename=forename, surname=surname, dob_year=year, dob_month=month,
                    dob_day=day, gender="unknown")
    db.add(person)
    await db.flush()
    return person


async def _staff(db: AsyncSession, force: ForceData, role: str = "ppu_investigator") -> Staff:
    staff = await make_user(db, force, role)
    await set_force_context(db, force.id, staff.user.id)
    return staff


async def _relationships(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Relationship)) or 0)


async def _hide(db: AsyncSession, force: ForceData, person: Person) -> None:
    """Restrict a person; only the officer who restricts them keeps access."""
    keeper = await make_user(db, force, "ppu_investigator")
    await restrict(db, force_id=force.id, by_user_id=keeper.user.id, by_label=keeper.user.username,
                   reason="Lives in a refuge", person_id=person.id)


# -- the service ----------------------------------------------------------------------------------

async def test_a_relationship_reads_from_both_sides_and_is_audited(db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a)
    actor = actor_for(staff)
    amy, ben = await _person(db, force_a, "Amy"), await _person(db, force_a, "Ben", dob=(1988, 1, 9))
    cath = await _person(db, force_a, "Cath", dob=None)
    since = TODAY - timedelta(days=700)
    partners = await add_relationship(db, actor, amy.id, ben.id, "intimate_partner", since=since,
                                      detail=" married ")
    await add_relationship(db, actor, cath.id, amy.id, "family_member", detail="sister")
    from_amy = await relationships_for(db, amy.id, actor=actor)
    assert [(c.person_id, c.display_name, c.date_of_birth, c.kind_label, c.detail, c.withheld)
            for c in from_amy] == [(ben.id, "Ben Pryce", "1988-01-09", "Intimate partner", "married", False),
                                   (cath.id, "Cath Pryce", None, "Family member", "sister", False)]
    assert from_amy[0].since == since
    from_ben = await relationships_for(db, ben.id)
    assert [(c.person_id, c.kind) for c in from_ben] == [(amy.id, "intimate_partner")]
    event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "relationship.added",
                                                       AuditEvent.object_id == str(partners.id)))).scalar_one()
    assert event.actor_label == staff.user.username
    assert event.details == {"person_a_id": amy.id, "person_b_id": ben.id, "kind": "intimate_partner",
                             "since": since.isoformat()}


async def test_refusals_name_the_field_and_save_nothing(db: AsyncSession, force_a: ForceData,
                                                        force_b: ForceData) -> None:
    await set_force_context(db, force_b.id)
    elsewhere = await _person(db, force_b, "Elsewhere")
    staff = await _staff(db, force_a)
    amy, ben = await _person(db, force_a, "Amy"), await _person(db, force_a, "Ben")
    hidden = await _person(db, force_a, "Hidden")
    await _hide(db, force_a, hidden)
    await set_force_context(db, force_a.id, staff.user.id)
    actor = actor_for(staff)
    await add_relationship(db, actor, amy.id, ben.id, "ex_partner")
    cases = [
        ((amy.id, amy.id, "ex_partner"), {}, "other_person_id", "themselves"),
        ((amy.id, ben.id, "neighbour"), {}, "kind", "not a kind of connection"),
        ((amy.id, ben.id, ""), {}, "kind", "Choose how"),
        ((amy.id, ben.id, "ex_partner"), {}, "other_person_id", "already recorded"),
        ((ben.id, amy.id, "ex_partner"), {}, "other_person_id", "already recorded"),  # the other way round
        ((amy.id, 2**40, "ex_partner"), {}, "other_person_id", f"no person {2**40}"),
        ((amy.id, elsewhere.id, "ex_partner"), {}, "other_person_id", f"no person {elsewhere.id}"),
        ((amy.id, hidden.id, "ex_partner"), {}, "other_person_id", f"no person {hidden.id}"),
        ((amy.id, ben.id, "family_member"), {"since": TODAY + timedelta(days=1)}, "since", "today or in the past"),
        ((amy.id, ben.id, "family_member"), {"detail": "d" * 41}, "detail", "40 characters"),
    ]
    for args, kwargs, field, words in cases:
        with pytest.raises(RelationshipRefused) as refused:
            await add_relationship(db, actor, *args, **kwargs)  # type: ignore[arg-type]
        assert isinstance(refused.value, ValueError)
        assert words in refused.value.errors.get(field, ""), (args, refused.value.errors)
    assert await _relationships(db) == 1
    assert await db.scalar(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.action == "relationship.added")) == 1
    # A different kind between the same two people is a different fact, and allowed.
    await add_relationship(db, actor, ben.id, amy.id, "family_member", detail="cousin")
    assert await _relationships(db) == 2
    with pytest.raises(PersonNotFound):
        await add_relationship(db, actor, hidden.id, amy.id, "family_member")


async def test_a_restricted_connected_person_is_withheld(db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a)
    amy, hidden = await _person(db, force_a, "Amy"), await _person(db, force_a, "Hidden", "Refugee")
    await add_relationship(db, actor_for(staff), amy.id, hidden.id, "intimate_partner", detail="married",
                           since=TODAY - timedelta(days=90))
    await _hide(db, force_a, hidden)
    await set_force_context(db, force_a.id, staff.user.id)
    db.expunge_all()
    [connected] = await relationships_for(db, amy.id, actor=actor_for(staff))
    assert connected.withheld and connected.display_name == RESTRICTED_PERSON
    assert connected.person_id is None and connected.date_of_birth is None
    assert connected.detail is None and connected.since is None
    assert connected.kind_label == "Intimate partner"


# -- the page and the API -------------------------------------------------------------------------

async def test_the_page_lists_connected_people_and_withholds_the_restricted(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a, "analyst")
    amy, ben = await _person(db, force_a, "Amy"), await _person(db, force_a, "Ben")
    hidden = await _person(db, force_a, "Zelda", "Quarrington")
    await add_relationship(db, actor_for(staff), amy.id, ben.id, "ex_partner")
    await add_relationship(db, actor_for(staff), hidden.id, amy.id, "intimate_partner", detail="proposed 2023")
    await _hide(db, force_a, hidden)
    await sign_in(client, staff)

    page = await client.get(f"/people/{amy.id}")
    table = page.text.split('data-testid="connected-people"')[1].split("</table>")[0]
    assert f'<a class="govuk-link" href="/people/{ben.id}">Ben Pryce</a>' in table and "Ex-partner" in table
    assert "Restricted person" in table and "Intimate partner" in table
    assert "Zelda" not in page.text and "Quarrington" not in page.text and "proposed 2023" not in page.text
    assert f"/people/{hidden.id}\"" not in page.text

    body = (await client.get(f"/api/v1/people/{amy.id}")).json()
    withheld = [r for r in body["relationships"] if r["withheld"]]
    assert withheld == [{"person_id": None, "display_name": "Restricted person", "date_of_birth": None,
                         "kind": "intimate_partner", "kind_label": "Intimate partner", "detail": None,
                         "since": None, "withheld": True}]
    assert "Zelda" not in str(body) and "proposed" not in str(body)
    assert hidden.id not in [r["person_id"] for r in body["relationships"]]

    # With a grant, the person is shown like anyone else.
    await grant_restricted(db, force_id=force_a.id, user_id=staff.user.id, granted_by="admin",
                           reason="Officer in the case", person_id=hidden.id)
    page = await client.get(f"/people/{amy.id}")
    assert f'href="/people/{hidden.id}">Zelda Quarrington</a>' in page.text and "proposed 2023" in page.text


async def test_an_investigator_adds_a_connected_person_through_the_form(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a)
    amy, ben = await _person(db, force_a, "Amy"), await _person(db, force_a, "Ben")
    await sign_in(client, staff)
    page = await client.get(f"/people/{amy.id}")
    assert "No connected people recorded." in page.text
    since = TODAY - timedelta(days=365 * 3)
    response = await client.post(f"/people/{amy.id}/relationships", data={
        "csrf_token": csrf_from(page.text), "other_person": f" {ben.id} ", "kind": "intimate_partner",
        "detail": "civil partners", "since_day": str(since.day), "since_month": str(since.month),
        "since_year": str(since.year)})
    assert response.status_code == 303 and response.headers["location"] == f"/people/{amy.id}"
    page = await client.get(f"/people/{amy.id}")
    assert f"Connected person added: intimate partner, person {ben.id}." in page.text
    table = page.text.split('data-testid="connected-people"')[1].split("</table>")[0]
    assert "Ben Pryce" in table and "Intimate partner: civil partners" in table and since.strftime("%d %b %Y") in table
    other_side = await client.get(f"/people/{ben.id}")
    assert f'href="/people/{amy.id}">Amy Pryce</a>' in other_side.text

    response = await client.post(f"/people/{amy.id}/relationships", data={
        "csrf_token": csrf_from(page.text), "other_person": "Bob", "kind": "", "detail": "next door",
        "since_day": "40", "since_month": "1", "since_year": "2020"})
    assert response.status_code == 400
    summary = response.text.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert re.findall(r'href="#([^"]+)"', summary) == ["rel-other_person", "rel-kind", "rel-since_day"]
    assert 'value="Bob"' in response.text and 'value="next door"' in response.text
    response = await client.post(f"/people/{amy.id}/relationships", data={
        "csrf_token": csrf_from(page.text), "other_person": str(ben.id), "kind": "intimate_partner"})
    assert response.status_code == 400 and "already recorded" in response.text
    assert 'value="intimate_partner" checked' in response.text
    await set_force_context(db, force_a.id)
    assert await _relationships(db) == 1


async def test_a_read_only_role_cannot_add_a_connection(client: httpx.AsyncClient, db: AsyncSession,
                                                        force_a: ForceData) -> None:
    staff = await _staff(db, force_a, "call_handler")
    amy, ben = await _person(db, force_a, "Amy"), await _person(db, force_a, "Ben")
    await sign_in(client, staff)
    page = await client.get(f"/people/{amy.id}")
    assert "/relationships\"" not in page.text and "Add a connected person" not in page.text
    response = await client.post(f"/people/{amy.id}/relationships", data={
        "csrf_token": csrf_from(page.text), "other_person": str(ben.id), "kind": "ex_partner"})
    assert response.status_code == 403
    await set_force_context(db, force_a.id)
    assert await _relationships(db) == 0


# -- merged records -------------------------------------------------------------------------------

async def test_a_merged_record_leads_to_the_surviving_record(client: httpx.AsyncClient, db: AsyncSession,
                                                             force_a: ForceData) -> None:
    staff = await _staff(db, force_a, "analyst")
    survivor, merged = await _person(db, force_a, "Sam"), await _person(db, force_a, "Samuel")
    older = await _person(db, force_a, "Sammy")
    await db.execute(update(Person).where(Person.id == merged.id).values(merged_into_id=survivor.id))
    await db.execute(update(Person).where(Person.id == older.id).values(merged_into_id=merged.id))  # a chain
    await sign_in(client, staff)

    for gone in (merged.id, older.id):
        response = await client.get(f"/people/{gone}")
        assert response.status_code == 303 and response.headers["location"] == f"/people/{survivor.id}"
        page = await client.get(response.headers["location"])
        assert page.status_code == 200 and f"Record {gone} was merged into this record." in page.text
        assert "Sam Pryce" in page.text

        api = await client.get(f"/api/v1/people/{gone}")
        assert api.status_code == 404
        assert api.json() == {"detail": f"Person {gone} was merged into person {survivor.id}.",
                              "merged_into": survivor.id}
    assert (await client.get(f"/api/v1/people/{survivor.id}")).json()["id"] == survivor.id


async def test_a_merge_into_a_record_you_cannot_see_is_just_not_found(client: httpx.AsyncClient,
                                                                      db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a, "analyst")
    survivor, merged = await _person(db, force_a, "Sam"), await _person(db, force_a, "Samuel")
    await db.execute(update(Person).where(Person.id == merged.id).values(merged_into_id=survivor.id))
    await _hide(db, force_a, survivor)
    await sign_in(client, staff)
    page = await client.get(f"/people/{merged.id}")
    assert page.status_code == 404 and str(survivor.id) not in page.text.split("<main")[1]
    api = await client.get(f"/api/v1/people/{merged.id}")
    assert api.status_code == 404 and "merged_into" not in api.json()


async def test_a_merged_record_cannot_be_connected(db: AsyncSession, force_a: ForceData) -> None:
    staff = await _staff(db, force_a)
    amy, survivor, merged = (await _person(db, force_a, "Amy"), await _person(db, force_a, "Sam"),
                             await _person(db, force_a, "Samuel"))
    await db.execute(update(Person).where(Person.id == merged.id).values(merged_into_id=survivor.id))
    with pytest.raises(RelationshipRefused, match=f"merged into person {survivor.id}"):
        await add_relationship(db, actor_for(staff), amy.id, merged.id, "family_member")
