"""An analyst works the duplicate queue in Chromium: compares a pair, merges it, and undoes the merge."""

from __future__ import annotations

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from safeguard.db.session import set_force_context
from safeguard.people.models import DuplicateCandidate, Person, PersonPhone
from tests.conftest import Staff, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe


async def _analyst_and_pair(live_server: LiveServer) -> tuple[Staff, int, int]:
    """An analyst, and a pair of records the linkage job offered: "Jonathan Smith" and "Jon Smyth"."""
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            analyst = await make_user(s, data.force, "analyst", username="ana.analyst")
            await set_force_context(s, data.force.id)
            a = Person(force_id=data.force.id, forename="Jonathan", surname="Smith", dob_year=1989, dob_month=4,
                       dob_day=3, gender="male")
            b = Person(force_id=data.force.id, forename="Jon", surname="Smyth", dob_year=1989, gender="male",
                       dob_month=4, dob_day=3)
            s.add_all([a, b])
            await s.flush()
            s.add(PersonPhone(force_id=data.force.id, person_id=b.id, number_e164="+447700900456"))
            pair = DuplicateCandidate(force_id=data.force.id, person_a_id=a.id, person_b_id=b.id,
                                      match_probability=0.964, found_by="linkage",
                                      evidence={"surname": "similar spelling", "date_of_birth": "exact"})
            s.add(pair)
            await s.flush()
            return analyst, pair.id, a.id
    finally:
        await engine.dispose()


async def test_an_analyst_merges_a_pair_and_undoes_it(axe_page: Page, live_server: LiveServer,
                                                      axe_source: str) -> None:
    page = axe_page
    analyst, pair_id, kept = await _analyst_and_pair(live_server)
    await sign_in(page, analyst)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Duplicates").click()
    await expect(page.get_by_role("heading", name="1 pair to review")).to_be_visible()
    await _axe(page, axe_source, "the duplicate queue")

    await page.get_by_role("link", name=f"Review pair {pair_id}").click()
    await expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    await expect(page.get_by_test_id("record-b")).to_contain_text("+447700900456")
    await expect(page.get_by_test_id("evidence")).to_contain_text("similar spelling")
    await _axe(page, axe_source, "a pair to review")

    # Deciding without a reason is refused, with the error summary pointing at the field.
    await page.get_by_label("Same person: keep record A").check()
    await page.get_by_role("button", name="Record decision").click()
    await expect(page.get_by_role("alert")).to_contain_text("Give the reason for your decision")
    await expect(page.get_by_label("Same person: keep record A")).to_be_checked()
    await _axe(page, axe_source, "a pair with an error")

    await page.get_by_label("Why").fill("Same date of birth; surname misspelt on the older record")
    await page.get_by_role("button", name="Record decision").click()
    await expect(page).to_have_url(f"{live_server.url}/people/{kept}")
    await expect(page.get_by_text("was merged into this record")).to_be_visible()

    await page.goto("/people/duplicates")
    await expect(page.get_by_role("heading", name="0 pairs to review")).to_be_visible()
    await page.get_by_test_id("recent-merges").get_by_role("link").first.click()
    await expect(page.get_by_test_id("merge-decision")).to_contain_text("surname misspelt")
    await expect(page.get_by_test_id("merge-decision")).to_contain_text("ana.analyst")
    await _axe(page, axe_source, "a merge")

    await page.get_by_label("Why are you undoing it?").fill("Two different men: custody photos differ")
    await page.get_by_role("button", name="Undo merge").click()
    await expect(page.get_by_text("Merge undone")).to_be_visible()
    await expect(page.get_by_test_id("merge-decision")).to_contain_text("custody photos differ")
    await expect(page.get_by_role("button", name="Undo merge")).to_have_count(0)

    await page.goto("/people/duplicates?status=rejected")
    await expect(page.get_by_role("heading", name="1 pair not the same person")).to_be_visible()
    await expect(page.get_by_test_id("duplicate-queue")).to_contain_text("ana.analyst")
