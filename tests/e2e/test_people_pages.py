"""Finding a person, marking them and connecting them to others, in a real browser, as each role would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.auth.permissions import role_permissions
from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people import markers
from safeguard.people.models import Person
from safeguard.people.relationships import add_relationship
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe

pytestmark = pytest.mark.e2e


@dataclass
class People:
    investigator: Staff
    dean: Person  # the person the journeys are about
    carla: Person  # his ex-partner, to be connected


async def _people(live_server: LiveServer, *, with_markers: bool = False) -> People:
    """An investigator and two people, committed so that the live server sees them."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            investigator = await make_user(s, force, "ppu_investigator", username="ivy.investigator",
                                           team_kind="public_protection")
            await set_force_context(s, force.id, investigator.user.id)
            dean = Person(force_id=force.id, forename="Dean", surname="Holloway", dob_year=1984, dob_month=6,
                          dob_day=2, gender="male")
            carla = Person(force_id=force.id, forename="Carla", surname="Benning", dob_year=1987, gender="female")
            s.add_all([dean, carla])
            await s.flush()
            if with_markers:
                user = investigator.user
                actor = Actor(kind="user", force_id=force.id, label=user.username, user_id=user.id,
                              permissions=role_permissions(user.role), role=user.role)
                today = markers.today()
                await markers.set_marker(s, actor, person_id=dean.id, kind="violence-to-police",
                                         starts_on=today - timedelta(days=40), note="Assaulted officers at arrest")
                ended = await markers.set_marker(s, actor, person_id=dean.id, kind="drugs",
                                                 starts_on=today - timedelta(days=90))
                await markers.end_marker(s, actor, ended.id, ends_on=today - timedelta(days=10),
                                         reason="Completed treatment")
                await add_relationship(s, actor, dean.id, carla.id, "ex_partner", detail="separated")
    finally:
        await engine.dispose()
    return People(investigator, dean, carla)


async def test_an_investigator_finds_marks_and_connects_a_person(page: Page, live_server: LiveServer) -> None:
    people = await _people(live_server)
    await sign_in(page, people.investigator)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="People").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Find a person")
    await page.get_by_label("Name, date of birth, phone number or postcode").fill("Holloway 2/6/1984")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_test_id("search-results").get_by_role("link", name="Dean Holloway").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dean Holloway")
    await expect(page.get_by_text("No active markers.")).to_be_visible()

    # Add a marker: the start date is already today.
    await page.get_by_text("Add a marker", exact=True).click()
    await page.get_by_label("Type of marker").select_option(label="Weapons")
    await page.get_by_label("Note (optional)").fill("Keeps a knife in the kitchen drawer")
    await expect(page.get_by_role("group", name="Start date").get_by_label("Year")).not_to_have_value("")
    await page.get_by_role("button", name="Add marker").click()
    await expect(page.get_by_text("Marker added: Weapons.")).to_be_visible()
    warnings = page.get_by_test_id("marker-warnings")
    await expect(warnings).to_contain_text("Weapons")
    await expect(warnings).to_contain_text("Keeps a knife in the kitchen drawer")
    await expect(page.get_by_test_id("active-markers")).to_contain_text("Set by ivy.investigator")

    # End it: it moves to the past markers, with who ended it and why.
    active = page.get_by_test_id("active-markers")
    await active.get_by_text("End this Weapons marker").click()
    await active.get_by_label("Why it no longer applies").fill("Knife surrendered to police")
    await active.get_by_role("button", name="End marker").click()
    await expect(page.get_by_text("Marker ended: Weapons.")).to_be_visible()
    await expect(page.get_by_test_id("marker-warnings")).to_have_count(0)
    past = page.get_by_test_id("past-markers")
    await expect(past).to_contain_text("Weapons")
    await expect(past).to_contain_text("ivy.investigator")
    await expect(past).to_contain_text("Knife surrendered to police")

    # Connect him to his ex-partner by her person number.
    await page.get_by_text("Add a connected person", exact=True).click()
    await page.get_by_label("Their Safeguard person number").fill(str(people.carla.id))
    await page.get_by_role("radio", name="Ex-partner").check()
    await page.get_by_label("Detail (optional)").fill("separated last year")
    await page.get_by_role("button", name="Add connected person").click()
    await expect(page.get_by_text(f"Connected person added: ex-partner, person {people.carla.id}.")).to_be_visible()
    connected = page.get_by_test_id("connected-people")
    await expect(connected.get_by_role("link", name="Carla Benning")).to_be_visible()
    await expect(connected).to_contain_text("Ex-partner: separated last year")
    await connected.get_by_role("link", name="Carla Benning").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Carla Benning")
    await expect(page.get_by_test_id("connected-people").get_by_role("link", name="Dean Holloway")).to_be_visible()


async def test_a_call_handler_sees_the_markers_but_cannot_change_them(page: Page, live_server: LiveServer) -> None:
    people = await _people(live_server, with_markers=True)
    await sign_in(page, live_server.data.handler)
    await page.goto(f"/people/{people.dean.id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dean Holloway")
    await expect(page.get_by_test_id("marker-warnings")).to_contain_text("Violence towards police")
    await expect(page.get_by_test_id("marker-warnings")).to_contain_text("Assaulted officers at arrest")
    await expect(page.get_by_test_id("past-markers")).to_contain_text("Completed treatment")
    await expect(page.get_by_test_id("connected-people").get_by_role("link", name="Carla Benning")).to_be_visible()
    await expect(page.locator("main form")).to_have_count(0)
    await expect(page.get_by_role("button", name=re.compile("Add marker|End marker|Add connected person")))\
        .to_have_count(0)


async def test_people_pages_have_no_serious_accessibility_problems(axe_page: Page, live_server: LiveServer,
                                                                   axe_source: str) -> None:
    page = axe_page
    people = await _people(live_server, with_markers=True)
    await sign_in(page, people.investigator)
    await page.goto("/people?q=Dean+Holloway")
    await expect(page.get_by_test_id("search-results")).to_contain_text("Dean Holloway")
    await _axe(page, axe_source, "the search page with results")

    await page.goto(f"/people/{people.dean.id}")
    await expect(page.get_by_test_id("marker-warnings")).to_be_visible()
    await page.get_by_test_id("active-markers").locator("summary").first.click()  # open an end form too
    await _axe(page, axe_source, "the person page with markers")

    await page.get_by_text("Add a marker", exact=True).click()
    await page.get_by_role("group", name="Start date").get_by_label("Day").fill("31")
    await page.get_by_role("group", name="Start date").get_by_label("Month").fill("2")
    await page.get_by_role("button", name="Add marker").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("link", name="Choose the type of marker")).to_have_attribute(
        "href", "#marker-kind")
    await expect(page).to_have_title(re.compile(r"^Error: Dean Holloway"))
    await _axe(page, axe_source, "the person page with form errors")
    await summary.get_by_role("link", name="Start date must be a real date").click()
    await expect(page.get_by_role("group", name="Start date").get_by_label("Day")).to_be_focused()
