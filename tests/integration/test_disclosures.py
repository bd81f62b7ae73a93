"""Clare's Law (DVDS) requests: the 28-day clock (a force setting), the steps with their history, the decision
with its rationale, the disclosure only after a decision to disclose, dates in order, 404s across forces and for
restricted people, and audited reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.crimes.service import uk_time
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import restrict
from safeguard.safeguarding import disclosure as service
from safeguard.safeguarding.models import DisclosureRequest, SafeContact
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.crime_scene import CrimeScene, actor_for, count, crime_scene

D = timedelta(days=1)


def _when(prefix: str, at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


async def _request(db: AsyncSession, scene: CrimeScene, received: datetime, **changes: object) -> DisclosureRequest:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    values: dict[str, object] = {"route": "right-to-ask", "person_at_risk_id": scene.victim.id,
                                 "subject_id": scene.person.id, "applicant_name": "Carla Benning",
                                 "applicant_relationship": "self", "received_at": received}
    values.update(changes)
    return await service.record_request(db, scene.actor, service.NewRequest(**values))  # type: ignore[arg-type]


async def test_an_investigator_takes_a_right_to_ask_request_from_receipt_to_disclosure(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    db.add(SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900123",
                       safe_times="Weekdays 10:00 to 14:00", no_voicemail=True, updated_at=datetime.now(UTC),
                       updated_by="someone"))
    await db.flush()
    await sign_in(client, scene.staff)
    form = await client.get("/disclosures/new")
    assert form.status_code == 200 and "Record a Clare&#39;s Law request" in form.text
    received = datetime.now(UTC).replace(second=0, microsecond=0) - 3 * D
    data = {"csrf_token": csrf_from(form.text), "route": "right-to-ask", "person_at_risk": str(scene.victim.id),
            "subject": str(scene.person.id), "applicant_name": "Carla Benning", "applicant_relationship": "self",
            **_when("received_at", received)}
    before = await count(db, DisclosureRequest, force_a)
    bad = {**data, "subject": str(scene.victim.id), "applicant_name": " ",
           **_when("received_at", datetime.now(UTC) + 2 * D)}
    refused = await client.post("/disclosures/new", data=bad)
    assert refused.status_code == 400
    for message in ("The partner or ex-partner asked about must be a different person from the person at risk",
                    "Enter the name of who asked", "The date the request was received must not be in the future"):
        assert message in refused.text, message
    assert 'value="self"' in refused.text  # values kept
    unknown = await client.post("/disclosures/new", data={**data, "subject": "999999"})
    assert unknown.status_code == 400 and "There is no person 999999 in your force" in unknown.text
    typo = await client.post("/disclosures/new", data={**data, "person_at_risk": "Carla"})
    assert typo.status_code == 400 and "is not a person number, like 1234" in typo.text
    assert await count(db, DisclosureRequest, force_a) == before

    created = await client.post("/disclosures/new", data=data)
    assert created.status_code == 303, created.text
    page = await client.get(created.headers["location"])
    assert page.status_code == 200
    text = page.text
    # Safe contact for the person at risk comes first, before anything about the request.
    assert text.index("Do not leave voicemail") < text.index("Partner or ex-partner asked about")
    assert "07700 900123" in text
    due = uk_time(received + 28 * D)
    assert f"{due:%d %B %Y at %H:%M}: 25 days left" in text
    request_id = int(created.headers["location"].rsplit("/", 1)[1])
    url = f"/disclosures/{request_id}"

    # Deciding before the checks is refused; so is disclosing before a decision.
    token = csrf_from(text)
    early = await client.post(f"{url}/decision", data={"csrf_token": token, "decision": "disclose",
                                                       "rationale": "x", **_when("decided_at", received + D)})
    assert early.status_code == 400 and "A request that is received cannot be decided" in early.text
    too_soon = await client.post(f"{url}/disclosure", data={"csrf_token": token, "disclosed_to": "Carla",
                                                            "disclosure_text": "x", **_when("disclosed_at", received)})
    assert too_soon.status_code == 400
    assert "A disclosure can be recorded only after a decision to disclose" in too_soon.text
    skip = await client.post(f"{url}/step", data={"csrf_token": token, "to": "closed"})
    assert skip.status_code == 400 and "can move on to checks under way, not to closed" in skip.text

    for to in ("checks", "panel"):
        moved = await client.post(f"{url}/step", data={"csrf_token": token, "to": to, "note": f"Now {to}"})
        assert moved.status_code == 303, moved.text
    page = await client.get(url)
    assert 'data-testid="status">At panel' in page.text

    decision = {"csrf_token": token, "decision": "disclose", "rationale": "   ", **_when("decided_at", received - D)}
    refused = await client.post(f"{url}/decision", data=decision)
    assert refused.status_code == 400
    assert "Explain why the decision is lawful, necessary and proportionate" in refused.text
    assert "The decision cannot be before the request was received" in refused.text
    rationale = "Two previous convictions for assault on partners; lawful, necessary and proportionate."
    decided_at = received + 2 * D
    decided = await client.post(f"{url}/decision", data={**decision, "rationale": rationale,
                                                         **_when("decided_at", decided_at)})
    assert decided.status_code == 303, decided.text
    page = await client.get(url)
    assert "Decision recorded: disclose." in page.text and rationale in page.text
    # The request cannot be closed before the disclosure is recorded.
    closing = await client.post(f"{url}/step", data={"csrf_token": token, "to": "closed"})
    assert closing.status_code == 400 and "Record what was disclosed, to whom and when" in closing.text

    disclosure = {"csrf_token": token, "disclosed_to": "Carla Benning, with her IDVA present",
                  "disclosure_text": "Dean Holloway has convictions for violence against former partners.",
                  **_when("disclosed_at", decided_at - timedelta(hours=2))}
    refused = await client.post(f"{url}/disclosure", data=disclosure)
    assert refused.status_code == 400 and "The disclosure cannot be before the decision to disclose" in refused.text
    future = await client.post(f"{url}/disclosure", data={**disclosure, **_when("disclosed_at", datetime.now(UTC) + D)})
    assert future.status_code == 400 and "The date of the disclosure must not be in the future" in future.text
    done = await client.post(f"{url}/disclosure", data={**disclosure, **_when("disclosed_at", decided_at + D)})
    assert done.status_code == 303, done.text
    page = await client.get(url)
    assert "Carla Benning, with her IDVA present" in page.text
    assert "Completed within the target" in page.text
    again = await client.post(f"{url}/disclosure", data={**disclosure, **_when("disclosed_at", decided_at + D)})
    assert again.status_code == 400 and "The disclosure was already recorded" in again.text
    closed = await client.post(f"{url}/step", data={"csrf_token": token, "to": "closed"})
    assert closed.status_code == 303
    await set_force_context(db, force_a.id)
    row = await db.scalar(select(DisclosureRequest).where(DisclosureRequest.id == request_id)
                          .execution_options(populate_existing=True))
    assert row is not None and row.status == "closed"
    assert [h["to"] for h in row.history] == ["received", "checks", "panel", "decided", "decided", "closed"]
    assert row.history[1]["note"] == "Now checks" and row.history[1]["by"] == scene.staff.user.username
    # A closed request leaves the open list.
    listing = await client.get("/disclosures")
    assert "There are no open Clare's Law requests." in listing.text


async def test_the_target_is_a_force_setting_and_the_open_list_is_soonest_due_first(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    late = await _request(db, scene, now - 30 * D)
    soon = await _request(db, scene, now - 26 * D, route="right-to-know", applicant_name="DC Jones",
                          applicant_relationship="police")
    assert late.due_by == late.received_at + 28 * D
    await db.execute(update(Force).where(Force.id == force_a.id).values(settings={"dvds": {"target_days": 35}}))
    later = await _request(db, scene, now - D)
    assert later.due_by == later.received_at + 35 * D
    await sign_in(client, scene.staff)
    page = await client.get("/disclosures")
    assert page.status_code == 200
    text = page.text
    assert text.index(late.reference) < text.index(soon.reference) < text.index(later.reference)
    assert "Overdue by 2 days" in text and "2 days left" in text and "34 days left" in text
    assert "within 35 days" in text


async def test_another_forces_request_and_a_restricted_persons_are_not_found_and_reads_are_audited(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene_b = await crime_scene(db, force_b)
    other = await _request(db, scene_b, datetime.now(UTC) - D)
    scene = await crime_scene(db, force_a)
    mine = await _request(db, scene, datetime.now(UTC) - D)
    hidden_person = Person(force_id=force_a.id, forename="Hana", surname="Hidden", dob_year=1990)
    db.add(hidden_person)
    await db.flush()
    hidden = await _request(db, scene, datetime.now(UTC) - D, person_at_risk_id=hidden_person.id)
    await restrict(db, force_id=force_a.id, by_user_id=scene.staff.user.id, by_label="a", reason="Officer victim",
                   person_id=hidden_person.id)
    reader = await make_user(db, force_a, "auditor", username="auditor1")
    await sign_in(client, reader)
    for request_id in (other.id, hidden.id):
        assert (await client.get(f"/disclosures/{request_id}")).status_code == 404
        assert (await client.get(f"/api/v1/disclosures/{request_id}")).status_code == 404
    listing = await client.get("/disclosures")
    assert mine.reference in listing.text and hidden.reference not in listing.text
    assert "Hana" not in listing.text and other.reference not in listing.text
    page = await client.get(f"/disclosures/{mine.id}")
    assert page.status_code == 200 and "Record the decision" not in page.text  # an auditor only reads
    body = (await client.get(f"/api/v1/disclosures/{mine.id}")).json()
    assert body["reference"] == mine.reference and body["days_left"] == 27 and body["overdue"] is False
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.actor_label, AuditEvent.object_id).where(
        AuditEvent.action == "disclosure_request.read"))).all()
    assert reads == [("auditor1", str(mine.id)), ("auditor1", str(mine.id))]
    # An auditor may read but not change.
    assert (await client.post(f"/api/v1/disclosures/{mine.id}/decision",
                              json={"decision": "disclose", "rationale": "x"})).status_code == 403


async def test_the_api_records_decides_and_discloses_under_the_same_rules(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    page = await client.get("/disclosures")
    headers = {"x-csrf-token": csrf_from(page.text)}
    received = datetime.now(UTC) - 5 * D
    body = {"route": "right-to-know", "person_at_risk_id": scene.victim.id, "subject_id": scene.person.id,
            "applicant_name": "IDVA service", "applicant_relationship": "IDVA",
            "received_at": (datetime.now(UTC) + D).isoformat()}
    refused = await client.post("/api/v1/disclosures", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "received_at",
                                         "message": "The date the request was received must not be in the future"}]
    created = await client.post("/api/v1/disclosures", json={**body, "received_at": received.isoformat()},
                                headers=headers)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["status"] == "received" and out["days_left"] == 23
    assert datetime.fromisoformat(out["due_by"]) == received + 28 * D
    url = f"/api/v1/disclosures/{out['id']}"
    early = await client.post(f"{url}/decision", json={"decision": "no-disclosure", "rationale": "No record"},
                              headers=headers)
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "decision"
    await set_force_context(db, force_a.id, scene.staff.user.id)
    await service.advance(db, actor_for(scene.staff, force_a), out["id"], "checks")
    decided = await client.post(f"{url}/decision", headers=headers, json={
        "decision": "no-disclosure", "rationale": "Nothing held that meets the threshold",
        "decided_at": (received + D).isoformat()})
    assert decided.status_code == 200, decided.text
    assert decided.json()["completed_at"] is not None and decided.json()["overdue"] is False
    disclose = await client.post(f"{url}/disclosure", headers=headers, json={
        "disclosed_to": "x", "disclosed_at": (received + 2 * D).isoformat(), "disclosure_text": "y"})
    assert disclose.status_code == 422
    assert disclose.json()["errors"] == [{"field": "disclosure", "message": "A disclosure can be recorded only "
                                                                            "after a decision to disclose"}]
    missing = await client.post("/api/v1/disclosures/999999/decision", headers=headers,
                                json={"decision": "disclose", "rationale": "x"})
    assert missing.status_code == 404
    await set_force_context(db, force_a.id)
    assert await db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "disclosure.decide")) == 1
