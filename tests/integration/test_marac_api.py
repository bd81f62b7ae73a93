"""MARAC in the API: the referral lifecycle end to end, 422s naming fields, 404 across forces and for a restricted
victim, scopes, and every read audited."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.db.session import set_force_context
from safeguard.people.service import restrict
from safeguard.risk import marac
from safeguard.risk.models import MaracAction, MaracReferral
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in
from tests.integration.crime_scene import count
from tests.integration.marac_scene import marac_scene


async def _sign_in(client: httpx.AsyncClient, staff: Staff) -> None:
    """Sign in through the forms, and send the session's CSRF token with each API call as a browser script would."""
    client.headers.pop("x-csrf-token", None)
    client.cookies.clear()
    await sign_in(client, staff)
    page = await client.get("/marac/referrals/new")
    client.headers["x-csrf-token"] = csrf_from(page.text)


def _fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def test_a_referral_goes_from_draft_to_closed_through_the_api(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    await _sign_in(client, scene.staff)
    made = await client.post("/api/v1/marac/referrals", json={"assessment_id": scene.assessment.id,
                                                               "consent": "given"})
    assert made.status_code == 201, made.text
    body = made.json()
    referral_id = body["id"]
    assert body["status"] == "draft" and body["routes"] == ["visible-high-risk"]
    assert body["victim"]["display_name"] == "Carla Benning" and body["assessment"]["score"] == 16
    assert body["next_steps"] == ["submitted"]
    base = f"/api/v1/marac/referrals/{referral_id}"
    assert _fields(await client.post(f"{base}/transitions", json={"to": "accepted"})) == {
        "to": "A referral that is draft cannot be accepted; next it can only be submitted"}
    for to in ("submitted", "accepted"):
        moved = await client.post(f"{base}/transitions", json={"to": to})
        assert moved.status_code == 201 and moved.json()["status"] == to
    today = marac.uk_today()
    meeting = await client.post("/api/v1/marac/meetings", json={"held_on": today.isoformat(), "venue": "Room 2",
                                                                 "chair": "DI Rhodes"})
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["id"]
    listed = await client.post(f"{base}/transitions", json={"to": "listed", "meeting_id": meeting_id})
    assert listed.json()["status"] == "listed" and listed.json()["meeting_id"] == meeting_id
    cases = (await client.get(f"/api/v1/marac/meetings/{meeting_id}")).json()["cases"]
    assert [(c["reference"], c["victim"]["display_name"]) for c in cases] == [(body["reference"], "Carla Benning")]
    assert _fields(await client.post(f"{base}/transitions", json={"to": "heard"})) == {
        "summary": "Summarise what the meeting decided for this victim"}
    heard = await client.post(f"{base}/transitions", json={"to": "heard", "summary": "Safety plan agreed"})
    assert heard.json()["status"] == "heard"
    assert _fields(await client.post(f"{base}/actions", json={"agency": "Police", "description": "Alarm",
                                                               "due_on": (today - timedelta(days=1)).isoformat()})
                   ) == {"due_on": f"The due date must not be before the meeting on {today:%d %B %Y}"}
    action = await client.post(f"{base}/actions", json={"agency": "Police", "description": "Fit a panic alarm",
                                                         "owner": "PC Shah", "due_on": today.isoformat()})
    assert action.status_code == 201 and action.json()["status"] == "open"
    assert _fields(await client.post(f"{base}/transitions", json={"to": "closed"})) == {
        "to": "1 action is still open: mark it done or cancelled before closing the referral"}
    assert _fields(await client.post(f"/api/v1/marac/actions/{action.json()['id']}/complete",
                                     json={"outcome": "cancelled", "note": " "})) == {
        "note": "Say why the action is cancelled"}
    done = await client.post(f"/api/v1/marac/actions/{action.json()['id']}/complete",
                             json={"outcome": "done", "note": "Fitted"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    closed = await client.post(f"{base}/transitions", json={"to": "closed", "note": "All done"})
    history = [(e["from_status"], e["to_status"]) for e in closed.json()["history"]]
    assert history == [(None, "draft"), ("draft", "submitted"), ("submitted", "accepted"), ("accepted", "listed"),
                       ("listed", "heard"), ("heard", "closed")]


async def test_refusals_name_each_field_and_save_nothing(client: httpx.AsyncClient, db: AsyncSession,
                                                        force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a, score=8, routes=())
    await _sign_in(client, scene.staff)
    before = await count(db, MaracReferral, force_a)
    refused = await client.post("/api/v1/marac/referrals", json={"assessment_id": scene.assessment.id,
                                                                  "consent": "not-sought"})
    assert refused.json()["detail"] == "The referral was not made."
    assert set(_fields(refused)) == {"routes", "consent_note"}
    refused = await client.post("/api/v1/marac/referrals", json={
        "assessment_id": scene.assessment.id, "routes": ["professional-judgement"], "consent": "given"})
    assert set(_fields(refused)) == {"reason"}
    assert _fields(await client.post("/api/v1/marac/meetings", json={
        "held_on": "2020-01-01", "venue": "", "chair": "Chair"})) == {
        "held_on": "The meeting date must be today or later", "venue": "Enter where the meeting is held"}
    assert await count(db, MaracReferral, force_a) == before
    malformed = await client.post("/api/v1/marac/referrals", json={"consent": 5})
    assert malformed.status_code == 422


async def test_another_forces_referral_and_a_restricted_victims_are_not_found(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await marac.create_referral(db, scene.actor, marac.NewReferral(assessment_id=scene.assessment.id,
                                                                              consent="given"))
    meeting = await marac.create_meeting(db, scene.actor, marac.NewMeeting(
        held_on=marac.uk_today(), venue="Room 2", chair="DI Rhodes"))
    for to, fields in (("submitted", {}), ("accepted", {}), ("listed", {"meeting_id": meeting.id})):
        await marac.transition(db, scene.actor, referral.id, marac.Step(to=to, **fields))  # type: ignore[arg-type]
    action = await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
        agency="Police", description="x", due_on=marac.uk_today()))
    outsider = await make_user(db, force_b, "ppu_investigator")
    await _sign_in(client, outsider)
    for path in (f"/api/v1/marac/referrals/{referral.id}", f"/api/v1/marac/meetings/{meeting.id}",
                 f"/marac/referrals/{referral.id}", f"/marac/meetings/{meeting.id}",
                 f"/marac/meetings/{meeting.id}/pack.pdf"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Benning" not in response.text
    moved = await client.post(f"/api/v1/marac/referrals/{referral.id}/transitions",
                              json={"to": "heard", "summary": "x"})
    assert moved.status_code == 404
    completed = await client.post(f"/api/v1/marac/actions/{action.id}/complete", json={"note": "x"})
    assert completed.status_code == 404
    await set_force_context(db, force_a.id)
    assert (await db.scalar(select(MaracAction.status).where(MaracAction.id == action.id))) == "open"

    # Restricted by a colleague: the investigator, without a grant, finds nothing.
    colleague = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=colleague.user.id, by_label="colleague", reason="Refuge",
                   person_id=scene.victim.id)
    await _sign_in(client, scene.staff)
    for path in (f"/api/v1/marac/referrals/{referral.id}", f"/marac/referrals/{referral.id}"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Benning" not in response.text
    assert (await client.post(f"/api/v1/marac/actions/{action.id}/complete", json={"note": "x"})).status_code == 404
    cases = (await client.get(f"/api/v1/marac/meetings/{meeting.id}")).json()["cases"]
    assert cases == []


async def test_tokens_need_their_scopes_and_reads_are_audited(client: httpx.AsyncClient, db: AsyncSession,
                                                              force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await marac.create_referral(db, scene.actor, marac.NewReferral(assessment_id=scene.assessment.id,
                                                                              consent="given"))
    reader = await create_token(db, force_id=force_a.id, name="idva system", scopes=["risk:read"])
    writer = await create_token(db, force_id=force_a.id, name="marac system", scopes=["risk:read", "marac:write"])
    got = await client.get(f"/api/v1/marac/referrals/{referral.id}", headers={"Authorization": f"Bearer {reader}"})
    assert got.status_code == 200 and got.json()["reference"] == referral.reference
    refused = await client.post(f"/api/v1/marac/referrals/{referral.id}/transitions", json={"to": "submitted"},
                                headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    moved = await client.post(f"/api/v1/marac/referrals/{referral.id}/transitions", json={"to": "submitted"},
                              headers={"Authorization": f"Bearer {writer}"})
    assert moved.status_code == 201 and moved.json()["status"] == "submitted"
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.actor_label, AuditEvent.object_id)
                              .where(AuditEvent.action == "marac_referral.read").order_by(AuditEvent.id))).all()
    assert len(reads) == 2 and all(object_id == str(referral.id) for _, object_id in reads)
    assert reads[0][0] != scene.actor.label
