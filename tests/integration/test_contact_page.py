"""The contact pages: the open contacts, the handler's new-contact form (prefilled by telephony), and a contact
with one screen of history at a glance: the number's people, markers, orders and breach alerts; incidents at the
address or within the AML fix's radius in the last year; wanted DA suspects linked; grades and specialist advice.
Every record shown is an audited read."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import AmlFix, Contact, ContactGrade, Incident, SpecialistAdvice
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Marker, PersonPhone
from safeguard.safeguarding import orders
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.crime_scene import crime_scene
from tests.integration.order_scene import LANDLINE, dapn, order_scene

NOW = datetime.now(UTC).replace(microsecond=0)
LAT, LON = 52.48, -1.89
M_PER_DEG_LAT = 111_195  # metres per degree of latitude on PostgreSQL's earth sphere


def _north(metres: float) -> float:
    return LAT + metres / M_PER_DEG_LAT


async def _contact(db: AsyncSession, force: ForceData, number: str | None = LANDLINE, **values: object) -> Contact:
    await set_force_context(db, force.id)
    contact = Contact(force_id=force.id, channel=values.pop("channel", "999-silent"), caller_number=number,
                      received_at=values.pop("received_at", NOW - timedelta(minutes=3)),
                      pressed_55=values.pop("pressed_55", True), **values)
    db.add(contact)
    await db.flush()
    return contact


async def _place(db: AsyncSession, force: ForceData, line1: str, north_m: float) -> Location:
    place = Location(force_id=force.id, line1=line1, town="Northfield", postcode="ZZ3 8TS", latitude=_north(north_m),
                     longitude=LON)
    db.add(place)
    await db.flush()
    return place


async def _incident(db: AsyncSession, force: ForceData, reference: str, place: Location, ago: timedelta
                    ) -> Incident:
    incident = Incident(force_id=force.id, reference=reference, occurred_at=NOW - ago, location_id=place.id,
                        da_related=True)
    db.add(incident)
    await db.flush()
    return incident


def _section(body: str, testid: str) -> str:
    start = body.index(f'data-testid="{testid}"')
    return body[start:body.index("</ul>", start)]


async def test_the_contact_page_shows_history_at_a_glance_with_the_breach_alert_first(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    db.add(Marker(force_id=force_a.id, phone_e164=LANDLINE, kind="da-high-risk-victim", starts_on=date(2026, 1, 2),
                  set_by="pc.example", note="Silent calls before"))
    await db.flush()
    contact = await _contact(db, force_a, da_flag=True)
    await sign_in(client, scene.handler)
    page = await client.get(f"/contacts/{contact.id}")
    assert page.status_code == 200, page.text
    body = page.text
    alerts = body[body.index('data-testid="contact-alerts"'):body.index('data-testid="contact-summary"')]
    assert "the caller pressed 55" in alerts
    assert "Markers on this number: DA high-risk victim" in alerts
    assert f'href="/orders/{order.id}"' in alerts and "Dean Carver is barred from contacting Alice Marsh" in alerts
    assert body.index('data-testid="contact-alerts"') < body.index('data-testid="glance-person"')
    assert f'href="/people/{scene.subject.id}"' in body and f'href="/people/{scene.victim.id}"' in body
    assert 'data-testid="glance-order"' in body and "Silent calls before" in body
    assert 'data-testid="da-flag"' in body
    assert "01632 960555" in body
    await set_force_context(db, force_a.id)
    actions = [(e.action, e.object_id) for e in await db.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("contact.read", "person.read", "protective_order.read",
                                                         "phone.history_viewed"))).order_by(AuditEvent.id))]
    assert ("contact.read", str(contact.id)) in actions and ("phone.history_viewed", LANDLINE) in actions
    assert {("person.read", str(scene.subject.id)), ("person.read", str(scene.victim.id)),
            ("protective_order.read", str(order.id))} <= set(actions)


async def test_incidents_at_the_address_and_within_the_aml_radius_are_shown_and_not_beyond(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    handler = await make_user(db, force_a, "call_handler")
    home = await _place(db, force_a, "8 Tanner Street", 2000)  # the address given, far from the fix
    near = await _place(db, force_a, "2 Mill Lane", 60)
    far = await _place(db, force_a, "40 Wharf Road", 400)
    at_home = await _incident(db, force_a, "INC-HOME-1", home, timedelta(days=30))
    inside = await _incident(db, force_a, "INC-NEAR-1", near, timedelta(days=100))
    await _incident(db, force_a, "INC-FAR-1", far, timedelta(days=10))
    await _incident(db, force_a, "INC-NEAR-OLD", near, timedelta(days=400))
    contact = await _contact(db, force_a, number="+447700900999",
                             location_id=home.id, location_text="Tanner Street")
    db.add(AmlFix(force_id=force_a.id, contact_id=contact.id, msisdn=contact.caller_number, imei="356938035643809",
                  transport="sms", version="1", has_fix=True, latitude=LAT, longitude=LON, radius_m=100,
                  confidence_pct=68, method="gnss", fixed_at=NOW - timedelta(minutes=2), received_at=NOW, raw="x"))
    await db.flush()
    await sign_in(client, handler)
    body = (await client.get(f"/contacts/{contact.id}")).text
    nearby = _section(body, "nearby-incidents")
    assert "INC-HOME-1" in nearby and "at the contact&#39;s address" in nearby
    assert re.search(r'href="/incidents/\d+">INC-NEAR-1</a> \(DA\), 2 Mill Lane, Northfield, ZZ3 8TS, 60 m from the '
                     r"AML fix \(radius 100 m\)", nearby), nearby
    assert "INC-FAR-1" not in body and "INC-NEAR-OLD" not in body
    assert "52.48000, -1.89000, within 100 m (68% confidence), by gnss" in body
    await set_force_context(db, force_a.id)
    reads = {e.object_id for e in await db.scalars(select(AuditEvent).where(AuditEvent.action == "incident.read"))}
    assert reads == {str(at_home.id), str(inside.id)}


async def test_a_wanted_da_suspect_linked_to_the_number_is_shown_and_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    scene.suspect.status, scene.suspect.wanted_since = "wanted", NOW - timedelta(days=2)
    other = await crime_scene(db, force_a, da_related=False, offences=("abh",), forename="Nigel")
    db.add_all([PersonPhone(force_id=force_a.id, person_id=scene.person.id, number_e164="+447700900444"),
                PersonPhone(force_id=force_a.id, person_id=other.person.id, number_e164="+447700900444")])
    await db.flush()
    contact = await _contact(db, force_a, number="+447700900444", channel="999", pressed_55=False)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    body = (await client.get(f"/contacts/{contact.id}")).text
    wanted = _section(body, "wanted-suspects")
    assert f'<a class="govuk-link" href="/people/{scene.person.id}">Dean Holloway</a>: wanted for' in wanted
    # The crime's reference, but no link: a call handler's role does not open crime records.
    assert scene.crime.reference in wanted and f'href="/crimes/{scene.crime.id}"' not in wanted
    assert "Nigel" not in wanted  # his crime is not domestic abuse
    assert f"Dean Holloway is wanted as a suspect for DA crime {scene.crime.reference}" in body
    await set_force_context(db, force_a.id)
    reads = [e.object_id for e in await db.scalars(select(AuditEvent).where(
        AuditEvent.action == "suspect.read", AuditEvent.reason == "history at a glance"))]
    assert reads == [str(scene.suspect.id)]


async def test_grades_and_the_specialists_advice_are_shown(client: httpx.AsyncClient, db: AsyncSession,
                                                          force_a: ForceData) -> None:
    contact = await _contact(db, force_a, number=None, channel="online", pressed_55=False, grade="priority")
    db.add_all([
        ContactGrade(force_id=force_a.id, contact_id=contact.id, grade="scheduled", suggested_grade="scheduled",
                     reasons=[], thrive={}, graded_at=NOW - timedelta(minutes=2), graded_by="handler.one"),
        ContactGrade(force_id=force_a.id, contact_id=contact.id, grade="priority", suggested_grade="emergency",
                     reasons=[], below_reason="Suspect left the address", thrive={}, graded_at=NOW,
                     graded_by="handler.two"),
        SpecialistAdvice(force_id=force_a.id, contact_id=contact.id, advice="Do not call back on the home phone.",
                         referral_note="IDVA referral made", given_at=NOW, given_by="da.specialist")])
    await db.flush()
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    body = (await client.get(f"/contacts/{contact.id}")).text
    assert body.index('data-testid="specialist-advice"') < body.index('data-testid="contact-summary"')
    assert "Do not call back on the home phone." in body and "IDVA referral made" in body
    history = body[body.index('data-testid="grade-history"'):]
    assert history.index("handler.one") < history.index("handler.two")
    assert "Below the suggestion because: Suspect left the address" in history
    assert f'href="/contacts/{contact.id}/grade"' in body
    assert 'data-testid="no-history"' in body


async def test_the_handler_completes_a_prefilled_new_contact(client: httpx.AsyncClient, db: AsyncSession,
                                                             force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    received = (NOW - timedelta(seconds=40)).isoformat().replace("+00:00", "Z")
    form = await client.get("/contacts/new", params={"channel": "999-silent", "number": "07700 900123",
                                                     "pressed_55": "1", "received_at": received})
    assert form.status_code == 200
    assert 'value="999-silent" checked' in form.text and 'value="07700 900123"' in form.text
    assert 'id="pressed_55" name="pressed_55" type="checkbox" value="yes" checked' in form.text
    assert 'data-testid="silent-55"' in form.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', form.text)
    assert key
    data = {"csrf_token": csrf_from(form.text), "key": key.group(1), "channel": "999-silent",
            "caller_number": "07700 900123", "pressed_55": "yes", "received_at": received,
            "note": "Taps twice for yes: he is in the house", "location_text": "8 Tanner Street",
            "children_present": "yes", "weapons": "yes"}
    refused = await client.post("/contacts/new", data={**data, "caller_number": "123"})
    assert refused.status_code == 400 and "not a valid UK or international phone number" in refused.text
    assert 'href="#caller_number"' in refused.text and "Taps twice for yes" in refused.text
    await set_force_context(db, force_a.id)
    assert list(await db.scalars(select(Contact))) == []
    saved = await client.post("/contacts/new", data=data)
    assert saved.status_code == 303
    [contact] = list(await db.scalars(select(Contact).execution_options(populate_existing=True)))
    assert saved.headers["location"] == f"/contacts/{contact.id}"
    assert (contact.caller_number, contact.pressed_55, contact.children_present, contact.weapons, contact.injury,
            contact.taken_by) == ("+447700900123", True, True, True, False, handler.user.username)
    assert contact.received_at == NOW - timedelta(seconds=40)
    twice = await client.post("/contacts/new", data=data)  # a double click: the same contact
    assert twice.headers["location"] == f"/contacts/{contact.id}"
    assert len(list(await db.scalars(select(Contact)))) == 1
    [received] = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.received")))
    assert (received.actor_user_id, received.actor_label, received.object_id, received.details) == (
        handler.user.id, handler.user.username, str(contact.id),
        {"channel": "999-silent", "via": "page", "pressed_55": True, "da_flag": contact.da_flag})
    page = await client.get(f"/contacts/{contact.id}")
    assert "Taps twice for yes" in page.text and "Children present" in page.text


async def test_the_list_shows_open_contacts_newest_first(client: httpx.AsyncClient, db: AsyncSession,
                                                         force_a: ForceData, force_b: ForceData) -> None:
    older = await _contact(db, force_a, received_at=NOW - timedelta(minutes=30))
    newer = await _contact(db, force_a, channel="101", pressed_55=False, received_at=NOW - timedelta(minutes=5))
    closed = await _contact(db, force_a, status="closed", closed_at=NOW)
    theirs = await _contact(db, force_b)
    await set_force_context(db, force_a.id)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    body = (await client.get("/contacts")).text
    assert 'href="/contacts/new"' in body
    assert body.index(f'href="/contacts/{newer.id}"') < body.index(f'href="/contacts/{older.id}"')
    assert f'href="/contacts/{closed.id}"' not in body and f'href="/contacts/{theirs.id}"' not in body
    missing = await client.get(f"/contacts/{theirs.id}")
    assert missing.status_code == 404 and "There is no contact with that number in your force." in missing.text


async def test_the_da_specialist_uses_the_safeguarding_view_not_the_contact_log(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    """The police contact page shows suspects' markers, wanted status and crimes: a charity advocate is refused
    it and works from /specialist/contacts/{id} instead; an attending officer reads it."""
    contact = await _contact(db, force_a)
    await set_force_context(db, force_a.id)
    contact.da_flag = True
    await db.flush()
    specialist = await make_user(db, force_a, "da_specialist")
    await sign_in(client, specialist)
    for path in (f"/contacts/{contact.id}", "/contacts", "/contacts/new", f"/api/v1/contacts/{contact.id}"):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.get(f"/specialist/contacts/{contact.id}")).status_code == 200
    client.cookies.clear()
    officer = await make_user(db, force_a, "response_officer")
    await sign_in(client, officer)
    assert (await client.get(f"/contacts/{contact.id}")).status_code == 200
    assert 'href="/contacts/new"' not in (await client.get("/contacts")).text


async def test_a_contact_with_an_unusable_old_number_still_opens(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    contact = await _contact(db, force_a, number="withheld", channel="999", pressed_55=False)
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    page = await client.get(f"/contacts/{contact.id}")
    assert page.status_code == 200 and 'data-testid="no-history"' in page.text
