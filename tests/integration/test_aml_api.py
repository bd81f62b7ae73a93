"""POST /api/v1/aml: SMS v1/v2 and HTTPS stored, de-duplicated, attached within the window, held and attached
later, quarantined (4xx for SMS, 2xx for HTTPS), scopes, and forces kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.contact.aml import render_sms_v1, render_sms_v2
from safeguard.contact.aml_demo import seed_demo_aml
from safeguard.contact.aml_service import MAX_MESSAGE_BYTES, attach_held_fixes
from safeguard.contact.models import AmlFix, AmlQuarantine, Contact
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from tests.conftest import DatabaseUnderTest, ForceData, make_force, make_user, sign_in

NUMBER = "+447700900123"
IMEI = "353472104343540"
M = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def _auth(db: AsyncSession, force: ForceData, scopes: list[str] | None = None) -> dict[str, str]:
    token = await create_token(db, force_id=force.id, name="sms gateway", scopes=scopes or ["aml:write"])
    return {"Authorization": f"Bearer {token}"}


async def _contact(db: AsyncSession, force: ForceData, received_at: datetime, *, number: str = NUMBER,
                   status: str = "open") -> Contact:
    await set_force_context(db, force.id)
    contact = Contact(force_id=force.id, channel="999-silent", caller_number=number, received_at=received_at,
                      status=status, taken_by="telephony")
    db.add(contact)
    await db.flush()
    return contact


def _v1(fixed_at: datetime, *, imei: str = IMEI) -> str:
    return render_sms_v1(latitude=52.48621, longitude=-1.89040, radius_m=14, fixed_at=fixed_at, confidence_pct=68,
                         method="wifi", imei=imei)


async def _sms(client: httpx.AsyncClient, auth: dict[str, str], text: str, number: str | None = NUMBER
               ) -> httpx.Response:
    params = {"msisdn": number} if number is not None else {}
    return await client.post("/api/v1/aml", params=params, content=text.encode(),
                             headers={**auth, "Content-Type": "text/plain"})


async def _fixes(db: AsyncSession, force: ForceData) -> list[AmlFix]:
    await set_force_context(db, force.id)
    return list((await db.scalars(select(AmlFix).where(AmlFix.force_id == force.id).order_by(AmlFix.id))).all())


async def _quarantined(db: AsyncSession, force: ForceData) -> list[AmlQuarantine]:
    await set_force_context(db, force.id)
    return list((await db.scalars(select(AmlQuarantine).where(AmlQuarantine.force_id == force.id)
                                  .order_by(AmlQuarantine.id))).all())


async def test_sms_v1_is_stored_and_attached_to_the_open_contact_in_the_window(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    now = _now()
    contact = await _contact(db, force_a, now - 2 * M)
    auth = await _auth(db, force_a)
    response = await _sms(client, auth, _v1(now - M), "07700 900123")  # the gateway's national form is normalised
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "attached" and body["contact_id"] == contact.id
    assert body["detail"] == f"Stored and attached to contact {contact.id}."
    [fix] = await _fixes(db, force_a)
    assert (fix.contact_id, fix.msisdn, fix.imei, fix.transport, fix.version) == (contact.id, NUMBER, IMEI, "sms",
                                                                                  "1")
    assert (fix.latitude, fix.longitude, fix.radius_m, fix.confidence_pct, fix.method, fix.has_fix) == (
        52.48621, -1.8904, 14.0, 68.0, "wifi", True)
    assert fix.fixed_at == now - M
    actions = set((await db.scalars(select(AuditEvent.action).where(AuditEvent.force_id == force_a.id))).all())
    assert "aml.receive" in actions


async def test_a_resend_is_acknowledged_as_a_duplicate_and_not_stored_twice(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    now = _now()
    auth = await _auth(db, force_a)
    first = await _sms(client, auth, _v1(now))
    assert first.status_code == 201 and first.json()["outcome"] == "held"
    again = await _sms(client, auth, _v1(now))
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate" and again.json()["fix_id"] == first.json()["fix_id"]
    assert "not stored again" in again.json()["detail"]
    # The same fix over HTTPS (IMEI and time of positioning) is the same fix.
    millis = str(int(now.timestamp() * 1000))
    https = await client.post("/api/v1/aml", headers=auth, data={
        "v": "1", "location_time": millis, "time": millis, "device_imei": IMEI, "device_number": NUMBER,
        "location_latitude": "52.48621", "location_longitude": "-1.8904"})
    assert https.status_code == 200 and https.json()["outcome"] == "duplicate"
    assert len(await _fixes(db, force_a)) == 1


async def test_sms_v2_is_stored_with_lt_as_time(client: httpx.AsyncClient, db: AsyncSession,
                                               force_a: ForceData) -> None:
    now = _now()
    contact = await _contact(db, force_a, now)
    auth = await _auth(db, force_a)
    text = render_sms_v2(latitude=52.48621, longitude=-1.8904, accuracy_m=20.1, call_started_at=now,
                         fix_offset_s=9, confidence_pct=68, method="gnss", imei=IMEI, emergency_number="999")
    response = await _sms(client, auth, text)
    assert response.status_code == 201, response.text
    assert response.json()["contact_id"] == contact.id
    [fix] = await _fixes(db, force_a)
    assert (fix.version, fix.fixed_at, fix.emergency_number, fix.radius_m) == ("2", now + 9 * timedelta(seconds=1),
                                                                              "999", 20.1)


async def test_https_form_is_stored_with_units_normalised(client: httpx.AsyncClient, db: AsyncSession,
                                                         force_a: ForceData) -> None:
    now = _now()
    contact = await _contact(db, force_a, now - M)
    auth = await _auth(db, force_a)
    response = await client.post("/api/v1/aml", headers=auth, data={
        "v": "3", "emergency_number": "999", "source": "CALL", "time": str(int((now - M).timestamp() * 1000)),
        "location_time": str(int(now.timestamp() * 1000)), "location_latitude": "52.4862",
        "location_longitude": "-1.8904", "location_accuracy": "20", "location_confidence": "0.6827",
        "location_source": "gps", "device_imei": IMEI, "device_number": "+44 7700 900123"})
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == "attached" and response.json()["contact_id"] == contact.id
    [fix] = await _fixes(db, force_a)
    assert (fix.transport, fix.version, fix.method, fix.fixed_at, fix.msisdn) == ("https", "3", "gnss", now, NUMBER)
    assert abs((fix.confidence_pct or 0) - 68.27) < 1e-6


async def test_https_odd_optional_fields_are_tolerated(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData) -> None:
    auth = await _auth(db, force_a)
    response = await client.post("/api/v1/aml", headers=auth, data={
        "v": "1234567890\x00", "emergency_number": "99999999999999", "time": str(int(_now().timestamp() * 1000)),
        "device_imei": IMEI, "device_number": "x" * 300, "location_floor": "mezzanine", "location_source": "??",
        "location_altitude": "high"})
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == "held"
    assert "no number came with it" in response.json()["detail"]
    [fix] = await _fixes(db, force_a)
    assert (fix.version, fix.emergency_number, fix.msisdn, fix.method, fix.has_fix) == ("12345", None, None, "none",
                                                                                       False)


async def test_a_no_fix_message_is_stored_without_a_position(client: httpx.AsyncClient, db: AsyncSession,
                                                            force_a: ForceData) -> None:
    auth = await _auth(db, force_a)
    text = render_sms_v1(latitude=None, longitude=None, radius_m=None, fixed_at=_now(), confidence_pct=0,
                         method="none", imei=IMEI)
    response = await _sms(client, auth, text)
    assert response.status_code == 201 and response.json()["has_fix"] is False
    assert "no position" in response.json()["detail"]
    [fix] = await _fixes(db, force_a)
    assert (fix.has_fix, fix.latitude, fix.method) == (False, None, "none")


async def test_attaches_only_within_the_window_and_only_to_open_contacts_from_that_number(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    now = _now()
    await _contact(db, force_a, now - 61 * M)  # outside the default 60 minutes
    await _contact(db, force_a, now - 5 * M, status="closed")
    await _contact(db, force_a, now, number="+447700900999")  # another caller
    auth = await _auth(db, force_a)
    response = await _sms(client, auth, _v1(now))
    assert response.status_code == 201 and response.json()["outcome"] == "held"
    assert "it will attach when the call is taken" in response.json()["detail"]
    # A force with a 90-minute window attaches the 61-minute-old contact.
    await set_force_context(db, force_a.id)
    await db.execute(update(Force).where(Force.id == force_a.id)
                     .values(settings={"control_room": {"aml_window_minutes": 90}}))
    nearest = await _contact(db, force_a, now + 30 * M)
    second = await _sms(client, auth, _v1(now + M))
    assert second.json()["outcome"] == "attached" and second.json()["contact_id"] == nearest.id  # the nearest


async def test_a_fix_before_its_call_is_held_then_attached_by_intake(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    now = _now()
    auth = await _auth(db, force_a)
    early = await _sms(client, auth, _v1(now - 2 * M))
    stale = await _sms(client, auth, _v1(now - 3 * 60 * M, imei="353472104343541"))
    other = await _sms(client, auth, _v1(now - M, imei="353472104343542"), "+447700900456")
    assert [r.json()["outcome"] for r in (early, stale, other)] == ["held", "held", "held"]
    contact = await _contact(db, force_a, now)  # intake creates the contact, then calls attach_held_fixes
    assert await attach_held_fixes(db, contact) == 1
    fixes = {f.id: f for f in await _fixes(db, force_a)}
    assert fixes[early.json()["fix_id"]].contact_id == contact.id
    assert fixes[stale.json()["fix_id"]].contact_id is None  # three hours before: outside the window
    assert fixes[other.json()["fix_id"]].contact_id is None  # another number
    assert await attach_held_fixes(db, contact) == 0  # already attached
    closed = await _contact(db, force_a, now, number="+447700900456", status="closed")
    assert await attach_held_fixes(db, closed) == 0
    nobody = await _contact(db, force_a, now, number=None)  # type: ignore[arg-type]
    assert await attach_held_fixes(db, nobody) == 0
    # Duplicate after attaching reports where it went.
    again = await _sms(client, auth, _v1(now - 2 * M))
    assert again.json()["outcome"] == "duplicate" and again.json()["contact_id"] == contact.id


async def test_a_bad_sms_is_quarantined_with_a_4xx_naming_the_reason(client: httpx.AsyncClient, db: AsyncSession,
                                                                    force_a: ForceData) -> None:
    auth = await _auth(db, force_a)
    bad = _v1(_now()).replace("lt=+52.48621", "lt=+92.48621")
    response = await _sms(client, auth, bad)
    assert response.status_code == 422
    body = response.json()
    assert body["outcome"] == "quarantined"
    assert body["detail"] == "Quarantined: lt=+92.48621 is out of range: a latitude is from -90 to 90"
    assert body["errors"] == [{"field": "lt", "message": "lt=+92.48621 is out of range: a latitude is from -90 to 90"}]
    cut = await _sms(client, auth, _v1(_now())[:-1])
    assert cut.status_code == 422 and "Message length mismatch" in cut.json()["detail"]
    no_number = await _sms(client, auth, _v1(_now()), None)
    assert no_number.status_code == 422
    assert no_number.json()["detail"] == "Quarantined: No sender number: give it as ?msisdn=+447700900123"
    junk = await client.post("/api/v1/aml", params={"msisdn": "not a number"}, content=b"\x00\xff hello",
                             headers={**auth, "Content-Type": "text/plain"})
    assert junk.status_code == 422
    huge = await _sms(client, auth, "A" * (MAX_MESSAGE_BYTES + 1))
    assert huge.status_code == 413 and "at most 8192" in huge.json()["detail"]
    rows = await _quarantined(db, force_a)
    assert rows[0].raw == bad and rows[0].reason == "lt=+92.48621 is out of range: a latitude is from -90 to 90"
    assert rows[2].reason == "No sender number: give it as ?msisdn=+447700900123"
    assert rows[3].msisdn == "not a number" and rows[3].reason == "The message is not UTF-8 text"
    assert len(rows) == 5 and all(r.transport == "sms" for r in rows)
    assert len(rows[4].raw) == MAX_MESSAGE_BYTES
    assert await _fixes(db, force_a) == []


async def test_a_bad_https_message_is_quarantined_but_answered_2xx(client: httpx.AsyncClient, db: AsyncSession,
                                                                  force_a: ForceData) -> None:
    auth = await _auth(db, force_a)
    response = await client.post("/api/v1/aml", headers=auth, data={
        "time": "1438101600", "device_imei": IMEI, "device_number": NUMBER})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "quarantined"
    assert body["reason"] == ("time=1438101600 is not a time in milliseconds since 1970 within the years "
                              "2000-2099 (it looks like seconds)")
    assert "requires it" in body["note"]
    [row] = await _quarantined(db, force_a)
    assert (row.transport, row.msisdn) == ("https", NUMBER) and "device_imei=" in row.raw


async def test_scopes_are_enforced(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    nothing = await client.post("/api/v1/aml", content=b"x", headers={"Content-Type": "text/plain"})
    assert nothing.status_code == 403  # no credential: the CSRF guard refuses a cookie-less unsafe request
    forged = await client.post("/api/v1/aml", content=b"x", headers={"Content-Type": "text/plain",
                                                                     "Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    wrong = await _auth(db, force_a, ["contacts:read"])
    refused = await _sms(client, wrong, _v1(_now()))
    assert refused.status_code == 403
    assert await _fixes(db, force_a) == [] and await _quarantined(db, force_a) == []


async def test_another_forces_token_never_attaches_to_this_forces_contact(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    now = _now()
    contact_a = await _contact(db, force_a, now)
    auth_b = await _auth(db, force_b)
    response = await _sms(client, auth_b, _v1(now))
    assert response.status_code == 201 and response.json()["outcome"] == "held"
    [fix_b] = await _fixes(db, force_b)
    assert fix_b.contact_id is None
    assert await _fixes(db, force_a) == []
    # Force A's intake never picks up force B's held fix either.
    await set_force_context(db, force_a.id)
    assert await attach_held_fixes(db, contact_a) == 0


async def test_the_quarantine_page_lists_reasons_with_the_raw_text_escaped(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    auth = await _auth(db, force_a)
    await _sms(client, auth, '<script>alert(1)</script>;A"ML=1')
    await _sms(client, await _auth(db, force_b), "force b junk")
    supervisor = await make_user(db, force_a, "control_room_supervisor", team_kind="control_room")
    await sign_in(client, supervisor)
    page = await client.get("/aml/quarantine")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;;A&#34;ML=1" in page.text
    assert "<script>alert(1)" not in page.text
    assert "Part 1 (&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;) has no &#39;=&#39;" in page.text
    assert "force b junk" not in page.text
    await set_force_context(db, force_a.id)
    actions = set((await db.scalars(select(AuditEvent.action).where(AuditEvent.force_id == force_a.id))).all())
    assert "aml_quarantine.list" in actions


async def test_the_demo_seed_adds_fixes_and_quarantine_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, "DEMO", "Demo Constabulary")
            await _contact(s, force, _now() - 2 * M)
    finally:
        await engine.dispose()
    seed_demo_aml(fresh_db.admin_url)
    seed_demo_aml(fresh_db.admin_url)  # idempotent
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        fixes = await (await conn.execute(
            "SELECT contact_id IS NOT NULL, has_fix, method FROM aml_fix ORDER BY fixed_at")).fetchall()
        quarantined = await (await conn.execute("SELECT transport FROM aml_quarantine ORDER BY id")).fetchall()
    assert sorted(fixes) == sorted([(True, True, "wifi"), (True, True, "gnss"), (False, True, "gnss"),
                                    (False, False, "none")])
    assert quarantined == [("sms",), ("https",)]
