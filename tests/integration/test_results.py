"""Results for any period, from known data: people arrested (and for DA), arrests, charges by category, outcomes
by code and group; the edges of the period, another force's data and DA-only all counted exactly."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes import charges, custody, results, suspects
from safeguard.crimes.models import OFFENCE_CATEGORIES
from safeguard.crimes.rules import add_months
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.db.session import set_force_context
from safeguard.operations.models import Operation
from tests.conftest import ForceData, make_user, sign_in
from tests.integration.crime_scene import CrimeScene, crime_scene

H = timedelta(hours=1)
D = timedelta(days=1)
TODAY = uk_time(datetime.now(UTC)).date()
START, END = TODAY - timedelta(days=10), TODAY - timedelta(days=3)
SINCE, UNTIL = results.bounds(START, END)


async def _arrest(db: AsyncSession, scene: CrimeScene, at: datetime, **extra: object) -> None:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    arrest = await custody.record_arrest(db, scene.actor, custody.NewArrest(
        suspect_id=scene.suspect.id, arrested_at=at, place="Elm Road", offence_codes=["abh"],
        team_id=scene.force.teams["public_protection"].id, arrived_at_station=at, **extra))  # type: ignore[arg-type]
    assert arrest is not None


async def _charge(db: AsyncSession, scene: CrimeScene, at: datetime, codes: list[str]) -> None:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    await charges.charge_suspect(db, scene.actor, scene.suspect.id, charges.NewCharge(
        offence_codes=codes, decided_by="cps", remanded=True, charged_at=at,
        first_court_date=uk_time(at).date() + timedelta(days=1)))


async def _outcome(db: AsyncSession, scene: CrimeScene, code: str, at: datetime) -> None:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    await charges.record_outcome(db, scene.actor, scene.crime.id, code=code, at=at, note="x")


@pytest.fixture
async def known(db: AsyncSession, force_a: ForceData, force_b: ForceData) -> ForceData:
    """A DA suspect arrested twice (the second for breaching bail) and charged with two offences; a non-DA
    harassment suspect arrested in an operation at the very start of the period and charged; arrests and
    outcomes just outside the period; and another force's arrest and outcome inside it."""
    staff = await make_user(db, force_a, "ppu_investigator")
    a = await crime_scene(db, force_a, staff=staff, forename="Adam")
    b = await crime_scene(db, force_a, offences=("harassment",), da_related=False, staff=staff, forename="Ben")
    c = await crime_scene(db, force_a, offences=("threats-to-kill",), staff=staff, forename="Carl")
    d = await crime_scene(db, force_a, offences=("abh",), staff=staff, forename="Dan")
    await _arrest(db, a, SINCE + H)
    await suspects.change_status(db, a.actor, a.suspect.id, suspects.Step(
        to="bailed", at=SINCE + 5 * H, bail=suspects.BailTerms(return_on=add_months(START, 1),
                                                               authority="custody-officer")))
    await _arrest(db, a, SINCE + 2 * D, for_bail_breach=True)
    await _charge(db, a, SINCE + 2 * D + 3 * H, ["coercive-control", "abh"])
    await _outcome(db, a, "1", SINCE + 3 * D)
    operation = Operation(force_id=force_a.id, name="Operation Results", objective="Arrests", lead_name="Lead",
                          starts_on=START, ends_on=START + timedelta(days=6), created_by="test")
    db.add(operation)
    await db.flush()
    await _arrest(db, b, SINCE, operation_id=operation.id)  # the first instant of the period counts
    await _charge(db, b, SINCE + D, ["harassment"])
    await _outcome(db, b, "1", SINCE + 4 * D)
    await _arrest(db, c, SINCE - timedelta(minutes=1))  # just before
    await _outcome(db, c, "16", SINCE + D)
    await _arrest(db, d, UNTIL)  # the end is not included
    await _outcome(db, d, "16", UNTIL)
    other = await crime_scene(db, force_b, forename="Eve")
    await _arrest(db, other, SINCE + H)
    await _outcome(db, other, "16", SINCE + H)
    await set_force_context(db, force_a.id)
    return force_a


