"""The telephony contract: POST /api/v1/contacts records a contact once per Idempotency-Key, refuses what it
cannot use naming the field and writing nothing, and GET /api/v1/contacts/{id} reads one back (audited) with its
location and alerts. Contacts of another force are not found."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.app import create_app
from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.contact import intake
from safeguard.contact.models import AmlFix, Contact
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import sessionmaker_for, set_force_context
from safeguard.people.models import Marker, Person, PersonPhone
from tests.conftest import DatabaseUnderTest, ForceData, csrf_from, make_settings, make_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)
BODY: dict[str, Any] = {"channel": "999-silent", "caller_number": "07700 900123",
                        "received_at": (NOW - timedelta(seconds=30)).isoformat().replace("+00:00", "Z"),
                        "pressed_55": True, "note": "Silent call, 55 detected, sounds of shouting"}


async def _token(db: AsyncSession, force: ForceData, *scopes: str) -> dict[str, str]:
    token = await create_token(db, force_id=force.id, name=f"switch {secrets.token_hex(2)}", scopes=list(scopes))
    return {"Authorization": f"Bearer {token}"}


def _key(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or secrets.token_hex(8)}


async def _contacts(db: AsyncSession, force: ForceData) -> list[Contact]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(Contact).execution_options(populate_existing=True).order_by(Contact.id)))


async def test_telephony_records_a_silent_call_once_and_a_retry_gets_the_same_contact(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    headers = _key(await _token(db, force_a, "contacts:write"), "switch-call-0001")
    first = await client.post("/api/v1/contacts", json=BODY, headers=headers)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created == {"id": created["id"], "url": f"/contacts/{created['id']}"}
    again = await client.post("/api/v1/contacts", json=BODY, headers=headers)
    assert again.status_code == 200 and again.json() == created
    # The same instant written another way is the same body.
    same = {**BODY, "received_at": (NOW - timedelta(seconds=30)).astimezone().isoformat(),
            "caller_number": "+44 7700 900123"}
    assert (await client.post("/api/v1/contacts", json=same, headers=headers)).json() == created
    [contact] = await _contacts(db, force_a)
    assert (contact.id, contact.channel, contact.caller_number, contact.pressed_55) == \
        (created["id"], "999-silent", "+447700900123", True)
    assert contact.received_at == NOW - timedelta(seconds=30) and contact.taken_by == "telephony"
    assert contact.status == "open" and contact.idempotency_key == "switch-call-0001"
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.received")))
    # Written in the insert's own statement: the whole event, as audit.record would have written it.
    assert [(e.force_id, e.actor_user_id, e.actor_label.startswith("token:switch "), e.object_type, e.object_id,
             e.details) for e in events] == [
        (force_a.id, None, True, "contact", str(contact.id),
         {"channel": "999-silent", "via": "api", "pressed_55": True, "da_flag": contact.da_flag})]


async def test_the_same_key_with_a_different_body_is_a_conflict(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    headers = _key(await _token(db, force_a, "contacts:write"))
    first = (await client.post("/api/v1/contacts", json=BODY, headers=headers)).json()
    changed = await client.post("/api/v1/contacts", json={**BODY, "caller_number": "07700 900124",
                                                          "pressed_55": False}, headers=headers)
    assert changed.status_code == 409
    [problem] = changed.json()["errors"]
    assert problem["field"] == "Idempotency-Key"
    assert f"already used for contact {first['id']}" in problem["message"]
    assert "caller_number, pressed_55" in problem["message"]
    assert len(await _contacts(db, force_a)) == 1


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"caller_number": "12345"}, "caller_number", "not a valid UK or international phone number"),
    ({"caller_number": "call me"}, "caller_number", "is not a phone number"),
    ({"caller_number": None}, "caller_number", "a 999 call always has one"),
    ({"channel": "fax"}, "channel", "'fax' is not a channel; use one of 999, 999-silent"),
    ({"received_at": (NOW + timedelta(minutes=10)).isoformat()}, "received_at", "in the future"),
    ({"received_at": "2026-11-25T21:04:05"}, "received_at", "must include a time zone"),
    ({"received_at": "yesterday"}, "received_at", "datetime"),
    ({"channel": "101", "pressed_55": True}, "pressed_55", "only to silent 999 calls"),
    ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
])
async def test_what_cannot_be_used_is_refused_naming_the_field_and_nothing_is_written(
        change: dict[str, Any], field: str, words: str, client: httpx.AsyncClient, db: AsyncSession,
        force_a: ForceData) -> None:
    headers = _key(await _token(db, force_a, "contacts:write"))
    response = await client.post("/api/v1/contacts", json={**BODY, **change}, headers=headers)
    assert response.status_code == 422, response.text
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert field in problems and words in problems[field], problems
    assert await _contacts(db, force_a) == []
    assert not list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.received")))


async def test_a_time_just_ahead_of_our_clock_is_accepted(client: httpx.AsyncClient, db: AsyncSession,
                                                          force_a: ForceData) -> None:
    headers = _key(await _token(db, force_a, "contacts:write"))
    ahead = datetime.now(UTC) + intake.CLOCK_SKEW - timedelta(seconds=20)
    response = await client.post("/api/v1/contacts", json={**BODY, "received_at": ahead.isoformat()}, headers=headers)
    assert response.status_code == 201, response.text


async def test_a_token_must_send_an_idempotency_key(client: httpx.AsyncClient, db: AsyncSession,
                                                    force_a: ForceData) -> None:
    response = await client.post("/api/v1/contacts", json=BODY, headers=await _token(db, force_a, "contacts:write"))
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "Idempotency-Key" and "Send an Idempotency-Key header" in problem["message"]
    assert await _contacts(db, force_a) == []


async def test_scopes_are_checked(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    reader = await _token(db, force_a, "contacts:read")
    refused = await client.post("/api/v1/contacts", json=BODY, headers=_key(reader))
    assert refused.status_code == 403 and "contacts:write" in refused.json()["detail"]
    writer = await _token(db, force_a, "contacts:write")
    created = (await client.post("/api/v1/contacts", json=BODY, headers=_key(writer))).json()
    unread = await client.get(f"/api/v1/contacts/{created['id']}", headers=writer)
    assert unread.status_code == 403 and "contacts:read" in unread.json()["detail"]
    assert (await client.get(f"/api/v1/contacts/{created['id']}")).status_code == 401


async def test_a_signed_in_handler_posts_with_the_csrf_header_and_no_key(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    assert (await client.post("/api/v1/contacts", json=BODY)).status_code == 403  # no CSRF header
    csrf = csrf_from((await client.get("/account")).text)
    response = await client.post("/api/v1/contacts", json={**BODY, "channel": "101", "pressed_55": False},
                                 headers={"x-csrf-token": csrf})
    assert response.status_code == 201, response.text
    [contact] = await _contacts(db, force_a)
    assert contact.taken_by == handler.user.username and contact.idempotency_key is None


async def test_reading_a_contact_gives_its_location_and_alerts_and_is_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    person = Person(force_id=force_a.id, forename="Dean", surname="Carver", dob_year=1984)
    db.add(person)
    await db.flush()
    db.add_all([PersonPhone(force_id=force_a.id, person_id=person.id, number_e164="+447700900123"),
                Marker(force_id=force_a.id, person_id=person.id, kind="da-perpetrator", starts_on=date(2026, 1, 5),
                       set_by="pc.example"),
                Marker(force_id=force_a.id, phone_e164="+447700900123", kind="weapons", starts_on=date(2026, 1, 5),
                       set_by="pc.example")])
    await db.flush()
    headers = await _token(db, force_a, "contacts:write", "contacts:read")
    created = (await client.post("/api/v1/contacts", json=BODY, headers=_key(headers))).json()
    [contact] = await _contacts(db, force_a)
    assert contact.da_flag is True  # from the DA marker on the person linked to the number
    for fixed, radius, has_fix in [(NOW - timedelta(seconds=20), 40.0, True), (NOW - timedelta(seconds=10), 12.0, True),
                                   (NOW - timedelta(seconds=5), None, False)]:
        db.add(AmlFix(force_id=force_a.id, contact_id=contact.id, msisdn="+447700900123", imei="356938035643809",
                      transport="sms", version="1", has_fix=has_fix, latitude=52.48 if has_fix else None,
                      longitude=-1.89 if has_fix else None, radius_m=radius, confidence_pct=68, method="gnss",
                      fixed_at=fixed, received_at=fixed, raw="A\"ML=1;..."))
    await db.flush()
    response = await client.get(f"/api/v1/contacts/{created['id']}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["channel"], body["caller_number"], body["pressed_55"], body["grade"]) == \
        ("999-silent", "+447700900123", True, None)
    assert body["location"] == {"latitude": 52.48, "longitude": -1.89, "radius_m": 12.0, "confidence_pct": 68.0,
                                "method": "gnss", "fixed_at": (NOW - timedelta(seconds=10)).isoformat()
                                .replace("+00:00", "Z")}
    kinds = [a["kind"] for a in body["alerts"]]
    assert kinds == ["silent-55", "marker", "marker"]
    assert "Weapons" in body["alerts"][1]["message"]
    assert "Dean Carver, linked to this number: DA perpetrator" == body["alerts"][2]["message"]
    reads = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.read")))
    assert [(e.object_id, e.reason) for e in reads] == [(str(contact.id), "read through the API")]
    assert await db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "person.read", AuditEvent.object_id == str(person.id))) == 1


async def test_the_handler_sets_the_da_flag_and_a_plain_number_stays_unflagged(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    headers = await _token(db, force_a, "contacts:write")
    plain = {**BODY, "channel": "999", "pressed_55": False, "caller_number": "01632 960001"}
    assert (await client.post("/api/v1/contacts", json=plain, headers=_key(headers))).status_code == 201
    flagged = {**plain, "caller_number": "01632 960002", "da_flag": True}
    assert (await client.post("/api/v1/contacts", json=flagged, headers=_key(headers))).status_code == 201
    assert [(c.caller_number, c.da_flag) for c in await _contacts(db, force_a)] == \
        [("+441632960001", False), ("+441632960002", True)]


async def test_another_forces_contact_is_not_found(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                                   force_b: ForceData) -> None:
    mine = await _token(db, force_a, "contacts:write", "contacts:read")
    created = (await client.post("/api/v1/contacts", json=BODY, headers=_key(mine, "call-1"))).json()
    theirs = await _token(db, force_b, "contacts:write", "contacts:read")
    response = await client.get(f"/api/v1/contacts/{created['id']}", headers=theirs)
    assert response.status_code == 404 and "Dean" not in response.text and "07700" not in response.text
    # Keys are per force: force B's switch may use the same call id.
    other = await client.post("/api/v1/contacts", json=BODY, headers=_key(theirs, "call-1"))
    assert other.status_code == 201 and other.json()["id"] != created["id"]


async def test_concurrent_retries_make_one_contact(fresh_db: DatabaseUnderTest) -> None:
    """Real concurrency on a database of its own: eight identical posts at once, one row, one id."""
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        (force_id,) = conn.execute("INSERT INTO force (code, name) VALUES ('CON', 'Concurrent Police') "
                                   "RETURNING id").fetchone() or (0,)
    maker = sessionmaker_for(fresh_db.app_url)
    async with maker() as s, s.begin():
        await set_force_context(s, force_id)
        token = await create_token(s, force_id=force_id, name="switch", scopes=["contacts:write"])
    app = create_app(make_settings(), maker)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "switch-call-race"}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            responses = await asyncio.gather(*(http.post("/api/v1/contacts", json=BODY, headers=headers)
                                               for _ in range(8)))
    finally:
        await maker.kw["bind"].dispose()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        assert conn.execute("SELECT count(*) FROM contact").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'contact.received'").fetchone() == (1,)


async def test_a_retry_that_loses_the_race_on_the_unique_key_returns_the_winner(fresh_db: DatabaseUnderTest) -> None:
    """Two transactions with the same key, both past the look-up before either commits: the loser's insert
    waits on the unique index, fails when the winner commits, and its savepoint returns the winner's contact."""
    from safeguard.auth.actor import Actor
    from safeguard.auth.permissions import P
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        (force_id,) = conn.execute("INSERT INTO force (code, name) VALUES ('RAC', 'Race Police') "
                                   "RETURNING id").fetchone() or (0,)
    actor = Actor(kind="token", force_id=force_id, label="token:switch", permissions=frozenset({P.CONTACT_WRITE}))
    new = intake.NewContact(channel="999", caller_number="07700 900123", received_at=NOW)
    maker = sessionmaker_for(fresh_db.app_url)
    try:
        async with maker() as winner, maker() as loser:
            await winner.begin()
            await loser.begin()
            for s in (winner, loser):
                await set_force_context(s, force_id)
            assert await intake._existing(loser, "k-race") is None  # the loser has looked and found nothing
            first, created = await intake.receive_contact(winner, actor, new, idempotency_key="k-race")
            assert created
            racing = asyncio.create_task(intake.receive_contact(loser, actor, new, idempotency_key="k-race"))
            await asyncio.sleep(0.5)
            assert not racing.done()  # blocked on the unique index (or before it)
            await winner.commit()
            second, created_again = await asyncio.wait_for(racing, 10)
            await loser.commit()
            assert second.id == first.id and created_again is False
    finally:
        await maker.kw["bind"].dispose()
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        assert conn.execute("SELECT count(*) FROM contact").fetchone() == (1,)
