"""MARAC referrals in the service: the four routes and the written reason, consent, the lifecycle with its history,
meetings, actions, and every refusal saving nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.risk import marac
from safeguard.risk.models import MARAC_STATUSES, MaracAction, MaracReferral, MaracReferralEvent
from tests.conftest import ForceData
from tests.integration.crime_scene import count
from tests.integration.marac_scene import MaracScene, add_meeting, marac_scene


async def _refused(db: AsyncSession, scene: MaracScene, new: marac.NewReferral) -> dict[str, str]:
    before = await count(db, MaracReferral, scene.force)
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.create_referral(db, scene.actor, new)
    assert await count(db, MaracReferral, scene.force) == before
    return refused.value.errors


async def _referral(db: AsyncSession, scene: MaracScene, **changes: object) -> MaracReferral:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    fields: dict[str, object] = {"assessment_id": scene.assessment.id, "consent": "given"}
    fields.update(changes)
    return await marac.create_referral(db, scene.actor, marac.NewReferral(**fields))  # type: ignore[arg-type]


async def _step(db: AsyncSession, scene: MaracScene, referral_id: int, to: str, **fields: object) -> None:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    await marac.transition(db, scene.actor, referral_id, marac.Step(to=to, **fields))  # type: ignore[arg-type]


async def _step_refused(db: AsyncSession, scene: MaracScene, referral_id: int, to: str, **fields: object
                        ) -> dict[str, str]:
    before = await count(db, MaracReferralEvent, scene.force)
    with pytest.raises(marac.MaracRefused) as refused:
        await _step(db, scene, referral_id, to, **fields)
    assert await count(db, MaracReferralEvent, scene.force) == before
    return refused.value.errors


async def test_a_referral_from_an_assessment_takes_its_victim_and_routes(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    assert re.fullmatch(r"MR-20\d\d-\d{6}", referral.reference)
    assert referral.reference.endswith(f"{referral.id:06d}")
    assert referral.victim_id == scene.victim.id and referral.routes == ["visible-high-risk"]
    assert referral.status == "draft" and referral.reason is None and referral.referred_by == scene.actor.label
    events = list(await db.scalars(select(MaracReferralEvent).where(MaracReferralEvent.referral_id == referral.id)))
    assert [(e.from_status, e.to_status, e.by) for e in events] == [(None, "draft", scene.actor.label)]
    created = await db.scalar(select(AuditEvent.details).where(AuditEvent.action == "marac_referral.create"))
    assert created is not None and created["routes"] == ["visible-high-risk"] and "Benning" not in str(created)


async def test_below_fourteen_ticks_or_on_judgement_the_reason_is_required(db: AsyncSession,
                                                                            force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a, score=9, routes=())
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="given"))
    assert errors == {"routes": "Choose at least one MARAC route: visible high risk, professional judgement, "
                                "potential escalation or repeat. A referral with no route cannot be made"}
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="given",
                                                         routes=["visible-high-risk"]))
    assert errors["routes"].startswith("The assessment has 9 ticks, below the 14 of visible high risk")
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="given",
                                                         routes=["professional-judgement"], reason="  "))
    assert errors == {"reason": "Say why you are concerned: a referral on professional judgement needs the reason "
                                "written down"}
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="given",
                                                         routes=["escalation"]))
    assert errors["reason"].startswith("Say why you are referring: the assessment has 9 ticks, below the 14")
    referral = await _referral(db, scene, routes=["professional-judgement", "escalation"],
                               reason="Third call this month; she says he has bought a knife")
    assert referral.routes == ["professional-judgement", "escalation"]
    assert referral.reason == "Third call this month; she says he has bought a knife"


async def test_an_agency_refers_a_repeat_without_an_assessment(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    errors = await _refused(db, scene, marac.NewReferral(victim_id=scene.victim.id, routes=["repeat"],
                                                         consent="given"))
    assert errors["reason"].startswith("Say why you are referring: without a saved DASH assessment")
    errors = await _refused(db, scene, marac.NewReferral(routes=["repeat"], consent="given", reason="x"))
    assert errors == {"victim_id": "Enter the person number of the victim, or refer from a saved DASH assessment"}
    errors = await _refused(db, scene, marac.NewReferral(victim_id=scene.victim.id, routes=["sideways"],
                                                         consent="given", reason="x"))
    assert errors == {"routes": "'sideways' is not a MARAC route: choose from the four routes"}
    referral = await _referral(db, scene, assessment_id=None, victim_id=scene.victim.id, routes=["repeat"],
                               reason="Housing report a further assault within 12 months of the last referral")
    assert referral.assessment_id is None and referral.routes == ["repeat"]


async def test_consent_refused_or_not_sought_needs_a_note(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    for consent in ("refused", "not-sought"):
        errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent=consent))
        assert errors == {"consent_note": "Say why the referral goes ahead without consent (high risk can justify "
                                          "it), and whether the victim has been told"}
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="maybe"))
    assert errors == {"consent": "Say whether the victim gave consent, refused it, or was not asked"}
    referral = await _referral(db, scene, consent="refused", consent_note="High risk; told her by her safe number")
    assert referral.consent == "refused" and referral.consent_note == "High risk; told her by her safe number"


async def test_another_forces_assessment_or_a_second_open_referral_is_refused(
        db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    other = await marac_scene(db, force_b)
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=other.assessment.id, consent="given"))
    assert errors == {"assessment_id": "There is no saved DASH assessment with that number in your force"}
    errors = await _refused(db, scene, marac.NewReferral(victim_id=other.victim.id, routes=["repeat"],
                                                         consent="given", reason="x"))
    assert errors == {"victim_id": "There is no person with that number in your force"}
    first = await _referral(db, scene)
    errors = await _refused(db, scene, marac.NewReferral(assessment_id=scene.assessment.id, consent="given"))
    assert errors == {"victim_id": f"This victim already has an open MARAC referral, {first.reference} (draft): "
                                   "add to that one instead"}


async def test_the_whole_lifecycle_with_its_refusals_and_history(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    assert (await _step_refused(db, scene, referral.id, "accepted")) == {
        "to": "A referral that is draft cannot be accepted; next it can only be submitted"}
    assert (await _step_refused(db, scene, referral.id, "flying")) == {"to": "'flying' is not a MARAC referral status"}
    await _step(db, scene, referral.id, "submitted")
    assert (await _step_refused(db, scene, referral.id, "declined", note=" ")) == {
        "note": "Say why the referral is declined, so the referrer can act on it"}
    await _step(db, scene, referral.id, "accepted", note="Meets visible high risk")

    today = marac.uk_today()
    past = await add_meeting(db, scene, today)
    past.held_on = today - timedelta(days=7)  # a meeting that has gone by
    held = await add_meeting(db, scene, today)
    await marac.mark_held(db, scene.actor, held.id)
    upcoming = await add_meeting(db, scene, today + timedelta(days=7))
    assert (await _step_refused(db, scene, referral.id, "listed")) == {
        "meeting_id": "Choose the meeting the referral is listed for"}
    assert (await _step_refused(db, scene, referral.id, "listed", meeting_id=past.id))["meeting_id"].endswith(
        "is in the past: list the referral for a meeting today or later")
    assert (await _step_refused(db, scene, referral.id, "listed", meeting_id=held.id))["meeting_id"].endswith(
        "has been held: list the referral for a planned meeting")
    assert (await _step_refused(db, scene, referral.id, "listed", meeting_id=10**12))["meeting_id"] == (
        "There is no MARAC meeting with that number in your force")
    await _step(db, scene, referral.id, "listed", meeting_id=upcoming.id)
    assert (await _step_refused(db, scene, referral.id, "heard", summary="Plan agreed"))["to"] == (
        f"The meeting is on {upcoming.held_on:%d %B %Y}: a referral is heard at or after its meeting")

    # Moved to today's meeting (as if the date had come), it is heard; a summary is required.
    referral_row = (await db.scalars(select(MaracReferral).where(MaracReferral.id == referral.id))).one()
    today_meeting = await add_meeting(db, scene, today)
    referral_row.meeting_id = today_meeting.id
    await db.flush()
    assert (await _step_refused(db, scene, referral.id, "heard", summary="")) == {
        "summary": "Summarise what the meeting decided for this victim"}
    await _step(db, scene, referral.id, "heard", summary="Target hardening; IDVA to see her this week")

    before = await count(db, MaracAction, force_a)
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
            agency="", description="", due_on=today - timedelta(days=1)))
    assert refused.value.errors == {
        "agency": "Enter the agency that will carry out the action", "description": "Describe the action agreed",
        "due_on": f"The due date must not be before the meeting on {today:%d %B %Y}"}
    assert await count(db, MaracAction, force_a) == before
    action = await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
        agency="Police", description="Fit a panic alarm", owner="PC Shah", due_on=today + timedelta(days=3)))
    assert action.meeting_id == today_meeting.id and action.status == "open"

    assert (await _step_refused(db, scene, referral.id, "closed")) == {
        "to": "1 action is still open: mark it done or cancelled before closing the referral"}
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.complete_action(db, scene.actor, action.id, outcome="done", note="")
    assert refused.value.errors == {"note": "Say what was done"}
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.complete_action(db, scene.actor, action.id, outcome="forgotten", note="x")
    assert refused.value.errors == {"outcome": "Choose whether the action is done or cancelled"}
    await marac.complete_action(db, scene.actor, action.id, outcome="done", note="Alarm fitted on Tuesday")
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.complete_action(db, scene.actor, action.id, outcome="cancelled", note="x")
    assert refused.value.errors == {"outcome": "The action is already done"}
    await _step(db, scene, referral.id, "closed", note="Actions complete")
    assert (await _step_refused(db, scene, referral.id, "submitted"))["to"].startswith("The referral is closed")

    detail = await marac.read_referral(db, scene.actor, referral.id)
    assert [(e.from_status, e.to_status) for e in detail.history] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "accepted"), ("accepted", "listed"),
        ("listed", "heard"), ("heard", "closed")]
    assert detail.history[2].note == "Meets visible high risk"
    assert detail.history[3].note is not None and detail.history[3].note.startswith("Listed for the meeting on")
    assert all(e.by == scene.actor.label for e in detail.history)
    assert detail.meeting_summary == "Target hardening; IDVA to see her this week" and detail.next_steps == []
    assert detail.actions[0].status == "done" and detail.actions[0].note == "Alarm fitted on Tuesday"


async def test_a_declined_referral_keeps_the_reason_and_goes_no_further(db: AsyncSession,
                                                                         force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    await _step(db, scene, referral.id, "submitted")
    await _step(db, scene, referral.id, "declined", note="Already open to the neighbouring MARAC")
    detail = await marac.read_referral(db, scene.actor, referral.id)
    assert detail.status == "declined" and detail.decline_reason == "Already open to the neighbouring MARAC"
    assert detail.decided_by == scene.actor.label
    assert (await _step_refused(db, scene, referral.id, "accepted"))["to"] == (
        "The referral was declined: make a new referral if the risk changes")
    # Declined is not open: a new referral may be made for her.
    assert (await _referral(db, scene)).status == "draft"


async def test_actions_are_only_agreed_at_a_meeting(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
            agency="Police", description="x", due_on=marac.uk_today()))
    assert refused.value.errors == {"referral": "Actions are agreed at a MARAC meeting: this referral is draft, "
                                                "not listed for or heard at one"}


async def test_meetings_are_planned_ahead_and_held_on_the_day(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    today = marac.uk_today()
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.create_meeting(db, scene.actor, marac.NewMeeting(
            held_on=today - timedelta(days=1), venue=" ", chair="", area_id=10**12))
    assert refused.value.errors == {"held_on": "The meeting date must be today or later", "venue":
                                    "Enter where the meeting is held", "chair": "Enter who chairs the meeting",
                                    "area_id": "Choose an area of your force"}
    later = await add_meeting(db, scene, today + timedelta(days=2))
    with pytest.raises(marac.MaracRefused) as refused:
        await marac.mark_held(db, scene.actor, later.id)
    assert refused.value.errors["status"].endswith("it cannot be marked held before that day")
    now = await add_meeting(db, scene, today)
    await marac.mark_held(db, scene.actor, now.id)
    upcoming, past = await marac.meetings(db)
    assert [m.id for m in upcoming] == [later.id] and [m.id for m in past] == [now.id]


async def test_open_actions_list_overdue_first(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    today = marac.uk_today()
    meeting = await add_meeting(db, scene, today)
    for to, fields in (("submitted", {}), ("accepted", {}), ("listed", {"meeting_id": meeting.id})):
        await _step(db, scene, referral.id, to, **fields)
    later = await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
        agency="Housing", description="Move to a safe address", due_on=today + timedelta(days=20)))
    soon = await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
        agency="IDVA", description="Safety plan", due_on=today + timedelta(days=1)))
    overdue = await marac.add_action(db, scene.actor, referral.id, marac.NewAction(
        agency="Police", description="Check the bail address", due_on=today + timedelta(days=2)))
    overdue_row = (await db.scalars(select(MaracAction).where(MaracAction.id == overdue.id))).one()
    overdue_row.due_on = today - timedelta(days=3)
    await db.flush()
    items = await marac.open_actions(db, scene.actor)
    assert [i.action.id for i in items] == [overdue.id, soon.id, later.id]
    assert [i.action.overdue for i in items] == [True, False, False]
    assert items[0].victim.display_name == "Carla Benning" and items[0].reference == referral.reference
    listed = await db.scalar(select(AuditEvent.details).where(AuditEvent.action == "marac_action.list"))
    assert listed == {"shown": 3, "overdue": 1}


async def test_a_restricted_victims_referral_is_not_found_without_a_grant(db: AsyncSession,
                                                                           force_a: ForceData) -> None:
    from safeguard.people.service import grant_restricted, restrict
    from tests.conftest import make_user
    from tests.integration.crime_scene import actor_for

    scene = await marac_scene(db, force_a)
    referral = await _referral(db, scene)
    officer = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   person_id=scene.victim.id)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    with pytest.raises(marac.ReferralNotFound):
        await marac.read_referral(db, scene.actor, referral.id)
    grouped = await marac.referrals_by_status(db, scene.actor)
    assert all(not items for items in grouped.values())
    await set_force_context(db, force_a.id, officer.user.id)
    detail = await marac.read_referral(db, actor_for(officer, force_a), referral.id)
    assert detail.victim.display_name == "Carla Benning"
    await grant_restricted(db, force_id=force_a.id, user_id=scene.staff.user.id, granted_by="officer",
                           reason="Officer in the case", person_id=scene.victim.id)
    await set_force_context(db, force_a.id, scene.staff.user.id)
    assert (await marac.read_referral(db, scene.actor, referral.id)).reference == referral.reference


@given(source=st.sampled_from(MARAC_STATUSES), target=st.text(max_size=12) | st.sampled_from(MARAC_STATUSES))
def test_why_not_allows_exactly_the_table(source: str, target: str) -> None:
    reason = marac.why_not(source, target)
    assert (reason is None) == (target in marac.TRANSITIONS[source])
    if reason is not None:
        # No Python None leaks into the message (the target itself, quoted back, may be any text).
        assert reason and "None" not in reason.replace(target, "")


def test_every_status_can_reach_closed_or_declined_or_is_an_end() -> None:
    ends = {s for s, targets in marac.TRANSITIONS.items() if not targets}
    assert ends == {"declined", "closed"}
    reach = {"draft"}
    frontier = ["draft"]
    while frontier:
        for target in marac.TRANSITIONS[frontier.pop()]:
            if target not in reach:
                reach.add(target)
                frontier.append(target)
    assert reach == set(MARAC_STATUSES)


async def test_a_person_placeholder_is_never_shown_for_a_visible_victim(db: AsyncSession, force_a: ForceData) -> None:
    scene = await marac_scene(db, force_a, forename="Dana")
    referral = await _referral(db, scene)
    grouped = await marac.referrals_by_status(db, scene.actor)
    assert [(i.reference, i.victim.display_name) for i in grouped["draft"]] == [(referral.reference, "Dana Benning")]
