"""Referrals to support services: consent first, only to an active service that takes police referrals; then
accepted, rejected or withdrawn with the history kept; reads audited; another force's or a restricted person's
referral is not found."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.crimes.service import uk_time
from safeguard.db.session import set_force_context
from safeguard.people.service import restrict
from safeguard.safeguarding import support_referrals as referrals
from safeguard.safeguarding.models import REFERRAL_STATUSES, SupportReferral, SupportService
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.support_scene import SupportScene, support_scene


def _consent(at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {"consent_at_day": str(local.day), "consent_at_month": str(local.month),
            "consent_at_year": str(local.year), "consent_at_time": local.strftime("%H:%M")}


async def _national(db: AsyncSession, code: str) -> SupportService:
    return (await db.scalars(select(SupportService).where(SupportService.code == code))).one()


async def _referral_count(db: AsyncSession, scene: SupportScene) -> int:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    return int(await db.scalar(select(func.count()).select_from(SupportReferral)) or 0)


async def _made(db: AsyncSession, scene: SupportScene) -> SupportReferral:
    return await referrals.make_referral(db, scene.actor, referrals.NewReferral(
        person_id=scene.victim.id, service_id=scene.local.id, reason="Wants casework support",
        consent_given=True, consent_method="verbal", consent_at=datetime.now(UTC) - timedelta(minutes=10)))


async def test_a_da_specialist_refers_a_male_victim_with_consent_and_the_service_accepts(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/people/{scene.victim.id}/support-referrals/new")
    assert form.status_code == 200
    assert "Chosen from what is known of the victim: men" in form.text
    assert html.escape(scene.local.name).replace("&#x27;", "&#39;") in form.text
    assert "Men&#39;s Advice Line" in form.text
    assert "Hourglass" not in form.text.split("Services the victim must contact themselves")[0]
    assert "ManKind Initiative" in form.text  # offered as a number to give, not to refer to
    # The safe-contact panel comes before the choice of service.
    assert form.text.index("data-safe-contact") < form.text.index('name="service"')
    data = {"csrf_token": csrf_from(form.text), "service": str(scene.local.id), "reason": "Wants casework support",
            "consent_given": "yes", "consent_method": "verbal", "consent_recorded_by": "PC Example",
            **_consent(datetime.now(UTC) - timedelta(minutes=5))}
    made = await client.post(f"/people/{scene.victim.id}/support-referrals/new", data=data)
    assert made.status_code == 303, made.text
    page = await client.get(made.headers["location"])
    assert "Referral made with the victim&#39;s consent." in page.text
    assert "recorded by PC Example" in page.text and "Made, awaiting the service" in page.text
    assert page.text.index("data-safe-contact") < page.text.index("referral-status")
    referral_id = int(made.headers["location"].rsplit("/", 1)[1])
    accepted = await client.post(f"/support-referrals/{referral_id}/decision",
                                 data={"csrf_token": csrf_from(page.text), "to": "accepted",
                                       "note": "Caseworker assigned"})
    assert accepted.status_code == 303
    page = await client.get(f"/support-referrals/{referral_id}")
    assert "Caseworker assigned" in page.text and ">Accepted<" in page.text
    listing = await client.get("/support-referrals?status=accepted")
    assert f"/support-referrals/{referral_id}" in listing.text
    assert f"/support-referrals/{referral_id}" not in (await client.get("/support-referrals")).text
    await set_force_context(db, force_a.id)
    row = await db.get(SupportReferral, referral_id)
    assert row is not None
    await db.refresh(row)
    assert [(s["from"], s["to"]) for s in row.history] == [(None, "made"), ("made", "accepted")]
    assert row.history[1]["by"] == scene.staff.user.username and row.history[1]["note"] == "Caseworker assigned"
    reads = await db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "support_referral.read", AuditEvent.object_id == str(referral_id)))
    assert reads == 2


async def test_a_referral_without_consent_is_refused_and_nothing_is_saved(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/people/{scene.victim.id}/support-referrals/new")
    before = await _referral_count(db, scene)
    refused = await client.post(f"/people/{scene.victim.id}/support-referrals/new", data={
        "csrf_token": csrf_from(form.text), "service": str(scene.local.id), "reason": "Needs help",
        "consent_given": "no"})
    assert refused.status_code == 400
    assert "Record the victim&#39;s wishes instead" in refused.text
    assert 'value="no" checked' in refused.text
    assert await _referral_count(db, scene) == before


async def test_a_service_that_takes_no_police_referrals_or_is_inactive_is_refused(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    mankind = await _national(db, "mankind-initiative")
    new = referrals.NewReferral(person_id=scene.victim.id, service_id=mankind.id, reason="Support",
                                consent_given=True, consent_method="verbal", consent_at=datetime.now(UTC))
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.make_referral(db, scene.actor, new)
    assert refused.value.errors == {"service": "ManKind Initiative does not take referrals from the police: give the "
                                               "victim its number (01823 334244) instead, so that they can contact "
                                               "it themselves"}
    scene.local.active = False
    await db.flush()
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.make_referral(db, scene.actor, referrals.NewReferral(
            **{**new.__dict__, "service_id": scene.local.id}))
    assert "is no longer active in the directory" in refused.value.errors["service"]
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.make_referral(db, scene.actor, referrals.NewReferral(
            person_id=scene.victim.id, service_id=scene.local.id, reason="", consent_given=True,
            consent_method="telepathy", consent_at=datetime.now(UTC) + timedelta(hours=2)))
    assert set(refused.value.errors) == {"service", "reason", "consent_method", "consent_at"}
    assert await _referral_count(db, scene) == 0


async def test_decisions_follow_the_rules_and_refusals_say_why(db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    referral = await _made(db, scene)
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.decide(db, scene.actor, referral.id, to="rejected")
    assert refused.value.errors == {"note": "Say why the service rejected the referral"}
    await referrals.decide(db, scene.actor, referral.id, to="rejected", note="Outside their area")
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.decide(db, scene.actor, referral.id, to="accepted")
    assert refused.value.errors["to"].startswith("The referral was rejected: it is closed")
    second = await _made(db, scene)
    await referrals.decide(db, scene.actor, second.id, to="accepted")
    with pytest.raises(referrals.ReferralRefused) as refused:
        await referrals.decide(db, scene.actor, second.id, to="rejected", note="x")
    assert refused.value.errors == {"to": "An accepted referral cannot be rejected: it can only be withdrawn"}
    await referrals.decide(db, scene.actor, second.id, to="withdrawn", note="Victim asked to stop")
    view = await referrals.read_referral(db, scene.actor, second.id)
    assert [(s.from_status, s.to_status) for s in view.history] == [
        (None, "made"), ("made", "accepted"), ("accepted", "withdrawn")]
    assert view.next_steps == []


@given(st.sampled_from(REFERRAL_STATUSES), st.text(max_size=12) | st.sampled_from(referrals.DECISIONS))
def test_why_not_allows_exactly_the_transitions(current: str, to: str) -> None:
    reason = referrals.why_not(current, to)
    assert (reason is None) == (to in referrals.TRANSITIONS[current])
    assert reason is None or reason.strip()


async def test_the_decision_form_shows_a_refusal(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    referral = await _made(db, scene)
    await sign_in(client, scene.staff)
    page = await client.get(f"/support-referrals/{referral.id}")
    refused = await client.post(f"/support-referrals/{referral.id}/decision",
                                data={"csrf_token": csrf_from(page.text), "to": "withdrawn", "note": ""})
    assert refused.status_code == 400 and "Say why the referral is being withdrawn" in refused.text


async def test_another_forces_or_a_restricted_persons_referral_is_not_found(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene_a = await support_scene(db, force_a)
    ours = await _made(db, scene_a)
    scene_b = await support_scene(db, force_b)
    theirs = await _made(db, scene_b)
    await sign_in(client, scene_a.staff)
    assert (await client.get(f"/support-referrals/{theirs.id}")).status_code == 404
    assert (await client.get(f"/api/v1/support-referrals/{theirs.id}")).status_code == 404
    page = await client.get(f"/support-referrals/{ours.id}")
    assert page.status_code == 200
    assert (await client.post(f"/support-referrals/{theirs.id}/decision", data={
        "csrf_token": csrf_from(page.text), "to": "accepted"})).status_code == 404
    # Restricted by someone else: the DA specialist no longer sees the person or the referral.
    keeper = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="ppu", reason="Refuge resident",
                   person_id=scene_a.victim.id)
    assert (await client.get(f"/support-referrals/{ours.id}")).status_code == 404
    assert (await client.get(f"/api/v1/support-referrals/{ours.id}")).status_code == 404
    assert "Marcus Oyelaran" not in (await client.get("/support-referrals")).text
    assert (await client.get(f"/people/{scene_a.victim.id}/support-referrals/new")).status_code == 404


async def test_the_api_makes_and_decides_a_referral_and_names_fields(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    await sign_in(client, scene.staff)
    page = await client.get("/support-services")
    headers = {"x-csrf-token": csrf_from(page.text)}
    body = {"person_id": scene.victim.id, "service_id": scene.local.id, "reason": "Casework",
            "consent_given": False}
    refused = await client.post("/api/v1/support-referrals", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "consent_given", "message": referrals.NO_CONSENT}]
    missing = await client.post("/api/v1/support-referrals", json={"person_id": scene.victim.id}, headers=headers)
    assert missing.status_code == 422 and {"service_id", "reason", "consent_given"} <= {
        e["field"] for e in missing.json()["errors"]}
    made = await client.post("/api/v1/support-referrals", headers=headers, json={
        **body, "consent_given": True, "consent_method": "written",
        "consent_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["status"] == "made" and out["consent_recorded_by"] == scene.staff.user.username
    assert out["next_steps"] == ["accepted", "rejected", "withdrawn"]
    wrong = await client.post(f"/api/v1/support-referrals/{out['id']}/decision", json={"to": "lost"},
                              headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "to"
    done = await client.post(f"/api/v1/support-referrals/{out['id']}/decision", json={"to": "accepted"},
                             headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    assert [h["to_status"] for h in done.json()["history"]] == ["made", "accepted"]
    got = await client.get(f"/api/v1/support-referrals/{out['id']}")
    assert got.json()["status"] == "accepted"


def test_suggested_groups_follow_what_is_known() -> None:
    assert referrals.suggested_groups("male", 70) == ["men", "older-people"]
    assert referrals.suggested_groups("female", 15) == ["women", "children", "young-people"]
    assert referrals.suggested_groups("unknown", None) == []
