"""An operation lead opens a finished operation's results in the browser: the headline, the figures beside the
previous operation and an ordinary week, the outstanding targets; downloads the CSV and the one-page press
summary. The results page passes axe."""

from __future__ import annotations

import io

import pytest
from playwright.async_api import Page, expect
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine
from tests.conftest import Staff, make_force, make_user
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_pages import _axe
from tests.integration.test_operation_results import Known, known_operation

pytestmark = pytest.mark.e2e


async def _scene(live_server: LiveServer) -> tuple[Staff, Known]:
    data = live_server.data
    engine = make_engine(data.db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            lead = await make_user(s, data.force, "operation_lead", username="olive.lead")
            other = await make_force(s, "OTH", "Other Constabulary")
            known = await known_operation(s, data.force, other)
            return lead, known
    finally:
        await engine.dispose()


async def test_a_lead_reads_the_results_and_downloads_both_exports(axe_page: Page, live_server: LiveServer,
                                                                   axe_source: str) -> None:
    page = axe_page
    lead, known = await _scene(live_server)
    await sign_in(page, lead)
    await page.goto(f"/operations/{known.op.id}/results")
    await expect(page.get_by_role("heading", name="Results")).to_be_visible()
    await expect(page.get_by_test_id("results-headline")).to_have_text(
        "6 arrests in the week, 3 of them of targeted domestic abuse suspects.")
    await expect(page.get_by_test_id("results-state")).to_have_text("Finished")
    await expect(page.get_by_test_id("results-targets")).to_contain_text("2 of 4")
    comparison = page.get_by_test_id("results-comparison")
    await expect(comparison).to_contain_text("Operation Sentinel")
    await expect(comparison).to_contain_text("An ordinary week")
    await expect(page.get_by_test_id("results-ordinary-arrests")).to_have_text("2")
    await expect(page.get_by_test_id(f"results-outstanding-{known.outstanding[0].id}")).to_contain_text(
        "Address no longer valid")
    await _axe(page, axe_source, "the operation results page")

    async with page.expect_download() as csv_download:
        await page.get_by_test_id("results-csv").click()
    saved = await (await csv_download.value).path()
    text = saved.read_text(encoding="utf-8")
    assert "figures,arrests_targeted,Arrests of the operation's targets in the operation,3," in text
    assert "Colin Carver" in text

    async with page.expect_download() as pdf_download:
        await page.get_by_test_id("results-press").click()
    download = await pdf_download.value
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO((await download.path()).read_bytes()))
    assert len(reader.pages) == 1
    words = " ".join(reader.pages[0].extract_text().split())
    assert "6 arrests in the week, 3 of them of targeted domestic abuse suspects." in words
    assert "Colin" not in words and "Carver" not in words
