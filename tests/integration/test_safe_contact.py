"""Safe contact: validated and stored in E.164, every change audited, shown first on the person page, and hidden
with a restricted person."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.people.models import Person, PersonPhone
from safeguard.people.service import restrict
from safeguard.safeguarding.models import SafeContact
from safeguard.safeguarding.safe_contact import SafeContactInput, safe_contact_problems, to_e164
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.support_scene import support_scene


async def test_an_officer_records_safe_contact_and_the_person_page_shows_it_first(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    officer = await make_user(db, force_a, "response_officer")
    await sign_in(client, officer)
    person = await client.get(f"/people/{scene.victim.id}")
    assert "No safe-contact preferences are recorded" in person.text
    form = await client.get(f"/people/{scene.victim.id}/safe-contact")
    assert form.status_code == 200
    bad = await client.post(f"/people/{scene.victim.id}/safe-contact", data={
        "csrf_token": csrf_from(form.text), "safe_number": "12345", "only_through_third_party": "yes",
        "safe_times": "Weekdays 10 to 2"})
    assert bad.status_code == 400
    assert "Enter a real phone number for the safe number, like 07700 900123" in bad.text
    assert "Contact only through a third party needs the third party&#39;s name and number" in bad.text
    assert 'value="12345"' in bad.text and "Weekdays 10 to 2" in bad.text
    await set_force_context(db, force_a.id)
    assert (await db.scalars(select(SafeContact))).first() is None
    good = await client.post(f"/people/{scene.victim.id}/safe-contact", data={
        "csrf_token": csrf_from(form.text), "safe_number": "07700 900123", "safe_times": "Weekdays 10 to 2",
        "no_voicemail": "yes", "third_party_name": "Jo Sister", "third_party_number": "+44 7700 900456",
        "third_party_relationship": "sister"})
    assert good.status_code == 303, good.text
    await set_force_context(db, force_a.id)
    row = (await db.scalars(select(SafeContact).where(SafeContact.person_id == scene.victim.id))).one()
    assert (row.safe_number, row.third_party_number, row.no_voicemail) == ("+447700900123", "+447700900456", True)
    person = await client.get(f"/people/{scene.victim.id}")
    text = person.text
    assert "07700 900123" in text and "Do not leave voicemail" in text
    assert text.index("data-safe-contact") < text.index("Date of birth") < text.index("Addresses")
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.object_type == "safe_contact",
                                                            AuditEvent.object_id == str(scene.victim.id))
                                   .order_by(AuditEvent.id)))
    actions = [e.action for e in events]
    assert "safe_contact.create" in actions and "safe_contact.read" in actions
    created = next(e for e in events if e.action == "safe_contact.create")
    assert "+447700900123" not in str(created.details), "the audit names fields, never the numbers"
    assert "safe_number" in created.details["changed"]
    # The API reads the same preferences, in E.164, and PUT replaces them.
    api = await client.get(f"/api/v1/people/{scene.victim.id}/safe-contact")
    assert api.json()["safe_number"] == "+447700900123" and api.json()["warnings"] == ["Do not leave voicemail"]
    put = await client.put(f"/api/v1/people/{scene.victim.id}/safe-contact",
                           headers={"x-csrf-token": csrf_from(form.text)},
                           json={"safe_number": "07700 900999", "no_text_messages": True,
                                 "only_through_third_party": True})
    assert put.status_code == 422
    assert put.json()["errors"] == [{"field": "third_party_name", "message": "Contact only through a third party "
                                                                            "needs the third party's name and number"}]
    put = await client.put(f"/api/v1/people/{scene.victim.id}/safe-contact",
                           headers={"x-csrf-token": csrf_from(form.text)},
                           json={"safe_number": "07700 900999", "no_text_messages": True})
    assert put.status_code == 200 and put.json()["safe_number"] == "+447700900999"
    assert put.json()["third_party_name"] is None and put.json()["no_voicemail"] is False


async def test_the_person_page_warns_only_for_victims(client: httpx.AsyncClient, db: AsyncSession,
                                                      force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    suspect = Person(force_id=force_a.id, forename="Dean", surname="Holloway", gender="male")
    db.add(suspect)
    await db.flush()
    await sign_in(client, await make_user(db, force_a, "response_officer"))
    page = await client.get(f"/people/{suspect.id}")
    assert "data-safe-contact" not in page.text and 'data-testid="safe-contact-link"' in page.text
    page = await client.get(f"/people/{scene.victim.id}")
    assert "No safe-contact preferences are recorded" in page.text


async def test_only_safeguarding_writers_open_the_safe_contact_form(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    """A call handler sees safe contact on the person page and caller history, but the form is for those who
    record it: officers and the DA specialist (who reaches it from the safeguarding view, not the person page)."""
    scene = await support_scene(db, force_a)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    home = await client.get("/account")
    assert (await client.get(f"/people/{scene.victim.id}/safe-contact")).status_code == 403
    posted = await client.post(f"/people/{scene.victim.id}/safe-contact",
                               data={"csrf_token": csrf_from(home.text), "safe_number": "07700 900123"})
    assert posted.status_code == 403
    client.cookies.clear()
    await sign_in(client, scene.staff)
    form = await client.get(f"/people/{scene.victim.id}/safe-contact")
    assert form.status_code == 200 and 'name="safe_number"' in form.text
    assert (await client.get(f"/people/{scene.victim.id}")).status_code == 403  # not the police's record


async def test_a_restricted_persons_safe_contact_is_withheld(client: httpx.AsyncClient, db: AsyncSession,
                                                              force_a: ForceData, force_b: ForceData) -> None:
    scene = await support_scene(db, force_a)
    keeper = await make_user(db, force_a, "ppu_investigator")
    db.add(SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900123",
                       updated_at=scene.victim.created_at, updated_by="keeper"))
    await db.flush()
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="ppu", reason="Refuge resident",
                   person_id=scene.victim.id)
    await sign_in(client, scene.staff)
    page = await client.get("/support-services")
    for path in (f"/people/{scene.victim.id}/safe-contact", f"/api/v1/people/{scene.victim.id}/safe-contact"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "7700" not in response.text
    put = await client.put(f"/api/v1/people/{scene.victim.id}/safe-contact",
                           headers={"x-csrf-token": csrf_from(page.text)}, json={"safe_number": "07700 900111"})
    assert put.status_code == 404
    # The database hides the row too, to anyone not granted the person.
    await set_force_context(db, force_a.id, scene.staff.user.id)
    assert (await db.scalars(select(SafeContact).where(SafeContact.person_id == scene.victim.id))).first() is None
    other = await support_scene(db, force_b)
    client.cookies.clear()
    await sign_in(client, other.staff)
    assert (await client.get(f"/people/{scene.victim.id}/safe-contact")).status_code == 404


async def test_the_caller_history_shows_a_victims_safe_contact(client: httpx.AsyncClient, db: AsyncSession,
                                                               force_a: ForceData) -> None:
    """A handler calling back the number of a victim sees how to contact them safely, on the page and in the API."""
    scene = await support_scene(db, force_a)
    db.add_all([PersonPhone(force_id=force_a.id, person_id=scene.victim.id, number_e164="+441632960777"),
                SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900123",
                            safe_times="Weekdays 10:00 to 12:00", no_voicemail=True,
                            updated_at=scene.victim.created_at, updated_by="keeper")])
    await db.flush()
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    page = await client.get("/people/history", params={"number": "01632 960777"})
    assert page.status_code == 200
    card = page.text[page.text.index('data-testid="glance-person"'):]
    assert card.index("Do not leave voicemail") < card.index("Markers")
    assert "07700 900123" in card and "Weekdays 10:00 to 12:00" in card
    api = await client.get("/api/v1/people/history", params={"number": "01632 960777"})
    [person] = [p for p in api.json()["people"] if p["id"] == scene.victim.id]
    assert person["safe_contact"] == {"safe_number": "07700 900123", "safe_times": "Weekdays 10:00 to 12:00",
                                      "warnings": ["Do not leave voicemail"], "third_party": None}
    # Someone with nothing recorded carries no safe contact.
    flatmate = Person(force_id=force_a.id, forename="Owen", surname="Tregear")
    db.add(flatmate)
    await db.flush()
    db.add(PersonPhone(force_id=force_a.id, person_id=flatmate.id, number_e164="+441632960777"))
    await db.flush()
    api = await client.get("/api/v1/people/history", params={"number": "01632 960777"})
    assert {p["id"]: p["safe_contact"] for p in api.json()["people"]}[flatmate.id] is None


@given(st.text(max_size=20))
def test_a_safe_number_is_stored_only_when_valid(raw: str) -> None:
    problems = safe_contact_problems(SafeContactInput(safe_number=raw, safe_times="Any time"))
    assert ("safe_number" in problems) == (bool(raw.strip()) and to_e164(raw) is None)
