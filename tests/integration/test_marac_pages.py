"""MARAC pages: the referral form, the referral page (safe contact first), meetings and the OFFICIAL-SENSITIVE pack,
actions, and the refusals each shown on the form with the values kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.people.service import grant_restricted, restrict
from safeguard.risk import marac, marac_pack
from safeguard.risk.models import MaracAction, MaracMeeting, MaracReferral
from safeguard.safeguarding.models import SafeContact
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.crime_scene import actor_for, count
from tests.integration.marac_scene import MaracScene, marac_scene, pdf_text


def _day(prefix: str, on: object) -> dict[str, str]:
    return {f"{prefix}_day": str(on.day), f"{prefix}_month": str(on.month),  # type: ignore[attr-defined]
            f"{prefix}_year": str(on.year)}  # type: ignore[attr-defined]


async def _safe_contact(db: AsyncSession, scene: MaracScene) -> None:
    db.add(SafeContact(force_id=scene.force.id, person_id=scene.victim.id, safe_number="+447700900123",
                       safe_times="Weekdays 10:00 to 14:00", no_voicemail=True, updated_at=datetime.now(UTC),
                       updated_by="ppu"))
    await db.flush()


async def test_the_referral_form_with_and_without_an_assessment(client: httpx.AsyncClient, db: AsyncSession,
                                                                force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a, score=9, routes=("escalation",))
    await sign_in(client, scene.staff)
    blank = await client.get("/marac/referrals/new")
    assert blank.status_code == 200 and 'name="victim_id"' in blank.text and "checked" not in blank.text
    page = await client.get(f"/marac/referrals/new?assessment={scene.assessment.id}")
    assert page.status_code == 200
    assert "Carla Benning" in page.text and "9 ticks on DASH-27" in page.text
    assert 'type="checkbox" value="escalation" checked' in page.text
    assert 'value="visible-high-risk" checked' not in page.text
    bad = await client.get("/marac/referrals/new?assessment=abc")
    assert bad.status_code == 400 and "The assessment number must be a whole number" in bad.text
    missing = await client.get("/marac/referrals/new?assessment=999999999")
    assert missing.status_code == 400 and "There is no saved DASH assessment with that number" in missing.text

    before = await count(db, MaracReferral, force_a)
    refused = await client.post("/marac/referrals", data={
        "csrf_token": csrf_from(page.text), "assessment_id": str(scene.assessment.id), "routes": ["escalation"],
        "consent": "refused", "reason": ""})
    assert refused.status_code == 400
    assert 'href="#reason">Say why you are referring: the assessment has 9 ticks, below the 14' in refused.text
    assert 'href="#consent_note">Say why the referral goes ahead without consent' in refused.text
    assert 'name="consent" type="radio" value="refused" checked' in refused.text
    assert 'type="checkbox" value="escalation" checked' in refused.text
    assert await count(db, MaracReferral, force_a) == before
    made = await client.post("/marac/referrals", data={
        "csrf_token": csrf_from(page.text), "assessment_id": str(scene.assessment.id), "routes": ["escalation"],
        "consent": "refused", "reason": "Three incidents since March <script>",
        "consent_note": "High risk; she was told by phone"})
    assert made.status_code == 303, made.text
    shown = await client.get(made.headers["location"])
    assert "drafted. Check it, then submit it." in shown.text
    assert "Three incidents since March &lt;script&gt;" in shown.text


async def test_the_referral_page_shows_safe_contact_first_and_audits_the_read(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    await _safe_contact(db, scene)
    referral = await marac.create_referral(db, scene.actor, marac.NewReferral(assessment_id=scene.assessment.id,
                                                                              consent="given"))
    await sign_in(client, scene.staff)
    page = await client.get(f"/marac/referrals/{referral.id}")
    assert page.status_code == 200
    text = page.text
    assert "07700 900123" in text and "Do not leave voicemail" in text
    assert text.index("data-safe-contact") < text.index('data-testid="referral-summary"')
    assert 'data-testid="step-submitted"' in text and 'data-testid="step-accepted"' not in text
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.actor_label).where(AuditEvent.action == "marac_referral.read",
                                                                   AuditEvent.object_id == str(referral.id)))).all()
    assert reads == [(scene.staff.user.username,)]

    analyst = await make_user(db, force_a, "response_officer")  # reads risk, may not change MARAC
    client.cookies.clear()
    await sign_in(client, analyst)
    read_only = await client.get(f"/marac/referrals/{referral.id}")
    assert read_only.status_code == 200 and 'data-testid="step-submitted"' not in read_only.text
    forbidden = await client.post(f"/marac/referrals/{referral.id}/transitions",
                                  data={"csrf_token": csrf_from(read_only.text), "to": "submitted"})
    assert forbidden.status_code == 403


async def test_a_meeting_journey_through_the_pages_with_the_pack(client: httpx.AsyncClient, db: AsyncSession,
                                                                 force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    await _safe_contact(db, scene)
    referral = await marac.create_referral(db, scene.actor, marac.NewReferral(
        assessment_id=scene.assessment.id, consent="given"))
    await sign_in(client, scene.staff)
    page = await client.get(f"/marac/referrals/{referral.id}")
    token = csrf_from(page.text)
    url = f"/marac/referrals/{referral.id}/transitions"
    assert (await client.post(url, data={"csrf_token": token, "to": "submitted"})).status_code == 303
    declined = await client.post(url, data={"csrf_token": token, "to": "declined", "note": ""})
    assert declined.status_code == 400
    assert 'href="#declined-note">Say why the referral is declined' in declined.text
    wrong = await client.post(url, data={"csrf_token": token, "to": "heard", "summary": "x"})
    assert wrong.status_code == 400
    assert 'href="#to">A referral that is submitted cannot be recorded as heard' in wrong.text
    assert (await client.post(url, data={"csrf_token": token, "to": "accepted"})).status_code == 303

    today = marac.uk_today()
    form = await client.get("/marac/meetings/new")
    assert form.status_code == 200
    yesterday = today - timedelta(days=1)
    refused = await client.post("/marac/meetings", data={"csrf_token": token, **_day("held_on", yesterday),
                                                         "venue": "Room 2", "chair": ""})
    assert refused.status_code == 400
    assert 'href="#held_on_day">The meeting date must be today or later' in refused.text
    assert 'href="#chair">Enter who chairs the meeting' in refused.text and 'value="Room 2"' in refused.text
    made = await client.post("/marac/meetings", data={"csrf_token": token, **_day("held_on", today),
                                                      "venue": "Northfield station, room 2", "chair": "DI Rhodes",
                                                      "area_id": str(force_a.area.id)})
    assert made.status_code == 303, made.text
    meeting_id = int(made.headers["location"].rsplit("/", 1)[1])
    listing = await client.get("/marac/meetings")
    assert "Northfield station, room 2" in listing.text and 'data-testid="meetings-upcoming"' in listing.text
    page = await client.get(f"/marac/referrals/{referral.id}")
    assert f'<option value="{meeting_id}"' in page.text
    listed = await client.post(url, data={"csrf_token": token, "to": "listed", "meeting_id": str(meeting_id)})
    assert listed.status_code == 303
    meeting_page = await client.get(f"/marac/meetings/{meeting_id}")
    assert referral.reference in meeting_page.text and "Carla Benning" in meeting_page.text

    pack = await client.get(f"/marac/meetings/{meeting_id}/pack.pdf")
    assert pack.status_code == 200 and pack.headers["content-type"] == "application/pdf"
    assert pack.content.startswith(b"%PDF")
    text = pdf_text(pack.content)
    for expected in ("OFFICIAL-SENSITIVE", "MARAC meeting pack", "DI Rhodes", referral.reference, "Carla Benning",
                     "1987-05-09", "Visible high risk", "16 ticks on DASH-27, High risk", "07700 900123",
                     "Do not leave voicemail", "Given"):
        assert expected in text, expected
    await set_force_context(db, force_a.id)
    exported = (await db.execute(select(AuditEvent.actor_label, AuditEvent.details)
                                 .where(AuditEvent.action == "marac_meeting.pack"))).all()
    assert exported == [(scene.staff.user.username, {"cases": 1, "format": "pdf", "withheld": 0})]

    heard = await client.post(url, data={"csrf_token": token, "to": "heard", "summary": "Plan agreed"})
    assert heard.status_code == 303
    actions_url = f"/marac/referrals/{referral.id}/actions"
    early = await client.post(actions_url, data={"csrf_token": token, "agency": "Police", "description": "Alarm",
                                                 **_day("due_on", today - timedelta(days=2))})
    assert early.status_code == 400
    assert f'href="#action-due_on_day">The due date must not be before the meeting on {today:%d %B %Y}' in early.text
    assert 'value="Police"' in early.text
    added = await client.post(actions_url, data={"csrf_token": token, "agency": "Police",
                                                 "description": "Fit a panic alarm", "owner": "PC Shah",
                                                 **_day("due_on", today + timedelta(days=3))})
    assert added.status_code == 303
    await set_force_context(db, force_a.id)
    action_id = await db.scalar(select(MaracAction.id).where(MaracAction.referral_id == referral.id))
    actions = await client.get("/marac/actions")
    assert "Fit a panic alarm" in actions.text and referral.reference in actions.text
    closing = await client.post(url, data={"csrf_token": token, "to": "closed"})
    assert closing.status_code == 400 and "1 action is still open" in closing.text
    no_note = await client.post(f"/marac/actions/{action_id}/complete", data={"csrf_token": token, "outcome": "done"})
    assert no_note.status_code == 400 and f'href="#complete-{action_id}-note">Say what was done' in no_note.text
    done = await client.post(f"/marac/actions/{action_id}/complete",
                             data={"csrf_token": token, "outcome": "done", "note": "Fitted"})
    assert done.status_code == 303
    assert "There are no open MARAC actions" in (await client.get("/marac/actions")).text
    assert (await client.post(url, data={"csrf_token": token, "to": "closed"})).status_code == 303
    held = await client.post(f"/marac/meetings/{meeting_id}/held", data={"csrf_token": token})
    assert held.status_code == 303
    await set_force_context(db, force_a.id)
    assert await db.scalar(select(MaracMeeting.status).where(MaracMeeting.id == meeting_id)) == "held"
    home = await client.get("/marac")
    assert 'data-testid="referrals-closed"' in home.text and "New referral" in home.text


async def test_the_pack_withholds_a_restricted_victim_even_from_a_granted_reader(db: AsyncSession,
                                                                                 force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    await _safe_contact(db, scene)
    referral = await marac.create_referral(db, scene.actor, marac.NewReferral(
        assessment_id=scene.assessment.id, consent="not-sought", consent_note="Refuge address known to him"))
    meeting = await marac.create_meeting(db, scene.actor, marac.NewMeeting(held_on=marac.uk_today(), venue="Room 2",
                                                                          chair="DI Rhodes"))
    for to, fields in (("submitted", {}), ("accepted", {}), ("listed", {"meeting_id": meeting.id})):
        await marac.transition(db, scene.actor, referral.id, marac.Step(to=to, **fields))  # type: ignore[arg-type]
    officer = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   person_id=scene.victim.id)
    await grant_restricted(db, force_id=force_a.id, user_id=scene.staff.user.id, granted_by="officer",
                           reason="Officer in the case", person_id=scene.victim.id)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    text = pdf_text(marac_pack.render(await marac_pack.gather(db, scene.actor, meeting.id)))
    assert referral.reference in text and marac_pack.WITHHELD.split(":")[0] in text
    for secret in ("Benning", "1987", "07700", "Refuge address"):
        assert secret not in text, secret
    # A reader with no grant does not get the case at all.
    other = await make_user(db, force_a, "ppu_investigator")
    await set_force_context(db, force_a.id, other.user.id)
    unseen = await marac_pack.gather(db, actor_for(other, force_a), meeting.id)
    assert unseen.cases == []


def test_pack_text_survives_characters_outside_latin_1() -> None:
    assert marac_pack.plain("O\u2019Neill \u2013 \u201cquoted\u201d \u2603") == "O'Neill - \"quoted\" ?"
