"""Protective orders through the service, the API and the pages: clocks worked out when recorded, refusals that
name the field and save nothing, breaches with the DAPN court clock, ending an order, restricted people withheld,
another force's order not found, and every read audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.people.service import restrict
from safeguard.safeguarding import clocks, orders
from safeguard.safeguarding.models import OrderBreach, ProtectiveOrder, SafeContact
from safeguard.safeguarding.order_rules import OrderRules
from tests.conftest import ForceData, csrf_from, sign_in
from tests.integration.order_scene import NOW, counts, dapn, order_scene

H = timedelta(hours=1)
D = timedelta(days=1)


def _when(prefix: str, at: datetime) -> dict[str, str]:
    local = orders.uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


async def _actions(db: AsyncSession, force: ForceData, action: str) -> list[AuditEvent]:
    await set_force_context(db, force.id)
    return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- the service ----------------------------------------------------------------------------------------------

async def test_a_dapn_is_recorded_with_its_48_hour_hearing_clock(db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    served = NOW - 2 * H
    order = await orders.record_order(db, scene.actor, dapn(scene, served))
    assert order.reference.startswith("PO-") and order.status == "active"
    assert order.hearing_due_by == clocks.count_hours(served, 48, OrderRules().excluded)
    assert order.authorised_by == "Insp 4411 Priya Shah (Inspector)"
    view = await orders.read_order(db, scene.actor, order.id)
    assert [p.display_name for p in view.protected] == ["Alice Marsh"]
    assert [(z.address, z.radius_m) for z in view.zones] == [("8 Tanner Street, Northfield, ZZ3 8TS", 100)]
    hearing = view.clocks[0]
    assert hearing.code == "hearing" and hearing.label == "DAPO application heard within 48 hours of service"
    assert hearing.left.startswith("in ")
    created = await _actions(db, force_a, "protective_order.create")
    assert created and created[0].details == {"reference": order.reference, "kind": "dapn", "protected": 1,
                                              "zones": 1, "follows_order_id": None, "via": "web"}
    assert [e.object_id for e in await _actions(db, force_a, "protective_order.read")] == [str(order.id)]


async def test_a_dapo_supersedes_its_dapn_and_gets_the_notification_clock(db: AsyncSession,
                                                                          force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    notice = await orders.record_order(db, scene.actor, dapn(scene, NOW - 30 * H))
    made = NOW - H
    order = await orders.record_order(db, scene.actor, orders.NewOrder(
        kind="dapo", subject_id=scene.subject.id, protected_ids=[scene.victim.id], starts_at=made, no_contact=True,
        court="Northfield Magistrates", follows_order_id=notice.id, electronic_monitoring_until=made + 90 * D))
    assert order.notification_due_by == clocks.notification_due(made, 3)
    assert "Electronic monitoring until" in (order.conditions or "")
    earlier = await orders.read_order(db, scene.actor, notice.id)
    assert earlier.status == "superseded" and earlier.ended_reason == f"Superseded by DAPO {order.reference}"
    assert earlier.clocks == [] and earlier.followed_by == [(order.id, order.reference, "DAPO")]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"kind": "curfew"}, "kind", "Choose the kind of order"),
    ({"protected_ids": []}, "protected", "Give the person number of at least one person the order protects"),
    ({"served_at": NOW - 5 * H, "starts_at": NOW - 4 * H}, "served_at",
     "The order was served before it starts: the dates are in the wrong order"),
    ({"served_at": NOW + 2 * H, "starts_at": NOW + 2 * H}, "served_at", "must not be in the future"),
    ({"authoriser_rank": "sergeant"}, "authoriser_rank",
     "A DAPN must be authorised by an officer of the rank of inspector or above"),
    ({"authorised_by": ""}, "authorised_by", "name the officer"),
    ({"expires_at": NOW + 5 * D}, "expires_at", "A DAPN lasts until the court decides the application"),
    ({"zones": [orders.NewZone(2**60, None)]}, "zones", f"There is no address {2**60} in your force"),
    ({"no_contact": False, "zones": []}, "conditions", "Give the order's terms"),
])
async def test_a_bad_order_is_refused_and_nothing_is_saved(changes: dict[str, object], field: str, message: str,
                                                           db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    before = await counts(db, force_a)
    await set_force_context(db, force_a.id, scene.officer.user.id)
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.record_order(db, scene.actor, dapn(scene, **changes))
    assert message in refused.value.errors[field], refused.value.errors
    assert await counts(db, force_a) == before


async def test_the_subject_cannot_protect_himself_and_a_child_cannot_be_given_a_dapn(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.record_order(db, scene.actor, dapn(scene, protected_ids=[scene.subject.id]))
    assert refused.value.errors["protected"] == "The person the order binds cannot also be a person it protects"
    child = Person(force_id=force_a.id, forename="Kyle", surname="Carver", dob_year=NOW.year - 16)
    db.add(child)
    await db.flush()
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.record_order(db, scene.actor, dapn(scene, subject_id=child.id))
    assert refused.value.errors["subject"].startswith("A DAPN cannot be given to anyone under 18")


async def test_a_dvpo_must_last_14_to_28_days_and_dates_in_the_wrong_order_are_refused(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    base = orders.NewOrder(kind="dvpo", subject_id=scene.subject.id, protected_ids=[scene.victim.id],
                           starts_at=NOW - H, no_contact=True, court="Northfield Magistrates")
    for expires, message in ((NOW + 40 * D, "A DVPO lasts 14 to 28 days: this one would last"),
                             (None, "A DVPO must have an expiry"),
                             (NOW - 2 * H, "The order expires before it starts: the dates are in the wrong order")):
        with pytest.raises(orders.OrderRefused) as refused:
            await orders.record_order(db, scene.actor, orders.NewOrder(**{**vars(base), "expires_at": expires}))
        assert refused.value.errors["expires_at"].startswith(message), refused.value.errors
    order = await orders.record_order(db, scene.actor, orders.NewOrder(**{**vars(base), "expires_at": NOW + 27 * D}))
    assert order.hearing_due_by is None and order.expires_at is not None


async def test_a_dvpn_needs_a_superintendent_unless_the_force_says_otherwise(db: AsyncSession,
                                                                           force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    notice = dapn(scene, kind="dvpn")
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.record_order(db, scene.actor, notice)
    assert "superintendent or above" in refused.value.errors["authoriser_rank"]
    force_a.force.settings = {"protective_orders": {"dvpn_authoriser_ranks": ["inspector", "superintendent"]}}
    await db.flush()
    order = await orders.record_order(db, scene.actor, notice)
    assert order.kind == "dvpn" and order.hearing_due_by is not None


async def test_a_dapn_breach_sets_the_court_clock_and_bad_breaches_are_refused(db: AsyncSession,
                                                                               force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    served = NOW - 20 * H
    order = await orders.record_order(db, scene.actor, dapn(scene, served))
    for new, field, message in (
            (orders.NewBreach(served - H, "Came to the house"), "occurred_at", "a breach cannot come before it"),
            (orders.NewBreach(NOW + 3 * H, "Came to the house"), "occurred_at", "must not be in the future"),
            (orders.NewBreach(NOW - H, "  "), "description", "Describe what the subject did"),
            (orders.NewBreach(NOW - H, "Came", arrested_at=NOW - 2 * H), "arrested_at",
             "The arrest is before the breach")):
        with pytest.raises(orders.OrderRefused) as refused:
            await orders.record_breach(db, scene.actor, order.id, new)
        assert message in refused.value.errors[field]
    arrested = NOW - 30 * timedelta(minutes=1)
    breach = await orders.record_breach(db, scene.actor, order.id, orders.NewBreach(
        NOW - H, "Seen at the front door of 8 Tanner Street", location_id=scene.home.id, arrested_at=arrested))
    expected = clocks.breach_court_due(arrested, 24, OrderRules().excluded, order.hearing_due_by)
    assert breach.court_due_by == expected
    view = await orders.read_order(db, scene.actor, order.id)
    assert view.breaches[0].court is not None and view.breaches[0].location == "8 Tanner Street, Northfield, ZZ3 8TS"


async def test_ending_an_order_needs_a_reason_and_an_ended_order_cannot_end_again(db: AsyncSession,
                                                                                 force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.end_order(db, scene.actor, order.id, orders.Ending("cancelled", ""))
    assert set(refused.value.errors) == {"status", "reason"}
    await orders.end_order(db, scene.actor, order.id, orders.Ending("withdrawn", "Victim moved out of the area",
                                                                          NOW - 30 * timedelta(minutes=1)))
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.end_order(db, scene.actor, order.id, orders.Ending("discharged", "again"))
    assert refused.value.errors["status"] == "This order is withdrawn: it has already ended"
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.record_breach(db, scene.actor, order.id,
                                   orders.NewBreach(NOW - 10 * timedelta(minutes=1), "Phoned her"))
    assert "it cannot be breached after that" in refused.value.errors["occurred_at"]


async def test_an_order_past_its_expiry_shows_as_expired(db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, orders.NewOrder(
        kind="bail-conditions", subject_id=scene.subject.id, protected_ids=[scene.victim.id],
        starts_at=NOW - 20 * D, expires_at=NOW - D, conditions="Not to enter Tanner Street"), now=NOW)
    view = await orders.read_order(db, scene.actor, order.id)
    assert view.status == "expired" and view.status_label == "Expired" and not view.active
    assert await orders.active_orders(db, scene.actor) == []


async def test_a_restricted_protected_person_is_withheld_and_a_restricted_subject_hides_the_order(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    await restrict(db, force_id=force_a.id, by_user_id=scene.officer.user.id, by_label="officer",
                   reason="Moved to a refuge", person_id=scene.victim.id)
    # The officer who restricted her still sees her; a colleague does not.
    from tests.conftest import make_user
    from tests.integration.crime_scene import actor_for
    colleague = await make_user(db, force_a, "ppu_investigator")
    await set_force_context(db, force_a.id, colleague.user.id)
    view = await orders.read_order(db, actor_for(colleague, force_a), order.id)
    assert [(p.person_id, p.display_name) for p in view.protected] == [(None, "Restricted person")]
    assert "Alice" not in repr(view)
    await set_force_context(db, force_a.id, scene.officer.user.id)
    assert [p.display_name for p in (await orders.read_order(db, scene.actor, order.id)).protected] == ["Alice Marsh"]
    await restrict(db, force_id=force_a.id, by_user_id=scene.officer.user.id, by_label="officer",
                   reason="Witness protection", person_id=scene.subject.id)
    await set_force_context(db, force_a.id, colleague.user.id)
    with pytest.raises(orders.OrderNotFound):
        await orders.read_order(db, actor_for(colleague, force_a), order.id)


# -- the API --------------------------------------------------------------------------------------------------

async def test_the_api_records_reads_breaches_and_ends_an_order(client: httpx.AsyncClient, db: AsyncSession,
                                                                force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    token = await create_token(db, force_id=force_a.id, name="court feed", scopes=["orders:write",
                                                                                  "safeguarding:read"])
    auth = {"Authorization": f"Bearer {token}"}
    served = (NOW - 3 * H).isoformat()
    body = {"kind": "dapn", "subject_id": scene.subject.id, "protected_ids": [scene.victim.id], "no_contact": True,
            "zones": [{"location_id": scene.home.id, "radius_m": 200}], "starts_at": served, "served_at": served,
            "authorised_by": "Insp 4411 Priya Shah", "authoriser_rank": "inspector"}
    created = await client.post("/api/v1/orders", json=body, headers=auth)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["kind"] == "dapn" and order["status"] == "active"
    assert order["hearing_due_by"] is not None and order["clocks"][0]["code"] == "hearing"
    assert order["protected"] == [{"person_id": scene.victim.id, "display_name": "Alice Marsh",
                                   "date_of_birth": "1990", "withheld": False}]
    read = await client.get(f"/api/v1/orders/{order['id']}", headers=auth)
    assert read.status_code == 200 and read.json()["reference"] == order["reference"]
    breach = await client.post(f"/api/v1/orders/{order['id']}/breaches", headers=auth, json={
        "occurred_at": (NOW - H).isoformat(), "description": "Texted her 14 times",
        "arrested_at": (NOW - 0.5 * H).isoformat()})
    assert breach.status_code == 201, breach.text
    assert breach.json()["breaches"][0]["court_due_by"] is not None
    ended = await client.post(f"/api/v1/orders/{order['id']}/end", headers=auth,
                              json={"status": "discharged", "reason": "Discharged at the hearing"})
    assert ended.status_code == 200 and ended.json()["status"] == "discharged"
    again = await client.post(f"/api/v1/orders/{order['id']}/end", headers=auth,
                              json={"status": "withdrawn", "reason": "x"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "status"
    reads = await _actions(db, force_a, "protective_order.read")
    assert len(reads) >= 4 and {e.object_id for e in reads} == {str(order["id"])}


async def test_the_api_names_each_field_at_fault(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    token = await create_token(db, force_id=force_a.id, name="feed", scopes=["orders:write"])
    auth = {"Authorization": f"Bearer {token}"}
    before = await counts(db, force_a)
    refused = await client.post("/api/v1/orders", headers=auth, json={
        "kind": "asbo", "subject_id": scene.subject.id, "protected_ids": [scene.subject.id],
        "starts_at": NOW.isoformat(), "expires_at": (NOW - D).isoformat(), "no_contact": True})
    assert refused.status_code == 422
    fields = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert fields["kind"].startswith("Choose the kind of order") and "'asbo'" in fields["kind"]
    assert fields["protected_ids"] == "The person the order binds cannot also be a person it protects"
    assert fields["expires_at"] == "The order expires before it starts: the dates are in the wrong order"
    naive = await client.post("/api/v1/orders", headers=auth, json={
        "kind": "dapo", "subject_id": scene.subject.id, "protected_ids": [scene.victim.id], "no_contact": True,
        "starts_at": "2026-11-20T10:00:00", "electronic_monitoring_until": "2027-01-20T10:00:00"})
    assert naive.status_code == 422
    assert {e["field"]: e["message"] for e in naive.json()["errors"]} == {
        "starts_at": "Give the time the order starts with its time zone",
        "electronic_monitoring_until": "Give the time electronic monitoring ends with its time zone"}
    invalid = await client.post("/api/v1/orders", headers=auth, json={"kind": "dapn", "surprise": 1})
    assert invalid.status_code == 422
    assert {"subject_id", "surprise"} <= {e["field"] for e in invalid.json()["errors"]}
    assert await counts(db, force_a) == before


async def test_another_forces_order_is_not_found(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                                 force_b: ForceData) -> None:
    scene = await order_scene(db, force_a)
    order = await orders.record_order(db, scene.actor, dapn(scene))
    other = await order_scene(db, force_b)
    await sign_in(client, other.officer)
    assert (await client.get(f"/orders/{order.id}")).status_code == 404
    assert (await client.get(f"/api/v1/orders/{order.id}")).status_code == 404
    csrf = csrf_from((await client.get("/orders")).text)
    breach = await client.post(f"/orders/{order.id}/breaches", data={"csrf_token": csrf, "description": "x",
                                                                    **_when("occurred_at", NOW)})
    assert breach.status_code == 404
    end = await client.post(f"/api/v1/orders/{order.id}/end", json={"status": "withdrawn", "reason": "x"},
                            headers={"x-csrf-token": csrf})
    assert end.status_code == 404
    await set_force_context(db, force_a.id)
    assert (await db.scalar(select(ProtectiveOrder.status).where(ProtectiveOrder.id == order.id))) == "active"
    assert await db.scalar(select(OrderBreach.id)) is None


# -- the pages ------------------------------------------------------------------------------------------------

async def test_an_officer_records_a_dapn_on_the_page_and_a_breach(client: httpx.AsyncClient, db: AsyncSession,
                                                                  force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    await sign_in(client, scene.officer)
    find = await client.get("/orders/new")
    assert find.status_code == 200 and "Person number of the person the order binds" in find.text
    missing = await client.get("/orders/new", params={"subject": "999999999"})
    assert missing.status_code == 404 and "There is no person 999999999 in your force" in missing.text
    form = await client.get("/orders/new", params={"subject": str(scene.subject.id),
                                                   "protected": str(scene.victim.id)})
    assert form.status_code == 200
    assert "8 Tanner Street, Northfield, ZZ3 8TS (Alice Marsh's address)" in form.text
    served = NOW - H
    data = {"csrf_token": csrf_from(form.text), "subject_id": str(scene.subject.id), "kind": "dapn",
            "protected": str(scene.victim.id), "no_contact": "yes", "zone": str(scene.home.id),
            f"radius-{scene.home.id}": "100", **_when("starts_at", served), **_when("served_at", served),
            "authorised_by": "Insp 4411 Priya Shah", "authoriser_rank": "sergeant"}
    before = await counts(db, force_a)
    wrong = await client.post("/orders/new", data=data)
    assert wrong.status_code == 400
    assert ('href="#authoriser_rank">A DAPN must be authorised by an officer of the rank of inspector or above'
            in wrong.text)
    assert 'value="Insp 4411 Priya Shah"' in wrong.text
    assert await counts(db, force_a) == before
    recorded = await client.post("/orders/new", data={**data, "authoriser_rank": "inspector"})
    assert recorded.status_code == 303, recorded.text
    page = await client.get(recorded.headers["location"])
    assert page.status_code == 200
    assert "DAPO application heard within 48 hours of service" in page.text
    assert "8 Tanner Street, Northfield, ZZ3 8TS (within 100 m)" in page.text
    assert "No safe-contact preferences are recorded for Alice Marsh" in page.text
    order_id = int(recorded.headers["location"].rsplit("/", 1)[1])
    bad = await client.post(f"/orders/{order_id}/breaches", data={
        "csrf_token": csrf_from(page.text), "description": "", **_when("occurred_at", served - 2 * H)})
    assert bad.status_code == 400
    assert "a breach cannot come before it" in bad.text and "Describe what the subject did" in bad.text
    breach = await client.post(f"/orders/{order_id}/breaches", data={
        "csrf_token": csrf_from(page.text), "description": "Knocked at the door at 8 Tanner Street",
        **_when("occurred_at", NOW - 30 * timedelta(minutes=1)), **_when("arrested_at", NOW)})
    assert breach.status_code == 303
    page = await client.get(f"/orders/{order_id}")
    assert "Knocked at the door" in page.text and "Before the court by" in page.text
    listing = await client.get("/orders")
    assert listing.status_code == 200 and f'href="/orders/{order_id}"' in listing.text
    dapos = await client.get("/orders", params={"kind": "dapo"})
    assert f'href="/orders/{order_id}"' not in dapos.text and "No active orders of that kind" in dapos.text
    assert (await client.get("/orders", params={"kind": "nonsense"})).status_code == 400
    ended = await client.post(f"/orders/{order_id}/end", data={"csrf_token": csrf_from(page.text),
                                                               "end_status": "withdrawn", "end_reason": ""})
    assert ended.status_code == 400 and "Say why the order ended" in ended.text
    ended = await client.post(f"/orders/{order_id}/end", data={"csrf_token": csrf_from(page.text),
                                                               "end_status": "withdrawn",
                                                               "end_reason": "No longer necessary"})
    assert ended.status_code == 303
    assert "Withdrawn" in (await client.get(f"/orders/{order_id}")).text


async def test_clocks_due_within_a_day_are_highlighted_on_the_list(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    # Served an hour ago: the 48-hour hearing is at least 47 hours away, so not within the default 24.
    order = await orders.record_order(db, scene.actor, dapn(scene, datetime.now(UTC) - H))
    await sign_in(client, scene.officer)
    listing = await client.get("/orders")
    assert order.reference in listing.text and 'data-testid="clock-soon"' not in listing.text
    await set_force_context(db, force_a.id)
    force_a.force.settings = {"protective_orders": {"warn_within_hours": 24 * 10}}
    await db.flush()
    listing = await client.get("/orders")
    assert 'data-testid="clock-soon"' in listing.text and "Due soon" in listing.text


async def test_each_protected_person_gets_their_safe_contact_first(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    child = Person(force_id=force_a.id, forename="Mia", surname="Marsh", dob_year=2015)
    db.add(child)
    await db.flush()
    db.add(SafeContact(force_id=force_a.id, person_id=scene.victim.id, safe_number="+447700900123",
                       no_voicemail=True, updated_at=NOW, updated_by="officer"))
    await db.flush()
    order = await orders.record_order(db, scene.actor, dapn(scene, protected_ids=[scene.victim.id, child.id]))
    await sign_in(client, scene.officer)
    page = (await client.get(f"/orders/{order.id}")).text
    assert page.index("Safe contact: Alice Marsh") < page.index("<h1")
    assert "Do not leave voicemail" in page and "07700 900123" in page
    assert "No safe-contact preferences are recorded for Mia Marsh" in page
    assert page.count('id="safe-contact-heading-1"') == 1 and page.count('id="safe-contact-heading-2"') == 1
    assert 'id="safe-contact-heading"' not in page


async def test_the_order_page_shows_the_days_not_counted(db: AsyncSession, force_a: ForceData) -> None:
    scene = await order_scene(db, force_a)
    served = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)  # 15:00 UK time, the Thursday before Easter
    order = await orders.record_order(db, scene.actor, dapn(scene, served), now=served + H)
    view = await orders.read_order(db, scene.actor, order.id, now=served + H)
    hearing = view.clocks[0]
    assert orders.uk_time(hearing.due).strftime("%a %d %b %H:%M") == "Tue 07 Apr 15:00"
    assert hearing.working == "Not counted: Fri 3 Apr (Good Friday), Sun 5 Apr, Mon 6 Apr (Easter Monday)"
    assert hearing.left == "in 4 days 23 hours" and hearing.level == "ok"
