"""The support-service directory: national helplines for every force, local ones for their own force only,
filtering by who a service is for, and administrators keeping local services (national ones are read-only)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.db.session import set_force_context
from safeguard.safeguarding import services
from safeguard.safeguarding.models import SupportService
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.support_scene import support_scene

CSV_GROUPS = {"men", "lgbt", "older-people", "children", "women", "stalking", "honour-based-abuse",
              "sexual-violence", "perpetrators", "young-people", "any"}


async def test_the_shipped_directory_covers_male_lgbt_older_and_child_victims(db: AsyncSession,
                                                                             force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    national = await services.directory(db, services.DirectoryFilter(scope="national"))
    codes_for = {g: {s.code for s in national if g in s.groups} for g in CSV_GROUPS}
    assert {"mens-advice-line", "mankind-initiative"} <= codes_for["men"]
    assert "galop-lgbt-da" in codes_for["lgbt"]
    assert "hourglass" in codes_for["older-people"]
    assert {"childline", "nspcc-helpline"} <= codes_for["children"]
    assert all(s.unchecked for s in national), "the shipped CSV has no checked dates, so each must say so"


async def test_filtering_by_group_lists_that_group_first_then_services_open_to_anyone(
        db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    men = await services.directory(db, services.DirectoryFilter(group="men"))
    names = [s.name for s in men]
    specific = [s for s in men if "men" in s.groups]
    assert men[:len(specific)] == specific, "services for men come before those open to anyone"
    assert men[0].name == scene.local.name, "local services for the group come first"
    assert "Galop National LGBT+ Domestic Abuse Helpline" not in names
    assert "Victim Support Supportline" in names  # open to anyone
    only_any = await services.directory(db, services.DirectoryFilter(group="any"))
    assert all("any" in s.groups for s in only_any)
    local = await services.directory(db, services.DirectoryFilter(scope="local"))
    assert [s.name for s in local] == [scene.local.name]
    police = await services.directory(db, services.DirectoryFilter(police_referrals_only=True))
    assert police and all(s.accepts_police_referrals for s in police)
    assert services.filter_problems(services.DirectoryFilter(group="martians")) == {
        "group": "'martians' is not a group the directory knows: choose one from the list"}


async def test_each_force_sees_national_services_and_only_its_own_local_ones(
        db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene_a = await support_scene(db, force_a)
    scene_b = await support_scene(db, force_b)
    await set_force_context(db, force_b.id)
    seen_b = {s.name for s in await services.directory(db, services.DirectoryFilter())}
    assert scene_b.local.name in seen_b and scene_a.local.name not in seen_b
    assert "Men's Advice Line" in seen_b
    with pytest.raises(services.ServiceNotFound):
        await services.get_service(db, scene_a.local.id)
    await set_force_context(db, force_a.id)
    seen_a = {s.name for s in await services.directory(db, services.DirectoryFilter())}
    assert scene_a.local.name in seen_a and scene_b.local.name not in seen_a and "Men's Advice Line" in seen_a


async def test_the_app_role_cannot_change_or_add_a_national_row(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    changed = await db.execute(update(SupportService).where(SupportService.force_id.is_(None))
                               .values(name="Hijacked").execution_options(synchronize_session=False))
    assert changed.rowcount == 0  # type: ignore[attr-defined]
    assert not (await db.scalars(select(SupportService).where(SupportService.name == "Hijacked"))).all()
    deleted = await db.execute(text("DELETE FROM support_service WHERE force_id IS NULL"))
    assert deleted.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.begin_nested():
            await db.execute(text("INSERT INTO support_service (code, name, scope, description, eligibility, groups, "
                                  "referral_route) VALUES ('fake', 'Fake', 'national', 'x', 'x', '[]', 'x')"))


async def test_an_administrator_adds_and_edits_a_local_service_and_marks_it_inactive(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    admin = await make_user(db, force_a, "administrator")
    await sign_in(client, admin)
    form = await client.get("/support-services/new")
    assert form.status_code == 200
    data = {"csrf_token": csrf_from(form.text), "name": "Northfield LGBT+ Advocacy", "description": "Advocacy",
            "eligibility": "LGBT+ people in Northfield", "groups": ["lgbt", "any"], "phone": "not a number",
            "website": "northfield.example", "referral_route": "", "accepts_police_referrals": "",
            "checked_on_day": "1", "checked_on_month": "1", "checked_on_year": str(date.today().year + 1)}
    refused = await client.post("/support-services/new", data=data)
    assert refused.status_code == 400
    for message in ("Enter a real phone number, like 0121 496 0000", "Enter the website&#39;s full address, starting "
                    "https://", "Say how a referral reaches the service", "Say whether the service takes referrals "
                    "from the police", "The date the details were checked must be today or earlier"):
        assert message in refused.text, message
    assert 'value="Northfield LGBT+ Advocacy"' in refused.text
    await set_force_context(db, force_a.id)
    assert not (await db.scalars(select(SupportService).where(SupportService.name.like("Northfield LGBT%")))).all()
    good = {**data, "phone": "0121 496 0123", "website": "https://northfield.example", "referral_route": "Phone",
            "accepts_police_referrals": "yes", "checked_on_year": str(date.today().year - 1), "active": "yes"}
    made = await client.post("/support-services/new", data=good)
    assert made.status_code == 303, made.text
    await set_force_context(db, force_a.id)
    row = (await db.scalars(select(SupportService).where(SupportService.name == "Northfield LGBT+ Advocacy"))).one()
    assert (row.force_id, row.scope, row.groups, row.phone) == (force_a.id, "local", ["lgbt", "any"], "0121 496 0123")
    edit = await client.get(f"/support-services/{row.id}/edit")
    assert edit.status_code == 200 and 'value="0121 496 0123"' in edit.text
    inactive = await client.post(f"/support-services/{row.id}/edit",
                                 data={**good, "csrf_token": csrf_from(edit.text), "active": "no"})
    assert inactive.status_code == 303
    await db.refresh(row)
    assert row.active is False
    actions = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "support_service",
                                                                     AuditEvent.object_id == str(row.id))))
    assert actions == ["support_service.create", "support_service.update"]
    manage = await client.get("/support-services/manage")
    assert "Northfield LGBT+ Advocacy" in manage.text and "Inactive" in manage.text


async def test_a_national_service_cannot_be_edited(client: httpx.AsyncClient, db: AsyncSession,
                                                   force_a: ForceData) -> None:
    admin = await make_user(db, force_a, "administrator")
    await sign_in(client, admin)
    await set_force_context(db, force_a.id)
    national = (await db.scalars(select(SupportService).where(SupportService.code == "mens-advice-line"))).one()
    page = await client.get(f"/support-services/{national.id}/edit")
    assert "is a national service shipped with Safeguard: it cannot be changed here" in page.text
    assert 'name="name"' not in page.text
    posted = await client.post(f"/support-services/{national.id}/edit", data={
        "csrf_token": csrf_from(page.text), "name": "Changed", "description": "x", "eligibility": "x",
        "groups": "men", "phone": "0121 496 0000", "referral_route": "x", "accepts_police_referrals": "yes"})
    assert posted.status_code == 400 and "cannot be changed here" in posted.text
    await db.refresh(national)
    assert national.name == "Men's Advice Line"


async def test_another_forces_local_service_is_not_found(client: httpx.AsyncClient, db: AsyncSession,
                                                         force_a: ForceData, force_b: ForceData) -> None:
    scene_b = await support_scene(db, force_b)
    reader = await make_user(db, force_a, "da_specialist")
    admin = await make_user(db, force_a, "administrator")
    await sign_in(client, reader)
    assert (await client.get(f"/support-services/{scene_b.local.id}")).status_code == 404
    listing = await client.get("/api/v1/support-services")
    assert scene_b.local.name not in listing.text
    client.cookies.clear()
    await sign_in(client, admin)
    assert (await client.get(f"/support-services/{scene_b.local.id}/edit")).status_code == 404


async def test_the_directory_page_filters_and_warns_of_unchecked_details(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await support_scene(db, force_a)
    await sign_in(client, scene.staff)
    page = await client.get("/support-services?group=men")
    assert page.status_code == 200
    assert "Services for men" in page.text and "Men&#39;s Advice Line" in page.text
    assert "Also open to anyone" in page.text and "Hourglass" not in page.text
    assert "have not been checked against the service's own published details" in page.text
    for group in ("lgbt", "older-people", "children"):
        shown = await client.get(f"/support-services?group={group}")
        assert shown.status_code == 200
    assert "Galop" in (await client.get("/support-services?group=lgbt")).text
    assert "Hourglass" in (await client.get("/support-services?group=older-people")).text
    assert "Childline" in (await client.get("/support-services?group=children")).text
    bad = await client.get("/support-services?group=martians")
    assert bad.status_code == 400 and "is not a group the directory knows" in bad.text
    api = await client.get("/api/v1/support-services", params={"group": "martians"})
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "group"
    api = await client.get("/api/v1/support-services", params={"group": "older-people", "scope": "national"})
    assert next(s["code"] for s in api.json()["results"]) == "hourglass"


@given(st.text(max_size=30))
def test_an_invalid_phone_is_never_stored(raw: str) -> None:
    value = services.normalise_phone(raw)
    assert value is None or services.normalise_phone(value) == value


def test_a_service_needs_a_way_to_contact_it() -> None:
    data = services.ServiceInput(name="A", description="B", eligibility="C", groups=["any"], referral_route="D",
                                 accepts_police_referrals=True)
    assert services.service_problems(data)["phone"].startswith("Give at least one way to contact the service")
    assert services.service_problems(data, today=date.today() - timedelta(days=1)).keys() == {"phone"}
