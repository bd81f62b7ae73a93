"""An analyst opens the harm-ranking list, reads why someone is ranked first, makes a new weight version, ranks
now and reads the fairness report, in a real browser, with axe on each page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.test_targets_pages import Scene, scene

pytestmark = pytest.mark.e2e


async def _committed(live_server: LiveServer) -> tuple[Staff, Scene]:
    """An analyst and a stored list of three (with the DA incidents behind it), committed for the live server."""
    force = live_server.data.force
    engine = make_engine(live_server.data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            await set_force_context(s, force.id)
            analyst = await make_user(s, force, "analyst", username="ana.analyst")
            made = await scene(s, force)
    finally:
        await engine.dispose()
    return analyst, made


async def test_an_analyst_reads_the_list_explains_a_score_adds_weights_and_ranks(
        axe_page: Page, live_server: LiveServer, axe_source: str) -> None:
    page = axe_page
    analyst, made = await _committed(live_server)
    await sign_in(page, analyst)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Harm ranking").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Harm ranking")
    await expect(page.get_by_test_id("harm-critique")).to_contain_text("start a conversation, not to end one")
    header = page.get_by_test_id("ranking-header")
    await expect(header.get_by_role("link", name="Version 1")).to_be_visible()
    await expect(page.get_by_test_id("perpetrators")).to_have_text("3")
    table = page.get_by_test_id("ranking-table")
    await expect(table.get_by_role("row").nth(1)).to_contain_text("Adam Tester")
    await expect(table.get_by_role("row").nth(1)).to_contain_text("Serial")
    await _axe(page, axe_source, "the harm-ranking list")

    # Only the people flagged Active order.
    await page.get_by_label("Show").select_option("active-order")
    await page.get_by_role("button", name="Apply").click()
    await expect(table).to_contain_text("Beth Tester")
    await expect(table).not_to_contain_text("Adam Tester")
    await page.get_by_label("Show").select_option("")
    await page.get_by_role("button", name="Apply").click()

    await table.get_by_role("link", name="Why Adam Tester is ranked 1").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Why Adam Tester is ranked 1")
    breakdown = page.get_by_test_id("score-breakdown")
    await expect(breakdown).to_contain_text("latest DA incident or crime 30 days ago")
    await expect(breakdown).to_contain_text("2 different victims × weight 2")
    await _axe(page, axe_source, "a score explained")

    # A new weight version: a missing note is named, then it is saved.
    await page.get_by_role("link", name="Weight version 1 in full").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Weight version 1")
    await _axe(page, axe_source, "a weight version")
    await page.get_by_role("link", name="All weight versions").click()
    await expect(page.get_by_test_id("weight-versions")).to_contain_text("Version 1")
    await _axe(page, axe_source, "the weight versions")
    await page.get_by_role("button", name="New weight version").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("New weight version")
    await expect(page.get_by_label("Victims weight")).to_have_value("2")
    await _axe(page, axe_source, "the new weight version form")
    await page.get_by_label("Victims weight").fill("3")
    await page.get_by_role("button", name="Save as a new version").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Say why these weights are changing")
    await expect(page.get_by_label("Victims weight")).to_have_value("3")
    await _axe(page, axe_source, "the new weight version form with an error")
    await page.get_by_label("Why the weights are changing").fill("More weight on victims, agreed at MATAC")
    await page.get_by_role("button", name="Save as a new version").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Weight version 2")
    await expect(page.get_by_text("Weight version 2 saved.")).to_be_visible()
    await expect(page.get_by_test_id("weight-values")).to_contain_text("3")

    # Rank now with the new version: the new list opens, made with version 2.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Harm ranking").click()
    await page.get_by_text("Rank now: make a new list").click()
    await page.get_by_label("Window").select_option("3")
    await page.get_by_label("Weight version").select_option("2")
    await page.get_by_role("button", name="Rank now").click()
    await expect(page.get_by_text(re.compile(r"Ranked list \d+ made: 4 perpetrators scored\."))).to_be_visible()
    await expect(page.get_by_test_id("ranking-header").get_by_role("link", name="Version 2")).to_be_visible()
    await expect(page.get_by_test_id("ranking-table")).to_contain_text("Dan Tester")
    await _axe(page, axe_source, "a new list")

    await page.get_by_role("link", name="Past lists").click()
    await expect(page.get_by_test_id("ranking-history")).to_contain_text(f"List {made.ranking.id}")
    await _axe(page, axe_source, "the past lists")

    # The fairness report of the first list: two of three listed are men; Southgate holds two of them.
    await page.goto(f"/targets/fairness?ranking_id={made.ranking.id}&top=all")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Fairness of the ranked list")
    await expect(page.get_by_test_id("fairness-men")).to_contain_text("Abuse against men is real")
    gender = page.get_by_test_id("fairness-gender")
    await expect(gender.get_by_role("row", name=re.compile("^Male"))).to_contain_text("66.7%")
    area = page.get_by_test_id("fairness-area")
    await expect(area.get_by_role("row", name=re.compile("^Southgate"))).to_contain_text("66.7%")
    await expect(page.get_by_test_id("fairness-victims")).to_contain_text("Not recorded")
    await _axe(page, axe_source, "the fairness report")
