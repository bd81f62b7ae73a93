"""The caller history at a glance shows the active orders and bail conditions of the people at a number, and
breach alerts at the top when the subject of an active order is linked to the call together with a person the
order protects, or with an address it bars them from. Each order shown is an audited read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.crimes.models import Bail
from safeguard.db.session import set_force_context
from safeguard.people import glance
from safeguard.people.models import PersonPhone
from safeguard.people.service import restrict
from safeguard.safeguarding import orders
from tests.conftest import ForceData, sign_in
from tests.integration.crime_scene import actor_for, crime_scene
from tests.integration.order_scene import LANDLINE, NOW, dapn, order_scene

H = timedelta(hours=1)


async def test_the_control_room_sees_the_order_and_the_breach_alerts(client: httpx.AsyncClient, db: AsyncSession,
                                                                     force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    await sign_in(client, scene.handler)
    page = await client.get("/people/history", params={"number": "01632 960555"})
    assert page.status_code == 200
    body = page.text
    alerts = body[body.index('data-testid="breach-alerts"'):body.index('data-testid="glance-order"')]
    assert (f"Dean Carver is barred from contacting Alice Marsh by DAPN {order.reference}, and both are linked to "
            "this call") in alerts
    assert (f"Dean Carver is barred from 8 Tanner Street, Northfield, ZZ3 8TS (within 100 m) by DAPN "
            f"{order.reference}: an address linked to this call") in alerts
    # A call handler's role does not open order records: the card shows the order in full instead, with no
    # link that would refuse them.
    assert f'href="/orders/{order.id}"' not in body and f"DAPN {order.reference}" in body
    assert body.index('data-testid="breach-alerts"') < body.index('data-testid="glance-person"')
    assert "Keep away from 8 Tanner Street, Northfield, ZZ3 8TS (within 100 m)." in body
    await set_force_context(db, force_a.id)
    reads = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "protective_order.read")))
    assert [(e.object_id, e.reason) for e in reads] == [(str(order.id), "history at a glance")]
    # The subject's own mobile: the order is shown, but no one it protects and no barred address is linked.
    own = await client.get("/people/history", params={"number": "07700 900777"})
    assert 'data-testid="glance-order"' in own.text and 'data-testid="breach-alerts"' not in own.text
    # An officer, who may open it, is offered the order's record.
    client.cookies.clear()
    await sign_in(client, scene.officer)
    officer_view = (await client.get("/people/history", params={"number": "01632 960555"})).text
    assert f'href="/orders/{order.id}"' in officer_view


async def test_telephony_gets_the_same_alerts_and_orders_from_the_api(client: httpx.AsyncClient, db: AsyncSession,
                                                                      force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    await sign_in(client, scene.handler)
    response = await client.get("/api/v1/people/history", params={"number": "01632 960555"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [a["order_id"] for a in body["alerts"]] == [order.id, order.id]
    assert all(a["kind"] == "DAPN" and a["subject"] == "Dean Carver" for a in body["alerts"])
    assert any("barred from contacting Alice Marsh" in a["message"] for a in body["alerts"])
    [active] = body["active_orders"]
    assert active["id"] == order.id and active["reference"] == order.reference and active["no_contact"] is True
    assert active["subject"]["display_name"] == "Dean Carver"
    assert [p["display_name"] for p in active["protected"]] == ["Alice Marsh"]
    assert active["exclusion_zones"] == [{"address": "8 Tanner Street, Northfield, ZZ3 8TS", "radius_m": 100}]


async def test_an_ended_or_expired_order_raises_no_alert(db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    handler = actor_for(scene.handler, force_a)
    found = await glance.history_for_number(db, handler, LANDLINE)
    assert len(found.alerts) == 2 and [o.id for o in found.orders] == [order.id]
    await orders.end_order(db, scene.actor, order.id, orders.Ending("withdrawn", "Application withdrawn"))
    found = await glance.history_for_number(db, handler, LANDLINE)
    assert found.alerts == [] and found.orders == []
    await orders.record_order(db, scene.actor, orders.NewOrder(
        kind="non-molestation", subject_id=scene.subject.id, protected_ids=[scene.victim.id], no_contact=True,
        starts_at=NOW - 30 * 24 * H, expires_at=NOW - H, court="Family Court"), now=NOW - 30 * 24 * H)
    found = await glance.history_for_number(db, handler, LANDLINE)
    assert found.alerts == [] and found.orders == []


async def test_queries_for_other_callers(db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene, zones=[]))
    involved = await orders.active_orders_involving(db, [scene.victim.id])
    assert [o.id for o in involved] == [order.id] and involved[0].subject.display_name == "Dean Carver"
    assert await orders.breach_alerts(db, [scene.subject.id], [scene.home.id]) == []  # no zone on this order
    alerts = await orders.breach_alerts(db, [scene.subject.id, scene.victim.id], [])
    assert [a.order_id for a in alerts] == [order.id]
    assert await orders.breach_alerts(db, [scene.victim.id], [scene.home.id]) == []  # the victim is not bound


async def test_a_restricted_victim_is_withheld_from_the_order_on_the_glance(db: AsyncSession,
                                                                            force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    await orders.record_order(db, scene.actor, dapn(scene, zones=[]))
    await restrict(db, force_id=force_a.id, by_user_id=scene.officer.user.id, by_label="officer",
                   reason="Refuge", person_id=scene.victim.id)
    await set_force_context(db, force_a.id, scene.handler.user.id)
    found = await glance.history_for_number(db, actor_for(scene.handler, force_a), LANDLINE)
    assert [p.display_name for p in found.orders[0].protected] == ["Restricted person"]
    assert [a.message for a in found.alerts] == [
        f"Dean Carver is bound by DAPN {found.orders[0].reference} to protect someone whose record is restricted, "
        "and a restricted person is linked to this call: ask the public protection unit"]
    assert "Alice" not in repr(found)


async def test_current_bail_conditions_are_shown(db: AsyncSession, force_a: ForceData) -> None:
    crime = await crime_scene(db, force_a)
    today = datetime.now(UTC).date()
    db.add_all([PersonPhone(force_id=force_a.id, person_id=crime.person.id, number_e164="+447700900888"),
                Bail(force_id=force_a.id, suspect_id=crime.suspect.id, starts_on=today - timedelta(days=3),
                     return_on=today + timedelta(days=60), authority="custody-officer", set_by="Sgt Example",
                     conditions=[{"kind": "no-contact", "detail": "Carla Benning"},
                                 {"kind": "exclusion", "detail": "Elm Road"}]),
                Bail(force_id=force_a.id, suspect_id=crime.suspect.id, starts_on=today - timedelta(days=90),
                     return_on=today - timedelta(days=10), authority="custody-officer", set_by="Sgt Example",
                     conditions=[{"kind": "curfew", "detail": "Old curfew"}])])
    await db.flush()
    found = await glance.history_for_number(db, crime.actor, "07700 900888")
    assert [(b.person, b.conditions) for b in found.bails] == [
        ("Dean Holloway", [("No contact, direct or indirect, with", "Carla Benning"),
                           ("Not to enter (street, area or address)", "Elm Road")])]
