"""The Victims' Code: entitlements opened for a crime's victim with due dates in working days (enhanced for DA),
update entitlements after key decisions, the contact log that meets them, refusals, the supervisors' overdue
list and its CSV, 404s across forces and for restricted people, and audited reads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes.service import uk_time
from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.people.service import restrict
from safeguard.safeguarding import victims_code as service
from safeguard.safeguarding.dvds_demo import seed_demo_dvds
from safeguard.safeguarding.models import SafeContact, VictimContact, VictimEntitlement
from tests.conftest import DatabaseUnderTest, ForceData, csrf_from, make_force, make_user, sign_in
from tests.integration.crime_scene import actor_for, count, crime_scene

D = timedelta(days=1)


def _when(prefix: str, at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


async def _entitlements(db: AsyncSession, force: ForceData, person_id: int) -> list[VictimEntitlement]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(VictimEntitlement).where(VictimEntitlement.person_id == person_id)
                                 .order_by(VictimEntitlement.id).execution_options(populate_existing=True)))


async def test_an_officer_opens_a_da_victims_entitlements_and_logs_a_contact_that_meets_one(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    officer = await make_user(db, force_a, "response_officer", username="rob.response", team_kind="local_policing")
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    scene = await crime_scene(db, force_a, when=recent - timedelta(hours=1))
    db.add(SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900321",
                       only_through_third_party=False, no_text_messages=True, updated_at=datetime.now(UTC),
                       updated_by="someone"))
    await db.flush()
    await sign_in(client, officer)
    page = await client.get(f"/victims-code/people/{scene.victim.id}")
    assert page.status_code == 200
    assert page.text.index("Do not send text messages") < page.text.index("Entitlements")
    assert "No entitlements have been opened for Carla Benning" in page.text
    token = csrf_from(page.text)
    opened = await client.post(f"/victims-code/people/{scene.victim.id}/open",
                               data={"csrf_token": token, "crime_id": str(scene.crime.id), "officer": ""})
    assert opened.status_code == 303, opened.text
    rows = await _entitlements(db, force_a, scene.victim.id)
    assert [(r.right_number, r.what) for r in rows] == [(4, "Needs assessment at first contact"),
                                                        (3, "Written confirmation of the crime"),
                                                        (4, "Referral to support services")]
    # DA victims have enhanced rights: 1 working day from when the crime was recorded.
    assert all(r.enhanced and r.officer == "rob.response" for r in rows)
    assert rows[0].due_at == service.add_working_days(scene.crime.recorded_at, 1)
    again = await client.post(f"/victims-code/people/{scene.victim.id}/open",
                              data={"csrf_token": token, "crime_id": str(scene.crime.id)})
    assert again.status_code == 400 and "are already open" in again.text

    contact = {"csrf_token": token, **_when("contacted_at", datetime.now(UTC) + D), "method": "",
               "summary": " ", "entitlement": str(rows[0].id)}
    before = await count(db, VictimContact, force_a)
    refused = await client.post(f"/victims-code/people/{scene.victim.id}/contacts", data=contact)
    assert refused.status_code == 400
    for message in ("The date of the contact must not be in the future", "Choose how the victim was contacted",
                    "Enter what was said or done in the contact"):
        assert message in refused.text, message
    early = await client.post(f"/victims-code/people/{scene.victim.id}/contacts", data={
        **contact, **_when("contacted_at", recent - 2 * D), "method": "phone", "summary": "Called"})
    assert early.status_code == 400 and "The contact cannot be before the crime was recorded" in early.text
    assert await count(db, VictimContact, force_a) == before

    at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    logged = await client.post(f"/victims-code/people/{scene.victim.id}/contacts", data={
        **contact, **_when("contacted_at", at), "method": "phone",
        "summary": "Needs assessment done on the safe number; wants referral to the local IDVA service"})
    assert logged.status_code == 303, logged.text
    page = await client.get(logged.headers["location"])
    assert "Contact recorded. The entitlement is met." in page.text
    assert "wants referral to the local IDVA service" in page.text
    rows = await _entitlements(db, force_a, scene.victim.id)
    assert rows[0].met_at == at and rows[0].met_by == "rob.response"
    twice = await client.post(f"/victims-code/people/{scene.victim.id}/contacts", data={
        **contact, **_when("contacted_at", at), "method": "phone", "summary": "Again"})
    assert twice.status_code == 400 and "That entitlement was already met" in twice.text

    # A key decision: the suspect is charged, so an update is owed within 1 working day of the decision.
    charged_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    bad = await client.post(f"/victims-code/people/{scene.victim.id}/updates", data={
        "csrf_token": token, "crime_id": str(scene.crime.id), "decision": "sentenced",
        **_when("decided_at", recent - 3 * D)})
    assert bad.status_code == 400
    assert "Choose the key decision" in bad.text and "The decision cannot be before the crime was recorded" in bad.text
    update = await client.post(f"/victims-code/people/{scene.victim.id}/updates", data={
        "csrf_token": token, "crime_id": str(scene.crime.id), "decision": "charge", **_when("decided_at", charged_at),
        "officer": ""})
    assert update.status_code == 303, update.text
    rows = await _entitlements(db, force_a, scene.victim.id)
    assert (rows[-1].right_number, rows[-1].what) == (6, "Update: suspect charged")
    assert rows[-1].due_at == service.add_working_days(charged_at, 1)

    entitlement = await client.get(f"/victims-code/entitlements/{rows[0].id}")
    assert entitlement.status_code == 200
    assert entitlement.text.index("Do not send text messages") < entitlement.text.index("Enhanced rights")
    assert "Met" in entitlement.text and "wants referral" in entitlement.text
    # The officer's own entitlements come first on the Victims' Code page.
    index = await client.get("/victims-code")
    assert index.status_code == 200 and "Update: suspect charged" in index.text
    assert index.text.index("Due from me") < index.text.index("Referral to support services")
    found = await client.get("/victims-code", params={"crime": scene.crime.reference})
    assert f'href="/victims-code/people/{scene.victim.id}">Carla Benning' in found.text
    missing = await client.get("/victims-code", params={"crime": "CR-1999-000001"})
    assert missing.status_code == 404 and "There is no crime CR-1999-000001 in your force" in missing.text


async def test_non_da_victims_are_due_in_five_working_days_unless_enhanced(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a, offences=("abh",), da_related=False)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    rows = await service.open_for_crime(db, scene.actor, crime_id=scene.crime.id, person_id=scene.victim.id)
    assert not rows[0].enhanced
    assert rows[0].due_at == service.add_working_days(scene.crime.recorded_at, 5)
    da = await crime_scene(db, force_a, forename="Eli", staff=scene.staff)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    try:
        await service.open_for_crime(db, scene.actor, crime_id=da.crime.id, person_id=da.victim.id, enhanced=False)
    except service.VictimsCodeRefused as refused:
        assert refused.errors == {"enhanced": "Victims of domestic abuse have enhanced rights under the Victims' Code"}
    else:
        raise AssertionError("a DA victim's enhanced rights were taken away")
    try:
        await service.open_for_crime(db, scene.actor, crime_id=da.crime.id, person_id=da.person.id)
    except service.VictimsCodeRefused as refused:
        assert refused.errors == {"person": f"Person {da.person.id} is not a victim of crime {da.crime.reference}"}
    else:
        raise AssertionError("entitlements were opened for someone who is not a victim")
    try:
        await service.open_for_crime(db, scene.actor, crime_id=999999, person_id=da.victim.id)
    except service.VictimsCodeRefused as refused:
        assert refused.errors == {"crime": "There is no crime 999999 in your force"}
    else:
        raise AssertionError("entitlements were opened for a crime that does not exist")
    try:
        await service.open_for_crime(db, scene.actor, crime_id=da.crime.id, person_id=da.victim.id, officer="nobody")
    except service.VictimsCodeRefused as refused:
        assert refused.errors == {"officer": "There is no officer with the username nobody in your force"}
    else:
        raise AssertionError("an unknown officer was accepted")


async def test_a_sergeant_sees_the_forces_overdue_entitlements_oldest_first_and_exports_them(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await crime_scene(db, force_a)  # recorded 20 days ago: everything is overdue
    other = await crime_scene(db, force_a, forename="Eli", when=datetime.now(UTC) - 10 * D, staff=scene.staff)
    officer = await make_user(db, force_a, "response_officer", username="rob.response")
    await set_force_context(db, force_a.id, scene.staff.user.id)
    old = await service.open_for_crime(db, scene.actor, crime_id=scene.crime.id, person_id=scene.victim.id)
    newer = await service.open_for_crime(db, scene.actor, crime_id=other.crime.id, person_id=other.victim.id,
                                         officer="rob.response")
    await service.log_contact(db, scene.actor, service.NewContact(
        person_id=scene.victim.id, contacted_at=datetime.now(UTC) - D, method="in-person", summary="Visited",
        entitlement_id=old[1].id))
    scene_b = await crime_scene(db, force_b)
    await set_force_context(db, force_b.id, scene_b.staff.user.id)
    await service.open_for_crime(db, scene_b.actor, crime_id=scene_b.crime.id, person_id=scene_b.victim.id)

    sergeant = await make_user(db, force_a, "sergeant", username="sam.sergeant")
    await sign_in(client, sergeant)
    page = await client.get("/victims-code/overdue")
    assert page.status_code == 200
    text = page.text
    ids = [e.id for e in old if e.id != old[1].id] + [e.id for e in newer]
    positions = [text.index(f'/victims-code/entitlements/{i}"') for i in ids]
    assert positions == sorted(positions)  # oldest first
    assert f'/victims-code/entitlements/{old[1].id}"' not in text  # met
    assert "Benning" in text and scene_b.crime.reference not in text
    assert 'data-testid="by-officer"' in text and "rob.response" in text
    download = await client.get("/victims-code/overdue.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert [int(r["entitlement_id"]) for r in table] == ids
    assert table[0]["officer"] == scene.staff.user.username and table[-1]["officer"] == "rob.response"
    assert all(int(r["days_overdue"]) >= 1 for r in table)
    api = (await client.get("/api/v1/victims-code/overdue")).json()
    assert [e["id"] for e in api["overdue"]] == ids and api["by_officer"] == {scene.staff.user.username: 2,
                                                                             "rob.response": 3}
    client.cookies.clear()
    await sign_in(client, officer)
    assert (await client.get("/victims-code/overdue")).status_code == 403
    assert (await client.get("/victims-code/overdue.csv")).status_code == 403
    await set_force_context(db, force_a.id)
    assert await db.scalar(select(AuditEvent.id).where(AuditEvent.action == "victims_code.overdue").limit(1))


async def test_other_forces_and_restricted_victims_are_not_found_and_reads_are_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene_b = await crime_scene(db, force_b)
    await set_force_context(db, force_b.id, scene_b.staff.user.id)
    theirs = await service.open_for_crime(db, scene_b.actor, crime_id=scene_b.crime.id, person_id=scene_b.victim.id)
    scene = await crime_scene(db, force_a)
    hidden = await crime_scene(db, force_a, forename="Eli", staff=scene.staff)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    mine = await service.open_for_crime(db, scene.actor, crime_id=scene.crime.id, person_id=scene.victim.id)
    secret = await service.open_for_crime(db, scene.actor, crime_id=hidden.crime.id, person_id=hidden.victim.id)
    hidden.victim.surname = "Hidden"
    await db.flush()
    await restrict(db, force_id=force_a.id, by_user_id=scene.staff.user.id, by_label="a", reason="Officer victim",
                   person_id=hidden.victim.id)
    officer = await make_user(db, force_a, "response_officer", username="rob.response")
    await sign_in(client, officer)
    for person_id, entitlement_id in ((scene_b.victim.id, theirs[0].id), (hidden.victim.id, secret[0].id)):
        assert (await client.get(f"/victims-code/people/{person_id}")).status_code == 404
        assert (await client.get(f"/api/v1/victims-code/people/{person_id}")).status_code == 404
        assert (await client.get(f"/victims-code/entitlements/{entitlement_id}")).status_code == 404
    page = await client.get(f"/victims-code/people/{scene.victim.id}")
    token = csrf_from(page.text)
    posted = await client.post(f"/victims-code/people/{hidden.victim.id}/contacts", data={
        "csrf_token": token, **_when("contacted_at", datetime.now(UTC)), "method": "phone", "summary": "x"})
    assert posted.status_code == 404
    api = await client.post("/api/v1/victims-code/contacts", headers={"x-csrf-token": token}, json={
        "person_id": scene_b.victim.id, "contacted_at": datetime.now(UTC).isoformat(), "method": "phone",
        "summary": "x"})
    assert api.status_code == 404
    # Someone else's entitlement cannot be met through this victim's record.
    wrong = await client.post(f"/victims-code/people/{scene.victim.id}/contacts", data={
        "csrf_token": token, **_when("contacted_at", datetime.now(UTC)), "method": "phone", "summary": "x",
        "entitlement": str(theirs[0].id)})
    assert wrong.status_code == 400 and "Choose one of this victim&#39;s entitlements" in wrong.text
    index = await client.get("/victims-code")
    assert "Hidden" not in index.text and "Benning" in index.text
    assert (await client.get(f"/victims-code/entitlements/{mine[0].id}")).status_code == 200
    body = (await client.get(f"/api/v1/victims-code/people/{scene.victim.id}")).json()
    assert [e["id"] for e in body["entitlements"]] == [e.id for e in mine] and body["contacts"] == []
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.action, AuditEvent.object_id).where(
        AuditEvent.action.in_(["victims_code.read", "victim_entitlement.read"]),
        AuditEvent.actor_label == "rob.response").order_by(AuditEvent.id))).all()
    # The record page, shown again with the refusal; the entitlement page; the API.
    assert reads == [("victims_code.read", str(scene.victim.id)), ("victims_code.read", str(scene.victim.id)),
                     ("victim_entitlement.read", str(mine[0].id)), ("victims_code.read", str(scene.victim.id))]


async def test_the_api_logs_a_contact_that_meets_an_entitlement(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a, when=datetime.now(UTC) - 2 * D)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    rows = await service.open_for_crime(db, actor_for(scene.staff, force_a), crime_id=scene.crime.id,
                                        person_id=scene.victim.id)
    writer = await create_token(db, force_id=force_a.id, name="vcms", scopes=["safeguarding:write",
                                                                             "safeguarding:read"])
    headers = {"Authorization": f"Bearer {writer}"}
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = {"person_id": scene.victim.id, "contacted_at": (datetime.now(UTC) + D).isoformat(), "method": "letter",
            "summary": "Written confirmation of the crime sent", "entitlement_id": rows[1].id}
    refused = await client.post("/api/v1/victims-code/contacts", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "contacted_at",
                                         "message": "The date of the contact must not be in the future"}]
    created = await client.post("/api/v1/victims-code/contacts", json={**body, "contacted_at": at.isoformat()},
                                headers=headers)
    assert created.status_code == 201, created.text
    met = created.json()["entitlement_met"]
    assert met["id"] == rows[1].id and datetime.fromisoformat(met["met_at"]) == at and met["met_by"] == "token:vcms"
    record = (await client.get(f"/api/v1/victims-code/people/{scene.victim.id}", headers=headers)).json()
    assert record["contacts"][0]["method"] == "letter" and record["contacts"][0]["entitlement_id"] == rows[1].id
    # Unmet entitlements come first.
    assert [e["met_at"] is None for e in record["entitlements"]] == [True, True, False]
    assert (await client.get("/api/v1/victims-code/overdue", headers=headers)).status_code == 403


async def test_the_demo_seed_adds_requests_and_entitlements_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, "DEMO", "Demo Constabulary")
            staff = await make_user(s, force, "ppu_investigator", username="investigator")
            for forename in ("Dean", "Eli", "Finn", "Gus"):
                await crime_scene(s, force, forename=forename, staff=staff)
    finally:
        await engine.dispose()
    seed_demo_dvds(fresh_db.admin_url)
    seed_demo_dvds(fresh_db.admin_url)  # idempotent
    async with await psycopg.AsyncConnection.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        requests = await (await conn.execute(
            "SELECT reference, status, due_by - received_at, received_at FROM disclosure_request ORDER BY reference"
        )).fetchall()
        entitlements = await (await conn.execute(
            "SELECT count(*), count(met_at), count(*) FILTER (WHERE due_at < now()) FROM victim_entitlement"
        )).fetchone()
        contacts = await (await conn.execute("SELECT count(*) FROM victim_contact")).fetchone()
    assert [(r[0], r[1]) for r in requests] == [("DVDS-DEMO-001", "panel"), ("DVDS-DEMO-002", "checks"),
                                                ("DVDS-DEMO-003", "received")]
    assert all(r[2] == 28 * D for r in requests)
    assert entitlements is not None and entitlements[0] == 12 and entitlements[1] == 2 and entitlements[2] >= 6
    assert contacts == (2,)
