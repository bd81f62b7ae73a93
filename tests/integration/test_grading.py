"""THRIVE grading: the suggestion with its reasons from the number's markers and alerts, the refusals (THRIVE
boxes, below the suggestion without a reason, a closed contact), the history of re-grades, attendance targets
from the force's settings with the clock from receipt, closing a contact, and another force's contact hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Contact, ContactGrade
from safeguard.db.session import set_force_context
from safeguard.people.models import Marker
from safeguard.safeguarding import orders
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.order_scene import LANDLINE, dapn, order_scene

NUMBER = "+447700900321"
THRIVE = {"threat": "Ex-partner at the door shouting threats", "harm": "Pushed the caller; graze on the arm",
          "risk": "Likely to escalate before officers arrive", "investigation": "Common assault; BWV at scene",
          "vulnerability": "Two children in the house", "engagement": "Caller can talk by yes/no taps"}


async def _contact(db: AsyncSession, force: ForceData, **values: object) -> Contact:
    await set_force_context(db, force.id)
    fields: dict[str, object] = {"channel": "999", "caller_number": NUMBER,
                                 "received_at": datetime.now(UTC) - timedelta(minutes=5)}
    fields.update(values)
    contact = Contact(force_id=force.id, **fields)
    db.add(contact)
    await db.flush()
    return contact


async def _history(db: AsyncSession, force: ForceData, contact_id: int) -> list[ContactGrade]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(ContactGrade).where(ContactGrade.contact_id == contact_id)
                                 .order_by(ContactGrade.id)))


async def test_a_handler_grades_a_silent_call_from_a_high_risk_number_and_re_grades_it(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    contact = await _contact(db, force_a, channel="999-silent", pressed_55=True, da_flag=True)
    db.add(Marker(force_id=force_a.id, phone_e164=NUMBER, kind="da-high-risk-victim", starts_on=date.today(),
                  set_by="test"))
    await db.flush()
    await sign_in(client, handler)
    page = await client.get(f"/contacts/{contact.id}/grade")
    assert page.status_code == 200
    suggestion = page.text[page.text.index('data-testid="grade-suggestion"'):]
    assert "Suggested grade: Emergency" in suggestion
    for reason in ("Silent 999 call: the caller pressed 55",
                   "DA high-risk victim marker on the number or a person linked to it",
                   "Domestic abuse flagged on the contact"):
        assert reason in suggestion.split("</ul>")[0], reason
    assert 'value="emergency" checked' in page.text  # the suggestion is preselected
    # Below the suggestion without a reason, and a THRIVE box left empty: refused, nothing saved, values kept.
    form = {"csrf_token": csrf_from(page.text), **THRIVE, "harm": " ", "grade": "priority", "below_reason": ""}
    refused = await client.post(f"/contacts/{contact.id}/grade", data=form)
    assert refused.status_code == 400
    assert ('href="#below_reason">You chose priority, below the suggested emergency: give the reason for grading '
            'lower') in refused.text
    assert 'href="#harm">Enter the harm: what you found about harm on this call' in refused.text
    assert "Two children in the house" in refused.text
    assert await _history(db, force_a, contact.id) == []
    first = await client.post(f"/contacts/{contact.id}/grade", data={**form, "harm": THRIVE["harm"],
                                                                     "grade": "emergency"})
    assert first.status_code == 303 and first.headers["location"] == f"/contacts/{contact.id}"
    lower = await client.post(f"/contacts/{contact.id}/grade", data={
        **form, "harm": THRIVE["harm"], "grade": "priority",
        "below_reason": "Caller has left; now safe at a neighbour's with the children"})
    assert lower.status_code == 303
    history = await _history(db, force_a, contact.id)
    assert [(h.grade, h.suggested_grade) for h in history] == [("emergency", "emergency"), ("priority", "emergency")]
    assert history[0].below_reason is None
    assert history[1].below_reason == "Caller has left; now safe at a neighbour's with the children"
    assert history[1].thrive == THRIVE and history[1].graded_by == handler.user.username
    assert "Silent 999 call: the caller pressed 55" in history[1].reasons
    assert history[0].graded_at <= history[1].graded_at
    await db.refresh(contact)
    assert (contact.grade, contact.graded_at) == ("priority", history[1].graded_at)
    again = await client.get(f"/contacts/{contact.id}/grade")
    table = again.text[again.text.index('data-testid="grade-history"'):]
    assert table.index("Priority") < table.index("Emergency")  # newest first
    assert "now safe at a neighbour&#39;s with the children" in table
    await set_force_context(db, force_a.id)
    actions = [e.action for e in await db.scalars(select(AuditEvent).where(AuditEvent.object_id == str(contact.id))
                                                 .order_by(AuditEvent.id))]
    assert actions.count("contact.graded") == 2 and "contact.read" in actions


async def test_an_order_breach_alert_raises_the_suggestion(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    contact = await _contact(db, force_a, channel="101", caller_number=LANDLINE)
    await sign_in(client, scene.handler)
    before = (await client.get(f"/api/v1/contacts/{contact.id}/grading")).json()
    assert before["suggested_grade"] == "scheduled"
    await orders.record_order(db, scene.actor, dapn(scene))
    after = (await client.get(f"/api/v1/contacts/{contact.id}/grading")).json()
    assert after["suggested_grade"] == "emergency"
    assert after["reasons"][0].startswith("Order breach alert")


async def test_the_api_names_each_field_and_the_clock_runs_from_receipt(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    contact = await _contact(db, force_a, channel="101", caller_number=None, received_at=received, injury=True,
                             rural=True)
    await sign_in(client, handler)
    url = f"/api/v1/contacts/{contact.id}/grade"
    headers = {"x-csrf-token": csrf_from((await client.get(f"/contacts/{contact.id}/grade")).text)}
    bad = await client.post(url, json={"grade": "soon", "thrive": {"threat": "x"}}, headers=headers)
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"grade", "thrive.harm", "thrive.risk", "thrive.investigation", "thrive.vulnerability",
                      "thrive.engagement"}
    below = await client.post(url, json={"grade": "scheduled", "thrive": THRIVE}, headers=headers)
    assert below.status_code == 422
    assert below.json()["errors"] == [{"field": "below_reason", "message": "You chose scheduled, below the "
                                       "suggested emergency: give the reason for grading lower"}]
    priority = await client.post(url, json={"grade": "priority", "thrive": THRIVE,
                                            "below_reason": "Injury is old; suspect left an hour ago"},
                                 headers=headers)
    assert priority.status_code == 201, priority.text
    assert datetime.fromisoformat(priority.json()["attend_by"]) == received + timedelta(minutes=60)
    # The force sets its own targets; an upgrade keeps the clock from when the contact was received.
    await set_force_context(db, force_a.id)
    force_a.force.settings = {"control_room": {"attendance_minutes": {"emergency": {"urban": 12, "rural": 25}}}}
    await db.flush()
    upgraded = await client.post(url, json={"grade": "emergency", "thrive": THRIVE}, headers=headers)
    body = upgraded.json()
    assert datetime.fromisoformat(body["attend_by"]) == received + timedelta(minutes=25)  # rural
    assert [h["grade"] for h in body["history"]] == ["priority", "emergency"]
    assert body["history"][0]["below_reason"] == "Injury is old; suspect left an hour ago"


async def test_a_force_can_change_the_grading_rules(client: httpx.AsyncClient, db: AsyncSession,
                                                    force_a: ForceData) -> None:
    handler = await make_user(db, force_a, "call_handler")
    contact = await _contact(db, force_a, channel="101", caller_number=None, children_present=True)
    await sign_in(client, handler)
    assert (await client.get(f"/api/v1/contacts/{contact.id}/grading")).json()["suggested_grade"] == "priority"
    await set_force_context(db, force_a.id)
    force_a.force.settings = {"control_room": {"grading": {"factors": {"children_present": "emergency"}}}}
    await db.flush()
    assert (await client.get(f"/api/v1/contacts/{contact.id}/grading")).json()["suggested_grade"] == "emergency"


async def test_a_closed_contact_cannot_be_graded_and_closing_needs_a_reason(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    supervisor = await make_user(db, force_a, "control_room_supervisor")
    contact = await _contact(db, force_a, channel="101", caller_number=None)
    await sign_in(client, supervisor)
    page = await client.get(f"/contacts/{contact.id}/grade")
    token = csrf_from(page.text)
    no_reason = await client.post(f"/contacts/{contact.id}/close", data={"csrf_token": token, "close_reason": " "})
    assert no_reason.status_code == 400
    assert 'href="#close_reason">Enter why the contact is being closed' in no_reason.text
    closed = await client.post(f"/contacts/{contact.id}/close",
                               data={"csrf_token": token, "close_reason": "Advice given; no attendance needed"})
    assert closed.status_code == 303 and closed.headers["location"] == "/board"
    await db.refresh(contact)
    assert contact.status == "closed" and contact.closed_at is not None
    refused = await client.post(f"/api/v1/contacts/{contact.id}/grade", json={"grade": "emergency", "thrive": THRIVE},
                                headers={"x-csrf-token": token})
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {"field": "grade", "message": "This contact is closed, so it cannot be "
                                           "graded. Open a new contact if the caller needs police again"}
    form = await client.post(f"/contacts/{contact.id}/grade", data={"csrf_token": token, **THRIVE,
                                                                    "grade": "emergency"})
    assert form.status_code == 400 and "This contact is closed" in form.text
    twice = await client.post(f"/api/v1/contacts/{contact.id}/close", json={"reason": "again"},
                              headers={"x-csrf-token": token})
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "reason"
    assert await _history(db, force_a, contact.id) == []
    await set_force_context(db, force_a.id)
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "contact.closed"))
    assert event is not None and event.reason == "Advice given; no attendance needed"


async def test_another_forces_contact_is_not_found_and_a_reader_may_not_grade(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    theirs = await _contact(db, force_b, channel="999")
    handler = await make_user(db, force_a, "call_handler")
    await sign_in(client, handler)
    assert (await client.get(f"/contacts/{theirs.id}/grade")).status_code == 404
    token = csrf_from((await client.get("/board")).text)
    assert (await client.post(f"/contacts/{theirs.id}/grade", data={"csrf_token": token, **THRIVE,
                                                                    "grade": "emergency"})).status_code == 404
    api = await client.post(f"/api/v1/contacts/{theirs.id}/grade", json={"grade": "emergency", "thrive": THRIVE},
                            headers={"x-csrf-token": token})
    assert api.status_code == 404
    assert (await client.get(f"/api/v1/contacts/{theirs.id}/grading")).status_code == 404
    assert (await client.post(f"/contacts/{theirs.id}/close", data={"csrf_token": token, "close_reason": "x"})
            ).status_code == 404
    assert (await client.post(f"/api/v1/contacts/{theirs.id}/close", json={"reason": "x"},
                              headers={"x-csrf-token": token})).status_code == 404
    assert await _history(db, force_b, theirs.id) == []
    ours = await _contact(db, force_a, channel="999")
    specialist = await make_user(db, force_a, "da_specialist")
    await client.post("/logout", data={"csrf_token": token})
    client.cookies.clear()
    await sign_in(client, specialist)
    assert (await client.get(f"/contacts/{ours.id}/grade")).status_code == 403