async def test_the_results_of_a_period_count_exactly_what_happened_in_it(db: AsyncSession, known: ForceData) -> None:
    actor = (await crime_scene(db, known)).actor
    found = await results.results(db, actor, START, END)
    assert (found.arrests, found.arrests_da, found.arrests_in_operations) == (3, 2, 1)
    assert (found.people_arrested, found.people_arrested_da) == (2, 1)
    assert (found.charge_decisions, found.people_charged, found.charges) == (2, 2, 3)
    by_category = {c.category: c.count for c in found.charges_by_category}
    assert list(by_category) == list(OFFENCE_CATEGORIES)  # all ten, zeros included
    assert {k: v for k, v in by_category.items() if v} == {"assault-wounding": 1, "coercive-control-stalking": 1,
                                                           "harassment": 1}
    assert {o.code: o.count for o in found.outcomes_by_code if o.count} == {"1": 2, "16": 1}
    assert len(found.outcomes_by_code) == 23 and found.outcomes == 3
    groups = dict(found.outcomes_by_group)
    assert groups["Charged/summonsed"] == 2 and groups["Evidential difficulties (victim does not support)"] == 1
    assert sum(groups.values()) == 3

    da = await results.results(db, actor, START, END, da_only=True)
    assert (da.arrests, da.arrests_da, da.arrests_in_operations, da.people_arrested) == (2, 2, 0, 1)
    assert (da.charge_decisions, da.people_charged, da.charges) == (1, 1, 2)
    assert {o.code: o.count for o in da.outcomes_by_code if o.count} == {"1": 1, "16": 1}
    # A day later at both ends: C's arrest a minute before the old start is still out, D's at the old end is in.
    later = await results.results(db, actor, START + timedelta(days=1), END + timedelta(days=1))
    assert later.arrests == 2 and later.people_arrested == 2  # A's re-arrest and D's
    events = (await db.scalars(select(AuditEvent.details).where(AuditEvent.action == "crime.results")
                             .order_by(AuditEvent.id))).all()
    assert len(events) == 3 and events[0]["from"] == START.isoformat()


async def test_a_bad_period_is_refused_naming_the_field(db: AsyncSession, force_a: ForceData) -> None:
    actor = (await crime_scene(db, force_a)).actor
    for start, end, field, message in ((START, START, "to", "The period must end after it starts"),
                                       (None, END, "from", "Give the first day of the period, as YYYY-MM-DD"),
                                       (START, START + timedelta(days=4000), "to", "at most ten years")):
        with pytest.raises(CrimeRefused) as refused:
            await results.results(db, actor, start, end)
        assert message in refused.value.errors[field]


async def test_the_results_page_api_and_csv_agree_and_need_reports_read(
        client: httpx.AsyncClient, db: AsyncSession, known: ForceData) -> None:
    token = await create_token(db, force_id=known.id, name="reports", scopes=["reports:read"])
    crimes_only = await create_token(db, force_id=known.id, name="crimes", scopes=["crimes:read"])
    params = {"from": START.isoformat(), "to": END.isoformat()}
    body = (await client.get("/api/v1/crimes/results", params=params,
                             headers={"Authorization": f"Bearer {token}"})).json()
    assert body["from"] == START.isoformat() and body["to"] == END.isoformat()
    assert (body["people_arrested"], body["people_arrested_da"], body["arrests"], body["charges"]) == (2, 1, 3, 3)
    assert {c["category"]: c["count"] for c in body["charges_by_category"]}["harassment"] == 1
    assert {g["group"]: g["count"] for g in body["outcomes_by_group"]}["Charged/summonsed"] == 2
    da = (await client.get("/api/v1/crimes/results", params={**params, "da_only": "true"},
                           headers={"Authorization": f"Bearer {token}"})).json()
    assert da["arrests"] == 2 and da["da_only"] is True
    refused = await client.get("/api/v1/crimes/results", params={"from": END.isoformat(), "to": START.isoformat()},
                               headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "to", "message": "The period must end after it starts"}]
    malformed = await client.get("/api/v1/crimes/results", params={"from": "31/03/2026", "to": END.isoformat()},
                                 headers={"Authorization": f"Bearer {token}"})
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "from"
    assert (await client.get("/api/v1/crimes/results", params=params,
                             headers={"Authorization": f"Bearer {crimes_only}"})).status_code == 403

    await sign_in(client, await make_user(db, known, "ppu_investigator"))
    assert (await client.get("/crimes/results")).status_code == 403  # crimes, not reports
    client.cookies.clear()
    await sign_in(client, await make_user(db, known, "analyst"))
    last = END - timedelta(days=1)
    page = await client.get("/crimes/results", params={
        "from_day": START.day, "from_month": START.month, "from_year": START.year,
        "to_day": last.day, "to_month": last.month, "to_year": last.year})
    assert page.status_code == 200
    assert f"{START:%d %B %Y} to {last:%d %B %Y}" in page.text
    assert "People arrested</dt><dd class=\"govuk-summary-list__value\">2</dd>" in page.text
    assert "3 (2 for domestic abuse; 1 in targeted operations)" in page.text
    assert f"/crimes/results.csv?from={START.isoformat()}&amp;to={END.isoformat()}" in page.text
    default = await client.get("/crimes/results")
    assert default.status_code == 200 and "Download these results (CSV)" in default.text
    bad = await client.get("/crimes/results", params={"from_day": "31", "from_month": "2", "from_year": "2026",
                                                      "to_day": "1", "to_month": "1", "to_year": "2026"})
    assert bad.status_code == 400 and 'href="#from_day">The date the period starts must be a real date' in bad.text
    download = await client.get("/crimes/results.csv", params=params)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["section", "code", "label", "value"]
    figures = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert figures[("arrests", "people")] == "2" and figures[("charges by category", "harassment")] == "1"
    assert figures[("outcomes by code", "16")] == "1" and figures[("period", "to")] == END.isoformat()
    assert (await client.get("/crimes/results.csv", params={"from": "nonsense"})).status_code == 400
