"""Warning markers: the rules for setting and ending them, the audit trail, and the person page's forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.actor import Actor
from safeguard.auth.permissions import role_permissions
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from safeguard.people import markers
from safeguard.people.markers import (
    DEFAULT_MARKER_KINDS,
    MarkerNotFound,
    MarkerRefused,
    end_marker,
    kinds_for,
    markers_for,
    set_marker,
)
from safeguard.people.models import Location, Marker, Person
from safeguard.people.service import PersonNotFound, restrict
from tests.conftest import ForceData, Staff, csrf_from, make_user, sign_in

TODAY = markers.today()
LAST_MONTH = TODAY - timedelta(days=30)


def actor_for(staff: Staff) -> Actor:
    user = staff.user
    return Actor(kind="user", force_id=user.force_id, label=user.username, permissions=role_permissions(user.role),
                 user_id=user.id, role=user.role, display_name=user.display_name)


async def _person(db: AsyncSession, force: ForceData, forename: str = "Dean", surname: str = "Holloway") -> Person:
    person = Person(force_id=force.id, forename=forename, surname=surname, dob_year=1984, dob_month=6, dob_day=2,
                    gender="male")
    db.add(person)
    await db.flush()
    return person


async def _officer(db: AsyncSession, force: ForceData, role: str = "ppu_investigator") -> tuple[Staff, Actor]:
    staff = await make_user(db, force, role)
    await set_force_context(db, force.id, staff.user.id)
    return staff, actor_for(staff)


async def _count(db: AsyncSession, model: type[Marker] | type[AuditEvent], *where: object) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# -- the kinds ------------------------------------------------------------------------------------

async def test_default_kinds_cover_what_an_officer_must_know(db: AsyncSession, force_a: ForceData) -> None:
    labels = {k.label for k in await kinds_for(db, force_a.id)}
    assert {"DA high-risk victim", "DA perpetrator", "Weapons", "Children at the address", "Violence towards police",
            "Mental health", "Drugs", "Officer safety", "Stalking"} <= labels
    assert len({k.code for k in DEFAULT_MARKER_KINDS}) == len(DEFAULT_MARKER_KINDS)


async def test_a_force_chooses_its_own_kinds(db: AsyncSession, force_a: ForceData) -> None:
    await db.execute(update(Force).where(Force.id == force_a.id).values(settings={"marker_kinds": [
        {"code": "firearms", "label": "Firearms certificate holder"},
        {"code": "", "label": "no code: ignored"}, "not an object", {"code": "x" * 41, "label": "too long"},
    ]}))
    kinds = await kinds_for(db, force_a.id)
    assert [(k.code, k.label) for k in kinds] == [("firearms", "Firearms certificate holder")]
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    with pytest.raises(MarkerRefused) as refused:
        await set_marker(db, actor, person_id=person.id, kind="weapons", starts_on=LAST_MONTH)
    assert refused.value.field == "kind"
    marker = await set_marker(db, actor, person_id=person.id, kind="firearms", starts_on=LAST_MONTH)
    assert (await markers_for(db, person_id=person.id)).active[0].label == "Firearms certificate holder"
    # A kind the force later drops still reads well on the markers already set with it.
    await db.execute(update(Force).where(Force.id == force_a.id).values(settings={}))
    await db.execute(update(Marker).where(Marker.id == marker.id).values(kind="weapons"))
    person_id = person.id
    db.expire_all()
    assert (await markers_for(db, person_id=person_id)).active[0].label == "Weapons"


# -- setting a marker -----------------------------------------------------------------------------

async def test_setting_a_marker_saves_it_and_audits_it(db: AsyncSession, force_a: ForceData) -> None:
    staff, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, actor, person_id=person.id, kind="weapons", starts_on=LAST_MONTH,
                              note="  Keeps a knife in the kitchen drawer  ")
    assert marker.id and marker.note == "Keeps a knife in the kitchen drawer"
    assert marker.set_by == staff.user.username and marker.set_by_id == staff.user.id
    assert marker.force_id == force_a.id and marker.ends_on is None
    event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "marker.set"))).scalar_one()
    assert event.object_type == "marker" and event.object_id == str(marker.id)
    assert event.actor_label == staff.user.username
    assert event.details is not None and event.details["kind"] == "weapons"
    assert event.details["person_id"] == person.id


async def test_a_marker_on_a_phone_number_is_stored_in_e164(db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a, "analyst")
    marker = await set_marker(db, actor, phone="07700 900123", kind="violence-to-police", starts_on=LAST_MONTH)
    assert marker.phone_e164 == "+447700900123"
    found = await markers_for(db, phone="+44 7700 900123")
    assert [m.id for m in found.active] == [marker.id]


async def test_a_marker_on_an_address(db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    place = Location(force_id=force_a.id, line1="4 Mill Street", town="Northfield", postcode="ZZ9 9ZZ")
    db.add(place)
    await db.flush()
    marker = await set_marker(db, actor, location_id=place.id, kind="children-at-address", starts_on=LAST_MONTH)
    assert [m.id for m in (await markers_for(db, location_id=place.id)).active] == [marker.id]
    with pytest.raises(MarkerRefused) as refused:
        await set_marker(db, actor, location_id=place.id + 1000, kind="drugs", starts_on=LAST_MONTH)
    assert refused.value.field == "location_id"


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"kind": "unicorns"}, "kind", "not a marker type"),
    ({"kind": ""}, "kind", "Choose the type"),
    ({"starts_on": TODAY + timedelta(days=1)}, "starts_on", "today or in the past"),
    ({"ends_on": LAST_MONTH - timedelta(days=1)}, "ends_on", "after the start date"),
    ({"ends_on": LAST_MONTH}, "ends_on", "after the start date"),
    ({"note": "x" * 1001}, "note", "1000 characters"),
    ({"phone": "not a number", "person_id": None}, "phone", "not a phone number"),
    ({"phone": "123", "person_id": None}, "phone", "not a valid"),
    ({"phone": "07700 900123"}, "subject", "exactly one"),
])
async def test_refusals_name_the_field_and_save_nothing(db: AsyncSession, force_a: ForceData, kwargs: dict[str, object],
                                                        field: str, words: str) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    arguments: dict[str, object] = {"person_id": person.id, "kind": "weapons", "starts_on": LAST_MONTH}
    arguments.update(kwargs)
    with pytest.raises(MarkerRefused) as refused:
        await set_marker(db, actor, **arguments)  # type: ignore[arg-type]
    assert isinstance(refused.value, ValueError)
    assert field in refused.value.errors and words in refused.value.errors[field], refused.value.errors
    assert field in str(refused.value)
    assert await _count(db, Marker) == 0
    assert await _count(db, AuditEvent, AuditEvent.action == "marker.set") == 0


async def test_every_problem_is_reported_at_once(db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    with pytest.raises(MarkerRefused) as refused:
        await set_marker(db, actor, person_id=person.id, kind="nope", starts_on=TODAY + timedelta(days=3),
                         note="y" * 2000)
    assert set(refused.value.errors) == {"kind", "starts_on", "note"}


async def test_a_person_you_cannot_see_cannot_be_marked(db: AsyncSession, force_a: ForceData,
                                                        force_b: ForceData) -> None:
    await set_force_context(db, force_b.id)
    other_force_person = await _person(db, force_b)
    keeper, _ = await _officer(db, force_a)
    hidden = await _person(db, force_a, "Hidden", "Resident")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label=keeper.user.username,
                   reason="Lives in a refuge", person_id=hidden.id)
    _, actor = await _officer(db, force_a)
    for person_id in (other_force_person.id, hidden.id):
        with pytest.raises(PersonNotFound):
            await set_marker(db, actor, person_id=person_id, kind="weapons", starts_on=LAST_MONTH)


# -- ending a marker ------------------------------------------------------------------------------

async def test_ending_a_marker_keeps_it_with_who_and_why(db: AsyncSession, force_a: ForceData) -> None:
    setter, setter_actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, setter_actor, person_id=person.id, kind="drugs", starts_on=LAST_MONTH)
    ender, actor = await _officer(db, force_a)
    await end_marker(db, actor, marker.id, ends_on=TODAY, reason="  Completed treatment  ")
    lists = await markers_for(db, person_id=person.id)
    assert lists.active == [] and [m.id for m in lists.past] == [marker.id]
    past = lists.past[0]
    assert past.ended_by == ender.user.username and past.set_by == setter.user.username
    assert past.end_reason == "Completed treatment" and past.ended_at is not None and past.ends_on == TODAY
    assert await _count(db, Marker) == 1  # never deleted
    event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "marker.ended"))).scalar_one()
    assert event.object_id == str(marker.id) and event.reason == "Completed treatment"
    assert event.actor_label == ender.user.username
    # Before it ended, it was active.
    assert [m.id for m in (await markers_for(db, person_id=person.id, on=TODAY - timedelta(days=1))).active] == \
        [marker.id]


async def test_ending_refusals_change_nothing(db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, actor, person_id=person.id, kind="stalking", starts_on=LAST_MONTH)
    for kwargs, field in [({"ends_on": TODAY, "reason": "  "}, "reason"),
                          ({"ends_on": TODAY + timedelta(days=1), "reason": "Moved"}, "ends_on"),
                          ({"ends_on": LAST_MONTH - timedelta(days=1), "reason": "Moved"}, "ends_on"),
                          ({"ends_on": TODAY, "reason": "r" * 1001}, "reason")]:
        with pytest.raises(MarkerRefused) as refused:
            await end_marker(db, actor, marker.id, **kwargs)  # type: ignore[arg-type]
        assert field in refused.value.errors
    await db.refresh(marker)
    assert marker.ends_on is None and marker.ended_at is None and marker.ended_by is None
    assert await _count(db, AuditEvent, AuditEvent.action == "marker.ended") == 0
    await end_marker(db, actor, marker.id, ends_on=TODAY, reason="Injunction discharged")
    with pytest.raises(MarkerRefused, match="already ended"):
        await end_marker(db, actor, marker.id, ends_on=TODAY, reason="Again")
    assert await _count(db, AuditEvent, AuditEvent.action == "marker.ended") == 1


async def test_a_marker_with_an_end_date_expires_by_itself(db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    expired = await set_marker(db, actor, person_id=person.id, kind="weapons", starts_on=LAST_MONTH - timedelta(days=9),
                               ends_on=LAST_MONTH)
    running = await set_marker(db, actor, person_id=person.id, kind="drugs", starts_on=LAST_MONTH,
                               ends_on=TODAY + timedelta(days=30))
    lists = await markers_for(db, person_id=person.id)
    assert [m.id for m in lists.active] == [running.id]
    assert [m.id for m in lists.past] == [expired.id] and lists.past[0].ended_by is None
    with pytest.raises(MarkerRefused, match="already stopped applying"):
        await end_marker(db, actor, expired.id, ends_on=TODAY, reason="Tidy up")
    # Seen from a date before either started, neither is active nor past.
    before = await markers_for(db, person_id=person.id, on=LAST_MONTH - timedelta(days=20))
    assert before.active == [] and before.past == []


async def test_another_forces_or_another_persons_marker_is_not_found(db: AsyncSession, force_a: ForceData,
                                                                     force_b: ForceData) -> None:
    _, actor_b = await _officer(db, force_b)
    theirs = await set_marker(db, actor_b, person_id=(await _person(db, force_b)).id, kind="weapons",
                              starts_on=LAST_MONTH)
    _, actor = await _officer(db, force_a)
    person, other = await _person(db, force_a), await _person(db, force_a, "Other", "Person")
    on_other = await set_marker(db, actor, person_id=other.id, kind="weapons", starts_on=LAST_MONTH)
    db.expunge_all()
    with pytest.raises(MarkerNotFound):
        await end_marker(db, actor, theirs.id, ends_on=TODAY, reason="Not mine")
    with pytest.raises(MarkerNotFound):
        await end_marker(db, actor, on_other.id, ends_on=TODAY, reason="Wrong person", person_id=person.id)


async def test_a_restricted_persons_markers_are_hidden_by_the_database(db: AsyncSession, force_a: ForceData) -> None:
    keeper, keeper_actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, keeper_actor, person_id=person.id, kind="da-high-risk-victim",
                              starts_on=LAST_MONTH)
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label=keeper.user.username,
                   reason="Officer who is a victim", person_id=person.id)
    assert [m.id for m in (await markers_for(db, person_id=person.id)).active] == [marker.id]
    await _officer(db, force_a)  # someone else, without a grant
    db.expunge_all()
    assert await _count(db, Marker) == 0
    assert (await markers_for(db, person_id=person.id)).active == []


# -- the person page ------------------------------------------------------------------------------

async def _signed_in(client: httpx.AsyncClient, db: AsyncSession, force: ForceData,
                     role: str = "ppu_investigator") -> Staff:
    staff = await make_user(db, force, role)
    assert (await sign_in(client, staff)).status_code == 303
    return staff


def _date(prefix: str, value: date) -> dict[str, str]:
    return {f"{prefix}_day": str(value.day), f"{prefix}_month": str(value.month), f"{prefix}_year": str(value.year)}


async def test_an_investigator_adds_and_ends_a_marker_on_the_page(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    person = await _person(db, force_a)
    staff = await _signed_in(client, db, force_a)
    page = await client.get(f"/people/{person.id}")
    assert page.status_code == 200
    assert f'action="/people/{person.id}/markers"' in page.text and "No active markers." in page.text
    response = await client.post(f"/people/{person.id}/markers", data={
        "csrf_token": csrf_from(page.text), "kind": "weapons", "note": "Knife in the kitchen drawer",
        **_date("starts_on", LAST_MONTH)})
    assert response.status_code == 303 and response.headers["location"] == f"/people/{person.id}"
    page = await client.get(response.headers["location"])
    assert "Marker added: Weapons." in page.text
    warnings = page.text.split('data-testid="marker-warnings"')[1].split("Marker details")[0]
    assert "Weapons" in warnings and "Knife in the kitchen drawer" in warnings
    await set_force_context(db, force_a.id)
    marker = (await db.execute(select(Marker).where(Marker.person_id == person.id))).scalar_one()
    assert marker.set_by == staff.user.username
    assert f'action="/people/{person.id}/markers/{marker.id}/end"' in page.text

    response = await client.post(f"/people/{person.id}/markers/{marker.id}/end", data={
        "csrf_token": csrf_from(page.text), "reason": "Knife handed in", **_date("ends_on", TODAY)})
    assert response.status_code == 303
    page = await client.get(f"/people/{person.id}")
    assert "Marker ended: Weapons." in page.text and 'data-testid="marker-warnings"' not in page.text
    past = page.text.split('data-testid="past-markers"')[1].split("</table>")[0]
    assert "Weapons" in past and staff.user.username in past and "Knife handed in" in past
    await set_force_context(db, force_a.id)
    actions = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "marker")
                                    .order_by(AuditEvent.id)))
    assert actions == ["marker.set", "marker.ended"]


async def test_form_errors_are_summarised_linked_and_keep_what_was_typed(client: httpx.AsyncClient,
                                                                        db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    person = await _person(db, force_a)
    await _signed_in(client, db, force_a)
    page = await client.get(f"/people/{person.id}")
    response = await client.post(f"/people/{person.id}/markers", data={
        "csrf_token": csrf_from(page.text), "kind": "", "note": "Dog <b>on</b> premises",
        "starts_on_day": "31", "starts_on_month": "2", "starts_on_year": "2024", "ends_on_day": "3"})
    assert response.status_code == 400
    html = response.text
    assert "There is a problem" in html and "<title>Error: " in html
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert re.findall(r'href="#([^"]+)"', summary) == ["marker-kind", "marker-starts_on_day", "marker-ends_on_day"]
    assert "Choose the type of marker" in summary and "Start date must be a real date" in summary
    assert "End date must include a month and a year" in summary
    assert 'id="marker-kind-error"' in html and 'id="marker-starts_on_day-error"' in html
    assert "Dog &lt;b&gt;on&lt;/b&gt; premises</textarea>" in html  # kept, and escaped
    assert 'id="marker-starts_on_day" name="starts_on_day" type="text" inputmode="numeric" value="31"' in html
    await set_force_context(db, force_a.id)
    assert await _count(db, Marker) == 0

    response = await client.post(f"/people/{person.id}/markers", data={
        "csrf_token": csrf_from(page.text), "kind": "weapons", **_date("starts_on", TODAY + timedelta(days=2))})
    assert response.status_code == 400 and "The start date must be today or in the past" in response.text
    assert '<option value="weapons" selected>' in response.text


async def test_end_form_errors_show_against_that_marker(client: httpx.AsyncClient, db: AsyncSession,
                                                        force_a: ForceData) -> None:
    staff, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, actor, person_id=person.id, kind="officer-safety", starts_on=LAST_MONTH)
    await sign_in(client, staff)
    page = await client.get(f"/people/{person.id}")
    response = await client.post(f"/people/{person.id}/markers/{marker.id}/end", data={
        "csrf_token": csrf_from(page.text), "reason": "", **_date("ends_on", TODAY)})
    assert response.status_code == 400
    summary = response.text.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert f'href="#end-{marker.id}-reason"' in summary and "Say why" in summary
    assert "open>" in response.text.split(f"/markers/{marker.id}/end")[0].rsplit("<details", 1)[1]
    await db.refresh(marker)
    assert marker.ended_at is None


async def test_a_read_only_role_sees_markers_but_no_forms(client: httpx.AsyncClient, db: AsyncSession,
                                                          force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    marker = await set_marker(db, actor, person_id=person.id, kind="violence-to-police", starts_on=LAST_MONTH,
                              note="Spat at officers")
    await _signed_in(client, db, force_a, "call_handler")
    page = await client.get(f"/people/{person.id}")
    assert page.status_code == 200
    assert "Violence towards police" in page.text and "Spat at officers" in page.text
    assert "<form method=\"post\" action=\"/people/" not in page.text
    csrf = csrf_from(page.text)
    refused = await client.post(f"/people/{person.id}/markers", data={
        "csrf_token": csrf, "kind": "weapons", **_date("starts_on", LAST_MONTH)})
    assert refused.status_code == 403
    refused = await client.post(f"/people/{person.id}/markers/{marker.id}/end", data={
        "csrf_token": csrf, "reason": "No", **_date("ends_on", TODAY)})
    assert refused.status_code == 403
    await set_force_context(db, force_a.id)
    assert await _count(db, Marker) == 1


async def test_a_marker_id_of_another_force_or_person_is_404(client: httpx.AsyncClient, db: AsyncSession,
                                                             force_a: ForceData, force_b: ForceData) -> None:
    _, actor_b = await _officer(db, force_b)
    theirs = await set_marker(db, actor_b, person_id=(await _person(db, force_b)).id, kind="weapons",
                              starts_on=LAST_MONTH)
    _, actor = await _officer(db, force_a)
    person, other = await _person(db, force_a), await _person(db, force_a, "Other", "Person")
    on_other = await set_marker(db, actor, person_id=other.id, kind="weapons", starts_on=LAST_MONTH)
    await _signed_in(client, db, force_a)
    csrf = csrf_from((await client.get(f"/people/{person.id}")).text)
    for marker_id in (theirs.id, on_other.id, 2**40):
        response = await client.post(f"/people/{person.id}/markers/{marker_id}/end", data={
            "csrf_token": csrf, "reason": "Trying", **_date("ends_on", TODAY)})
        assert response.status_code == 404, marker_id
    # Nor can a person of another force be marked through the page.
    response = await client.post(f"/people/{theirs.person_id}/markers", data={
        "csrf_token": csrf, "kind": "weapons", **_date("starts_on", LAST_MONTH)})
    assert response.status_code == 404
    await set_force_context(db, force_b.id)
    db.expunge_all()
    assert (await db.get(Marker, theirs.id)).ended_at is None  # type: ignore[union-attr]


async def test_the_api_lists_active_markers(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    _, actor = await _officer(db, force_a)
    person = await _person(db, force_a)
    active = await set_marker(db, actor, person_id=person.id, kind="mental-health", starts_on=LAST_MONTH,
                              note="Crisis team involved")
    ended = await set_marker(db, actor, person_id=person.id, kind="drugs", starts_on=LAST_MONTH)
    await end_marker(db, actor, ended.id, ends_on=TODAY, reason="No longer relevant")
    await _signed_in(client, db, force_a, "analyst")
    body = (await client.get(f"/api/v1/people/{person.id}")).json()
    assert body["display_name"] == "Dean Holloway"  # the existing fields are unchanged
    assert body["markers"] == [{"id": active.id, "kind": "mental-health", "label": "Mental health",
                                "note": "Crisis team involved", "starts_on": LAST_MONTH.isoformat(),
                                "ends_on": None, "set_by": actor.label}]
