"""What intake works out about a new contact in its few statements: the DA flag (a DA marker on the number or on a
person linked to it, in the force's own list of kinds; or an active protective order involving such a person),
and the AML fixes from the number that arrived before the call, attached by the API post itself. The audit event
of the contact comes first, then the attachment's."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import P
from safeguard.auth.tokens import create_token
from safeguard.contact import intake
from safeguard.contact.models import AmlFix, Contact
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.people.models import Marker, Person, PersonPhone
from safeguard.safeguarding import orders
from tests.conftest import ForceData
from tests.integration.order_scene import LANDLINE, dapn, order_scene

NOW = datetime.now(UTC).replace(microsecond=0)
NUMBER = "+447700900321"


def _body(number: str) -> dict[str, Any]:
    return {"channel": "999", "caller_number": number, "pressed_55": False,
            "received_at": (NOW - timedelta(seconds=30)).isoformat().replace("+00:00", "Z")}


async def _post(client: httpx.AsyncClient, db: AsyncSession, force: ForceData, number: str) -> Contact:
    token = await create_token(db, force_id=force.id, name=f"switch {secrets.token_hex(2)}",
                               scopes=["contacts:write"])
    response = await client.post("/api/v1/contacts", json=_body(number),
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(6)})
    assert response.status_code == 201, response.text
    await set_force_context(db, force.id)
    contact = await db.scalar(select(Contact).where(Contact.id == response.json()["id"])
                              .execution_options(populate_existing=True))
    assert contact is not None
    return contact


async def _person_at(db: AsyncSession, force: ForceData, number: str) -> Person:
    await set_force_context(db, force.id)
    person = Person(force_id=force.id, forename="Lee", surname="Fenwick", dob_year=1979)
    db.add(person)
    await db.flush()
    db.add(PersonPhone(force_id=force.id, person_id=person.id, number_e164=number))
    await db.flush()
    return person


def _marker(force: ForceData, kind: str, *, person: Person | None = None, phone: str | None = None,
            ends_on: date | None = None) -> Marker:
    return Marker(force_id=force.id, person_id=person.id if person else None, phone_e164=phone, kind=kind,
                  starts_on=date(2025, 1, 5), ends_on=ends_on, set_by="pc.example")


async def test_a_da_marker_on_a_person_at_the_number_flags_the_contact(client: httpx.AsyncClient, db: AsyncSession,
                                                                       force_a: ForceData) -> None:
    person = await _person_at(db, force_a, NUMBER)
    db.add(_marker(force_a, "da-high-risk-victim", person=person))
    await db.flush()
    assert (await _post(client, db, force_a, NUMBER)).da_flag is True


async def test_a_da_marker_on_the_number_itself_flags_the_contact(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    db.add(_marker(force_a, "stalking", phone=NUMBER))
    await db.flush()
    assert (await _post(client, db, force_a, NUMBER)).da_flag is True


async def test_ended_and_other_markers_and_other_numbers_do_not(client: httpx.AsyncClient, db: AsyncSession,
                                                                force_a: ForceData) -> None:
    person = await _person_at(db, force_a, NUMBER)
    db.add_all([_marker(force_a, "da-perpetrator", person=person, ends_on=date(2025, 6, 1)),
                _marker(force_a, "weapons", person=person), _marker(force_a, "da-perpetrator", phone="+447700900999")])
    await db.flush()
    assert (await _post(client, db, force_a, NUMBER)).da_flag is False


async def test_the_forces_own_list_of_da_kinds_is_used(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData) -> None:
    person = await _person_at(db, force_a, NUMBER)
    db.add(_marker(force_a, "weapons", person=person))
    force = await db.get(Force, force_a.id)
    assert force is not None
    force.settings = {**(force.settings or {}), "contact_da_marker_kinds": ["weapons"]}
    await db.flush()
    assert (await _post(client, db, force_a, NUMBER)).da_flag is True
    force.settings = {**force.settings, "contact_da_marker_kinds": ["stalking"]}
    db.add(_marker(force_a, "da-perpetrator", phone=NUMBER))  # a default DA kind, but not in the force's list
    await db.flush()
    assert (await _post(client, db, force_a, NUMBER)).da_flag is False


async def test_an_active_order_involving_a_person_at_the_number_flags_the_contact(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    await orders.record_order(db, scene.actor, dapn(scene))
    assert (await _post(client, db, force_a, LANDLINE)).da_flag is True


async def test_an_ended_order_no_longer_flags_the_call(client: httpx.AsyncClient, db: AsyncSession,
                                                       force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    await orders.end_order(db, scene.actor, order.id, orders.Ending("withdrawn", "Application withdrawn"))
    assert (await _post(client, db, force_a, LANDLINE)).da_flag is False


async def test_a_fix_held_before_the_call_is_attached_by_the_post(client: httpx.AsyncClient, db: AsyncSession,
                                                                  force_a: ForceData, force_b: ForceData) -> None:
    def fix(force: ForceData, number: str, minutes_before: int, imei: str) -> AmlFix:
        fixed = NOW - timedelta(minutes=minutes_before)
        return AmlFix(force_id=force.id, msisdn=number, imei=imei, transport="sms", version="1", has_fix=True,
                      latitude=52.48, longitude=-1.89, radius_m=20, confidence_pct=68, method="gnss",
                      fixed_at=fixed, received_at=fixed, raw='A"ML=1;...')

    await set_force_context(db, force_b.id)
    theirs = fix(force_b, NUMBER, 1, "356938035643801")
    db.add(theirs)
    await db.flush()
    await set_force_context(db, force_a.id)
    early, stale, other = (fix(force_a, NUMBER, 1, "356938035643802"), fix(force_a, NUMBER, 600, "356938035643803"),
                           fix(force_a, "+447700900999", 1, "356938035643804"))
    db.add_all([early, stale, other])
    await db.flush()
    contact = await _post(client, db, force_a, NUMBER)
    held = {f.id: f.contact_id for f in await db.scalars(
        select(AmlFix).where(AmlFix.force_id == force_a.id).execution_options(populate_existing=True))}
    assert held == {early.id: contact.id, stale.id: None, other.id: None}  # stale: outside the 60-minute window
    await set_force_context(db, force_b.id)
    assert await db.scalar(select(AmlFix.contact_id).where(AmlFix.id == theirs.id)) is None
    await set_force_context(db, force_a.id)
    events = [(e.action, e.object_id) for e in await db.scalars(
        select(AuditEvent).where(AuditEvent.force_id == force_a.id,
                                 AuditEvent.action.in_(("contact.received", "aml.attach_held")))
        .order_by(AuditEvent.id))]
    assert events == [("contact.received", str(contact.id)), ("aml.attach_held", str(contact.id))]


async def test_without_a_held_fix_nothing_is_attached_and_the_contact_is_usable(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    contact = await _post(client, db, force_a, NUMBER)
    assert (contact.status, contact.caller_number, contact.taken_by) == ("open", NUMBER, "telephony")
    assert not list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "aml.attach_held")))
    # The contact receive_contact returns is the session's own: a change to it is saved like any loaded row.
    await set_force_context(db, force_a.id)
    new = intake.NewContact(channel="101", caller_number=NUMBER, received_at=NOW - timedelta(seconds=5))
    actor = Actor(kind="token", force_id=force_a.id, label="token:switch", permissions=frozenset({P.CONTACT_WRITE}))
    mine, created = await intake.receive_contact(db, actor, new, idempotency_key="k-own")
    assert created and mine in db and mine.status == "open"
    again, created_again = await intake.receive_contact(db, actor, new, idempotency_key="k-own")
    assert again is mine and created_again is False
    mine.note = "Added after the call"
    await db.flush()
    assert await db.scalar(select(Contact.note).where(Contact.id == mine.id)) == "Added after the call"
