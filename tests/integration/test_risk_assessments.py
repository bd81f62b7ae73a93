"""Saved DASH assessments: the service, the API and the pages. Incomplete forms keep not-asked, judgement and
review never lower, history routes come from the victim's incidents and referrals, other forces and restricted
victims are not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import grant_restricted, restrict
from safeguard.risk import assessments, eligibility
from safeguard.risk.assessments import AssessmentRefused, NewAssessment
from safeguard.risk.models import MaracReferral, RiskAssessment
from safeguard.safeguarding.models import SafeContact
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in
from tests.integration.crime_scene import actor_for

NOW = datetime.now(UTC).replace(microsecond=0)
API = "/api/v1/risk-assessments"


@dataclass
class Scene:
    force: ForceData
    officer: Staff
    sergeant: Staff
    actor: Actor
    victim: Person
    suspect: Person
    incident: Incident


def _answers(n: int, yes: int, rest: str = "no") -> dict[str, str]:
    return {f"q{i}": "yes" if i <= yes else rest for i in range(1, n + 1)}


async def _incident(db: AsyncSession, force: ForceData, victim: Person, suspect: Person | None, when: datetime,
                    *, da: bool = True, reference: str | None = None) -> Incident:
    incident = Incident(force_id=force.id, reference=reference or f"INC-RA-{victim.id}-{when:%Y%m%d%H%M%S}",
                        occurred_at=when, da_related=da, area_id=force.area.id, summary="Argument at home")
    db.add(incident)
    await db.flush()
    db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"))
    if suspect is not None:
        db.add(IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id, role="suspect"))
    await db.flush()
    return incident


async def _scene(db: AsyncSession, force: ForceData, *, restricted: bool = False) -> Scene:
    await set_force_context(db, force.id)
    officer = await make_user(db, force, "response_officer", team_kind="local_policing")
    sergeant = await make_user(db, force, "sergeant", team_kind="local_policing")
    await set_force_context(db, force.id, officer.user.id)
    victim = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987)
    suspect = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984)
    db.add_all([victim, suspect])
    await db.flush()
    incident = await _incident(db, force, victim, suspect, NOW - timedelta(hours=2), reference="INC-20261125-0001")
    if restricted:
        ppu = await make_user(db, force, "ppu_investigator")
        await restrict(db, force_id=force.id, by_user_id=ppu.user.id, by_label=ppu.user.username,
                       reason="Lives in a refuge", person_id=victim.id)
        await set_force_context(db, force.id, officer.user.id)
    return Scene(force, officer, sergeant, actor_for(officer, force), victim, suspect, incident)


def _new(scene: Scene, **changes: object) -> NewAssessment:
    values: dict[str, object] = {"form": "DASH-27", "victim_id": scene.victim.id, "incident_id": scene.incident.id,
                                 "answers": _answers(27, 5)}
    values.update(changes)
    return NewAssessment(**values)  # type: ignore[arg-type]


# -- the service ------------------------------------------------------------------------------------------

async def test_an_incomplete_assessment_is_saved_with_the_rest_not_asked(db: AsyncSession,
                                                                         force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    saved = await assessments.save_assessment(db, scene.actor, _new(
        scene, answers={"q1": "yes", "q2": "dont-know", "q18": "yes"}, victim_view="Scared he will come back"))
    assert saved.reference == f"RA-{NOW.year}-{saved.id:06d}"
    assert list(saved.answers) == [f"q{n}" for n in range(1, 28)]
    assert saved.answers["q3"] == "not-asked" and saved.answers["q2"] == "dont-know"
    assert (saved.score, saved.suggested_level, saved.final_level) == (2, "standard", "standard")
    assert saved.review_status == "awaiting-review" and saved.assessed_by == scene.officer.user.username
    view = await assessments.read_assessment(db, scene.actor, saved.id)
    assert len(view.not_asked) == 24 and "q3" in view.not_asked
    assert [a.label for a in view.answers[:3]] == ["Yes", "Don't know", "Not asked"]
    events = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "risk_assessment",
                                                                   AuditEvent.object_id == str(saved.id))
                                  .order_by(AuditEvent.id)))
    assert events == ["risk_assessment.create", "risk_assessment.read"]


async def test_the_supplement_is_kept_when_question_8_is_yes_and_refused_otherwise(db: AsyncSession,
                                                                                  force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    stalking = _answers(27, 8)  # q8 yes
    saved = await assessments.save_assessment(db, scene.actor, _new(
        scene, answers=stalking, supplement_answers={"q1": "yes", "q4": "yes", "q5": "no"}))
    assert saved.supplement_form == "S-DASH-11" and saved.supplement_score == 2
    assert saved.supplement_answers is not None and saved.supplement_answers["q11"] == "not-asked"
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene, supplement_answers={"q1": "yes"}))
    assert list(refused.value.errors) == ["supplement_answers"]
    assert "question 8" in refused.value.errors["supplement_answers"]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene, answers=stalking,
                                                                supplement_answers={"q12": "yes", "q2": "often"}))
    assert set(refused.value.errors) == {"supplement_answers.q12", "supplement_answers.q2"}


async def test_lowering_is_refused_and_raising_needs_a_rationale(db: AsyncSession, force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene, answers=_answers(27, 15),
                                                                professional_judgement="medium",
                                                                rationale="She seemed calm"))
    assert "only raise" in refused.value.errors["professional_judgement"]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene, professional_judgement="high",
                                                                rationale="   "))
    assert list(refused.value.errors) == ["rationale"]
    saved = await assessments.save_assessment(db, scene.actor, _new(
        scene, professional_judgement="high", rationale="Non-fatal strangulation last week"))
    assert (saved.suggested_level, saved.final_level) == ("standard", "high")
    assert saved.marac_routes == ["professional-judgement"]


async def test_the_victim_must_be_a_visible_victim_of_the_incident(db: AsyncSession, force_a: ForceData,
                                                                  force_b: ForceData) -> None:
    scene = await _scene(db, force_a)
    for victim_id, words in ((scene.suspect.id, "is not a victim in incident INC-20261125-0001"),
                             (10**12, "There is no person")):
        with pytest.raises(AssessmentRefused) as refused:
            await assessments.save_assessment(db, scene.actor, _new(scene, victim_id=victim_id))
        assert list(refused.value.errors) == ["victim_id"] and words in refused.value.errors["victim_id"]
    await set_force_context(db, force_b.id)
    other = Person(force_id=force_b.id, forename="Other", surname="Force")
    db.add(other)
    await db.flush()
    other_incident = await _incident(db, force_b, other, None, NOW - timedelta(days=1))
    await set_force_context(db, force_a.id, scene.officer.user.id)
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene, victim_id=other.id,
                                                                incident_id=other_incident.id))
    assert set(refused.value.errors) == {"victim_id", "incident_id"}
    assert "no person" in refused.value.errors["victim_id"] and "no incident" in refused.value.errors["incident_id"]


async def test_dates_in_the_future_or_before_the_incident_are_refused(db: AsyncSession, force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    for when, words in ((NOW + timedelta(hours=1), "must not be in the future"),
                        (NOW - timedelta(days=1), "before the incident happened"),
                        (datetime(2026, 1, 1, 12), "time zone")):
        with pytest.raises(AssessmentRefused) as refused:
            await assessments.save_assessment(db, scene.actor, _new(scene, assessed_at=when))
        assert list(refused.value.errors) == ["assessed_at"] and words in refused.value.errors["assessed_at"]


async def test_history_routes_escalation_and_repeat(db: AsyncSession, force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    # One earlier DA incident: two in 12 months, not yet escalation; a non-DA one never counts.
    await _incident(db, force_a, scene.victim, scene.suspect, NOW - timedelta(days=40))
    await _incident(db, force_a, scene.victim, None, NOW - timedelta(days=20), da=False)
    first = await assessments.save_assessment(db, scene.actor, _new(scene))
    assert first.marac_routes == []
    await _incident(db, force_a, scene.victim, scene.suspect, NOW - timedelta(days=200))
    second = await assessments.save_assessment(db, scene.actor, _new(scene))
    assert second.marac_routes == ["escalation"]
    # A force using 3 in 6 months: the incident 200 days ago falls outside.
    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"marac": {"escalation_months": 6}}))
    assert await eligibility.history_routes(db, victim_id=scene.victim.id, incident_id=scene.incident.id) == ()
    # Broken settings fall back to the defaults rather than stopping the officer saving.
    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"marac": {"escalation_months": "six"}}))
    assert await eligibility.history_routes(db, victim_id=scene.victim.id, incident_id=scene.incident.id) == (
        "escalation",)
    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"marac": {"escalation_months": 6}}))
    # A referral ten months ago (declined ones do not count) makes this a repeat.
    db.add_all([MaracReferral(force_id=force_a.id, reference="MR-1", victim_id=scene.victim.id, routes=["repeat"],
                              consent="given", referred_by="x", referred_at=NOW - timedelta(days=300),
                              submitted_at=NOW - timedelta(days=299), status="heard"),
                MaracReferral(force_id=force_a.id, reference="MR-2", victim_id=scene.victim.id, routes=["repeat"],
                              consent="given", referred_by="x", referred_at=NOW - timedelta(days=30),
                              status="declined")])
    await db.flush()
    third = await assessments.save_assessment(db, scene.actor, _new(scene, answers=_answers(27, 14)))
    assert third.marac_routes == ["visible-high-risk", "repeat"]


async def test_review_confirms_or_raises_never_lowers_once_only(db: AsyncSession, force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    saved = await assessments.save_assessment(db, scene.actor, _new(scene, answers=_answers(27, 11)))
    assert saved.final_level == "medium"
    sergeant = actor_for(scene.sergeant, force_a)
    queue = await assessments.awaiting_review(db, sergeant)
    assert [item.id for item in queue] == [saved.id]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.review_assessment(db, sergeant, saved.id, level="standard", note="Fine")
    assert "never lower" in refused.value.errors["level"]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.review_assessment(db, sergeant, saved.id, level="high", note=" ")
    assert list(refused.value.errors) == ["note"]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.review_assessment(db, scene.actor, saved.id, level="medium", note=None)
    assert "another supervisor" in refused.value.errors["review"]
    reviewed = await assessments.review_assessment(db, sergeant, saved.id, level="high",
                                                   note="Threats to kill disclosed after the form")
    assert (reviewed.review_status, reviewed.reviewed_level, reviewed.reviewed_by) == (
        "reviewed", "high", scene.sergeant.user.username)
    assert reviewed.marac_routes == ["professional-judgement"]
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.review_assessment(db, sergeant, saved.id, level="high", note="Again")
    assert "already reviewed" in refused.value.errors["review"]
    assert await assessments.awaiting_review(db, sergeant) == []


async def test_a_restricted_victims_assessment_is_not_found_without_a_grant(db: AsyncSession,
                                                                           force_a: ForceData) -> None:
    scene = await _scene(db, force_a, restricted=True)
    with pytest.raises(AssessmentRefused) as refused:
        await assessments.save_assessment(db, scene.actor, _new(scene))
    assert "no person" in refused.value.errors["victim_id"]
    await grant_restricted(db, force_id=force_a.id, user_id=scene.officer.user.id, granted_by="ppu",
                           person_id=scene.victim.id, reason="Attending officer")
    saved = await assessments.save_assessment(db, scene.actor, _new(scene))
    sergeant = actor_for(scene.sergeant, force_a)
    await set_force_context(db, force_a.id, scene.sergeant.user.id)
    with pytest.raises(assessments.AssessmentNotFound):
        await assessments.read_assessment(db, sergeant, saved.id)


# -- the API ----------------------------------------------------------------------------------------------

async def _signed_in(client: httpx.AsyncClient, staff: Staff) -> dict[str, str]:
    assert (await sign_in(client, staff)).status_code == 303
    return {"x-csrf-token": csrf_from((await client.get("/account")).text)}


def _body(scene: Scene, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"form": "DASH-27", "victim_id": scene.victim.id, "incident_id": scene.incident.id,
                               "answers": _answers(27, 15), "professional_judgement": None, "rationale": None,
                               "victim_view": "Thinks he will kill her", "assessed_at": None}
    body.update(changes)
    return body


async def test_the_api_saves_reads_and_reviews(client: httpx.AsyncClient, db: AsyncSession,
                                               force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    headers = await _signed_in(client, scene.officer)
    answers = _answers(27, 15)
    del answers["q27"]
    response = await client.post(API, json=_body(scene, answers=answers,
                                                 assessed_at=(NOW - timedelta(minutes=30)).isoformat()),
                                 headers=headers)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["url"] == f"/risk-assessments/{saved['id']}" and saved["reference"].startswith("RA-")
    assert (saved["score"], saved["suggested_level"], saved["final_level"]) == (15, "high", "high")
    assert saved["marac_routes"] == ["visible-high-risk"] and saved["not_asked"] == ["q27"]
    got = await client.get(f"{API}/{saved['id']}")
    assert got.status_code == 200
    body = got.json()
    assert body["answers"][26] == {"question": "q27", "text": body["answers"][26]["text"], "answer": "not-asked"}
    assert body["review"]["status"] == "awaiting-review" and body["victim_view"] == "Thinks he will kill her"
    # The officer cannot review; the sergeant can, once.
    refused = await client.post(f"{API}/{saved['id']}/review", json={"level": "high"}, headers=headers)
    assert refused.status_code == 403
    await client.post("/logout", headers=headers)
    client.cookies.clear()
    headers = await _signed_in(client, scene.sergeant)
    lowered = await client.post(f"{API}/{saved['id']}/review", json={"level": "medium"}, headers=headers)
    assert lowered.status_code == 422 and lowered.json()["errors"][0]["field"] == "level"
    reviewed = await client.post(f"{API}/{saved['id']}/review", json={"level": "high"}, headers=headers)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["review"]["status"] == "reviewed" and reviewed.json()["current_level"] == "high"
    again = await client.post(f"{API}/{saved['id']}/review", json={"level": "high"}, headers=headers)
    assert again.status_code == 422 and "already reviewed" in again.json()["errors"][0]["message"]


async def test_the_api_names_every_bad_field(client: httpx.AsyncClient, db: AsyncSession,
                                             force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    headers = await _signed_in(client, scene.officer)
    answers = _answers(27, 3) | {"q28": "yes", "q3": "perhaps"}
    response = await client.post(API, json=_body(scene, form="DASH-27", answers=answers,
                                                 professional_judgement="standard",
                                                 assessed_at=(NOW + timedelta(days=1)).isoformat()), headers=headers)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"answers.q28", "answers.q3", "assessed_at"}
    assert "q28" in fields["answers.q28"] and "perhaps" in fields["answers.q3"]
    unknown = await client.post(API, json=_body(scene, form="DASH-99"), headers=headers)
    assert unknown.status_code == 422 and "DASH-99" in unknown.json()["errors"][0]["message"]
    lowered = await client.post(API, json=_body(scene, professional_judgement="medium", rationale="calm"),
                                headers=headers)
    assert lowered.status_code == 422
    assert lowered.json()["errors"] == [{"field": "professional_judgement",
                                         "message": lowered.json()["errors"][0]["message"]}]
    assert "only raise" in lowered.json()["errors"][0]["message"]
    assert await db.scalar(select(RiskAssessment.id).limit(1)) is None  # nothing was saved


async def test_another_forces_or_a_restricted_victims_assessment_is_not_found(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await _scene(db, force_a)
    secret = Person(force_id=force_a.id, forename="Refuge", surname="Resident")
    db.add(secret)
    await db.flush()
    hidden_incident = await _incident(db, force_a, secret, None, NOW - timedelta(hours=3))
    grant_holder = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=grant_holder.user.id, by_label=grant_holder.user.username,
                   reason="Refuge", person_id=secret.id)
    hidden = await assessments.save_assessment(db, actor_for(grant_holder, force_a), NewAssessment(
        form="DASH-27", victim_id=secret.id, incident_id=hidden_incident.id, answers={}))
    mine = await assessments.save_assessment(db, scene.actor, _new(scene))
    other = await _scene(db, force_b)
    theirs = await assessments.save_assessment(db, other.actor, _new(other))
    await set_force_context(db, force_a.id)
    headers = await _signed_in(client, scene.sergeant)
    assert (await client.get(f"{API}/{mine.id}")).status_code == 200
    for assessment_id in (theirs.id, hidden.id, 10**12):
        for method, path, kwargs in (("GET", f"{API}/{assessment_id}", {}),
                                     ("POST", f"{API}/{assessment_id}/review",
                                      {"json": {"level": "high", "note": "x"}, "headers": headers}),
                                     ("GET", f"/risk-assessments/{assessment_id}", {})):
            response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 404, (method, path, response.text)
            assert "Carla" not in response.text and "Refuge" not in response.text
    queue = await client.get("/risk-assessments/reviews")
    assert mine.reference in queue.text and theirs.reference not in queue.text
    assert hidden.reference not in queue.text


# -- the pages --------------------------------------------------------------------------------------------

async def test_the_pages_find_choose_fill_save_and_review(client: httpx.AsyncClient, db: AsyncSession,
                                                          force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    db.add(SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900123",
                       safe_times="Weekdays 10:00 to 12:00", no_voicemail=True, updated_at=NOW, updated_by="pc"))
    await db.flush()
    await _signed_in(client, scene.officer)
    assert (await client.get("/risk-assessments/new")).status_code == 200
    missing = await client.get("/risk-assessments/new?incident=INC-NOPE")
    assert missing.status_code == 404 and "There is no incident INC-NOPE in your force" in missing.text
    choose = await client.get("/risk-assessments/new?incident=INC-20261125-0001")
    assert choose.status_code == 200 and "Carla Benning" in choose.text and "Dean Holloway" not in choose.text
    wrong = await client.get(f"/risk-assessments/new?incident=INC-20261125-0001&victim={scene.suspect.id}")
    assert wrong.status_code == 400 and "Choose one of the incident" in wrong.text
    page = await client.get(f"/risk-assessments/new?incident=INC-20261125-0001&victim={scene.victim.id}")
    assert page.status_code == 200
    assert page.text.index("Do not leave voicemail") < page.text.index("DASH risk assessment</h1>")
    assert page.text.count('value="not-asked" checked') == 27 + 11
    csrf = csrf_from(page.text)
    now = datetime.now(UTC).astimezone(assessments.uk_time(NOW).tzinfo)
    form = {"csrf_token": csrf, "incident_id": str(scene.incident.id), "victim_id": str(scene.victim.id),
            "form": "DASH-27", "q1": "yes", "q2": "yes", "q8": "yes", "q18": "yes", "sdash_q4": "yes",
            "professional_judgement": "standard", "rationale": "", "victim_view": "",
            "assessed_at_day": str(now.day), "assessed_at_month": str(now.month),
            "assessed_at_year": str(now.year), "assessed_at_time": now.strftime("%H:%M"), "action": "save"}
    # Without JavaScript: check the score, saving nothing.
    checked = await client.post("/risk-assessments/new", data=form | {"action": "check"})
    assert checked.status_code == 200 and '<span data-score>4</span>' in checked.text
    assert await db.scalar(select(RiskAssessment.id).limit(1)) is None
    future = await client.post("/risk-assessments/new", data=form | {"assessed_at_year": str(now.year + 1)})
    assert future.status_code == 400 and "must not be in the future" in future.text
    assert 'href="#assessed_at_day"' in future.text
    bad = await client.post("/risk-assessments/new", data=form | {"q3": "maybe", "sdash_q2": "often"})
    assert bad.status_code == 400 and 'href="#q3"' in bad.text and 'href="#sdash_q2"' in bad.text
    assert "&#39;maybe&#39; is not an answer" in bad.text and 'value="maybe"' not in bad.text
    saved = await client.post("/risk-assessments/new", data=form)
    assert saved.status_code == 303, saved.text
    page = await client.get(saved.headers["location"])
    assert page.status_code == 200
    assert page.text.index("Do not leave voicemail") < page.text.index('<h1 class="govuk-heading-l">Risk assessment')
    assert page.text.count("Not asked</strong>") == 23 + 10
    assert "Awaiting review" in page.text and "Supervisor review" not in page.text
    assessment_id = int(saved.headers["location"].rsplit("/", 1)[1])
    await client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    await _signed_in(client, scene.sergeant)
    queue = await client.get("/risk-assessments/reviews")
    assert f'href="/risk-assessments/{assessment_id}"' in queue.text
    page = await client.get(f"/risk-assessments/{assessment_id}")
    assert "Supervisor review" in page.text
    csrf = csrf_from(page.text)
    refused = await client.post(f"/risk-assessments/{assessment_id}/review",
                                data={"csrf_token": csrf, "level": "high", "note": ""})
    assert refused.status_code == 400 and "needs a note" in refused.text
    done = await client.post(f"/risk-assessments/{assessment_id}/review",
                             data={"csrf_token": csrf, "level": "high", "note": "Stalking pattern: raise"})
    assert done.status_code == 303 and done.headers["location"] == "/risk-assessments/reviews"
    page = await client.get(f"/risk-assessments/{assessment_id}")
    # A sergeant may not refer to MARAC: told who does, and offered no link that would refuse them.
    assert "raised to high" in page.text and "ask the public protection unit to refer it to MARAC" in page.text
    assert "/marac/referrals/new" not in page.text


async def test_the_person_timeline_shows_safeguarding_records(db: AsyncSession, force_a: ForceData) -> None:
    from safeguard.people.history import timeline
    from safeguard.safeguarding.models import (
        DisclosureRequest,
        ProtectiveOrder,
        ProtectiveOrderPerson,
        SupportReferral,
        SupportService,
    )

    scene = await _scene(db, force_a)
    saved = await assessments.save_assessment(db, scene.actor, _new(scene, answers=_answers(27, 14)))
    db.add(MaracReferral(force_id=force_a.id, reference="MR-2026-000001", victim_id=scene.victim.id,
                         assessment_id=saved.id, routes=["visible-high-risk"], consent="given", referred_by="pc",
                         referred_at=NOW - timedelta(minutes=30), status="submitted"))
    order = ProtectiveOrder(force_id=force_a.id, reference="PO-2026-000001", kind="dvpn", subject_id=scene.suspect.id,
                            starts_at=NOW - timedelta(minutes=20), expires_at=NOW + timedelta(days=2),
                            recorded_by="pc")
    service = SupportService(force_id=force_a.id, code="idva", name="Northfield IDVA service", scope="local",
                             description="IDVA", eligibility="Any", groups=["any"], referral_route="Police")
    db.add_all([order, service])
    await db.flush()
    db.add_all([ProtectiveOrderPerson(force_id=force_a.id, order_id=order.id, person_id=scene.victim.id),
                SupportReferral(force_id=force_a.id, person_id=scene.victim.id, service_id=service.id, reason="IDVA",
                                consent_given=True, consent_method="verbal", consent_at=NOW, consent_recorded_by="pc",
                                made_at=NOW - timedelta(minutes=10), made_by="pc", history=[]),
                DisclosureRequest(force_id=force_a.id, reference="DV-2026-000001", route="right-to-ask",
                                  person_at_risk_id=scene.victim.id, subject_id=scene.suspect.id,
                                  applicant_name="Carla", applicant_relationship="self",
                                  received_at=NOW - timedelta(minutes=5), due_by=NOW + timedelta(days=28),
                                  created_by="pc", history=[])])
    await db.flush()
    victim = {e.kind: e for e in await timeline(db, scene.victim.id, disclosures=True)}
    assert {"incident", "risk assessment", "marac referral", "protective order", "support referral",
            "clare's law request"} <= set(victim)
    assert victim["risk assessment"].href == f"/risk-assessments/{saved.id}"
    assert victim["risk assessment"].label == "Risk assessment"
    assert "14 yes, high risk" in victim["risk assessment"].summary
    assert victim["marac referral"].label == "MARAC referral"
    assert victim["protective order"].role == "protected" and "DVPN" in victim["protective order"].summary
    assert victim["support referral"].reference == "Northfield IDVA service"
    assert victim["clare's law request"].role == "person at risk"
    suspect = {e.kind: e for e in await timeline(db, scene.suspect.id, disclosures=True)}
    assert suspect["protective order"].role == "subject" and suspect["clare's law request"].role == "subject"
    # Without disclosures:read, that a Clare's Law request exists is not shown at all.
    assert "clare's law request" not in {e.kind for e in await timeline(db, scene.suspect.id)}
    assert victim["support referral"].href == f"/support-referrals/{victim['support referral'].record_id}"
    assert "risk assessment" not in suspect
