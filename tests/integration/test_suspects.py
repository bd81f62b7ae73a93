"""The suspect lifecycle: one table of allowed steps, every step kept, every refusal named and nothing saved;
bail periods and their authorities as data; the wanted list and its filters; every read audited."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes import suspects
from safeguard.crimes.models import SUSPECT_STATUSES, Arrest, Bail, Suspect, SuspectEvent
from safeguard.crimes.rules import BailRules, add_months
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.db.session import set_force_context
from safeguard.force.models import Area, Force
from safeguard.people.service import restrict
from tests.conftest import ForceData, csrf_from, make_user, sign_in
from tests.integration.crime_scene import WHEN, CrimeScene, count, crime_scene


async def _status(db: AsyncSession, scene: CrimeScene) -> str:
    await set_force_context(db, scene.force.id)
    return str(await db.scalar(select(Suspect.status).where(Suspect.id == scene.suspect.id)))


async def _arrested(db: AsyncSession, scene: CrimeScene, at: datetime) -> Arrest:
    """An arrest written directly (the arrest form has its own tests), moving the suspect to arrested."""
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    arrest = Arrest(force_id=scene.force.id, person_id=scene.person.id, suspect_id=scene.suspect.id, arrested_at=at,
                    arrested_by="pc", arrived_at_station=at + timedelta(minutes=20))
    db.add(arrest)
    await db.flush()
    suspect = await db.scalar(select(Suspect).where(Suspect.id == scene.suspect.id))
    assert suspect is not None
    await suspects.move(db, scene.actor, suspect, "arrested", at, reason=None, details={"arrest_id": arrest.id})
    return arrest


def _when(at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {"at_day": str(local.day), "at_month": str(local.month), "at_year": str(local.year),
            "at_time": local.strftime("%H:%M")}


# -- the table ----------------------------------------------------------------------------------------------

def test_every_step_is_either_allowed_or_refused_with_a_reason() -> None:
    for source in SUSPECT_STATUSES:
        for target in SUSPECT_STATUSES:
            reason = suspects.why_not(source, target)
            allowed = target in suspects.TRANSITIONS[source]
            assert (reason is None) == allowed, (source, target, reason)
            if reason:
                assert reason.endswith(tuple("abcdefghijklmnopqrstuvwxyz)")), reason
    assert suspects.why_not("outstanding", "charged", how=suspects.CHARGE) == (
        "A suspect who is outstanding cannot be charged: arrest or summons them first")
    assert suspects.why_not("outstanding", "charged", how=suspects.SUMMONS) is None
    assert suspects.why_not("arrested", "charged", how=suspects.SUMMONS) is None
    assert "already charged" in (suspects.why_not("charged", "charged") or "")
    assert "with the court" in (suspects.why_not("charged", "wanted") or "")
    assert "reopen" in (suspects.why_not("no-further-action", "arrested") or "")
    assert "arrest them first" in (suspects.why_not("outstanding", "bailed") or "")
    assert "Record the arrest" in (suspects.why_not("wanted", "arrested", how=suspects.STEP) or "")
    # Charged is the end of the police's part; everything else leads somewhere.
    assert suspects.TRANSITIONS["charged"] == {}
    assert all(suspects.TRANSITIONS[s] for s in SUSPECT_STATUSES if s != "charged")


def test_bail_periods_and_the_authority_each_needs() -> None:
    rules = BailRules()
    start = date(2026, 1, 31)
    assert add_months(start, 1) == date(2026, 2, 28) and add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert rules.authority_needed(start, date(2026, 4, 30)) == "custody-officer"
    assert rules.authority_needed(start, date(2026, 5, 1)) == "inspector"
    assert rules.authority_needed(start, date(2026, 10, 31)) == "superintendent"
    assert rules.authority_needed(start, date(2027, 3, 1)) == "court"
    assert rules.authority_needed(start, date(2028, 2, 1)) is None
    assert rules.may_set("superintendent", start, date(2026, 3, 1))  # a senior officer may set a short period
    assert not rules.may_set("custody-officer", start, date(2026, 6, 1))
    custom = BailRules.from_settings({"bail": {"periods": {"custody-officer": 1, "inspector": 3}}})
    assert custom.periods == (("custody-officer", 1), ("inspector", 3))
    assert custom.authority_needed(start, date(2026, 6, 1)) is None


# -- the pages ----------------------------------------------------------------------------------------------

async def test_an_investigator_marks_a_suspect_wanted_and_sees_the_history(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    crime_page = await client.get(f"/crimes/{scene.crime.id}")
    assert f'href="/crimes/suspects/{scene.suspect.id}"' in crime_page.text
    page = await client.get(f"/crimes/suspects/{scene.suspect.id}")
    assert page.status_code == 200
    assert "Dean Holloway" in page.text and "Outstanding" in page.text
    assert f'/crimes/suspects/{scene.suspect.id}/status?to=wanted"' in page.text
    assert f'/crimes/suspects/{scene.suspect.id}/arrest"' in page.text
    assert "Charge by summons or postal requisition" in page.text
    chooser = await client.get(f"/crimes/suspects/{scene.suspect.id}/status")
    assert chooser.status_code == 200 and "Mark as wanted" in chooser.text and "Bail" not in chooser.text
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/status", params={"to": "wanted"})
    assert form.status_code == 200 and "Circulated as wanted" in form.text
    at = datetime.now(UTC) - timedelta(hours=2)
    response = await client.post(f"/crimes/suspects/{scene.suspect.id}/status", data={
        "csrf_token": csrf_from(form.text), "to": "wanted", **_when(at), "circulated": "yes",
        "circulation_note": "Known to carry a knife", "reason": "Did not attend the voluntary interview"})
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert "Suspect marked wanted." in page.text
    for expected in ("Wanted since", "Known to carry a knife", "Did not attend the voluntary interview",
                     "Outstanding to Wanted", "Circulated", scene.staff.user.username):
        assert expected in page.text, expected
    await set_force_context(db, force_a.id)
    suspect = await db.scalar(select(Suspect).where(Suspect.id == scene.suspect.id).execution_options(
        populate_existing=True))
    assert suspect is not None and suspect.status == "wanted" and suspect.circulated
    assert suspect.wanted_since == at.replace(second=0, microsecond=0)
    events = (await db.scalars(select(SuspectEvent).order_by(SuspectEvent.id))).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "outstanding"), ("outstanding", "wanted")]
    assert events[1].by == scene.staff.user.username and events[1].details["circulated"] is True
    reads = (await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "suspect"))).all()
    assert reads.count("suspect.read") >= 3 and "suspect.status" in reads


async def test_a_refused_step_names_the_field_keeps_the_values_and_saves_nothing(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/status", params={"to": "wanted"})
    token = csrf_from(form.text)
    path = f"/crimes/suspects/{scene.suspect.id}/status"
    before = await count(db, SuspectEvent, force_a)

    future = await client.post(path, data={"csrf_token": token, "to": "wanted",
                                           **_when(datetime.now(UTC) + timedelta(hours=2)),
                                           "reason": "<b>Failed to attend</b>", "circulated": "no"})
    assert future.status_code == 400
    assert 'href="#at_day">The time of this step must not be in the future' in future.text
    assert "&lt;b&gt;Failed to attend&lt;/b&gt;" in future.text and "<b>Failed" not in future.text
    early = await client.post(path, data={"csrf_token": token, "to": "wanted", **_when(WHEN - timedelta(days=1)),
                                          "reason": "x"})
    assert early.status_code == 400 and "must be after the suspect&#39;s last step" in early.text
    missing = await client.post(path, data={"csrf_token": token, "to": "no-further-action",
                                            **_when(datetime.now(UTC)), "reason": " "})
    assert 'href="#reason">Say why no further action is taken' in missing.text
    bad_date = await client.post(path, data={"csrf_token": token, "to": "wanted", "at_day": "31", "at_month": "2",
                                             "at_year": "2026", "at_time": "25:00", "reason": ""})
    assert "The date of this step must be a real date" in bad_date.text
    assert "Say why the suspect is wanted" in bad_date.text  # every problem at once
    invalid = await client.post(path, data={"csrf_token": token, "to": "bailed", **_when(datetime.now(UTC))})
    assert invalid.status_code == 400
    assert "A suspect who is outstanding cannot be bailed: arrest them first" in invalid.text
    charged = await client.get(path, params={"to": "charged"})
    assert charged.status_code == 400 and "cannot be charged: arrest or summons them first" in charged.text
    arrested = await client.get(path, params={"to": "arrested"})
    assert arrested.status_code == 400 and "Record the arrest itself" in arrested.text
    unknown = await client.post(path, data={"csrf_token": token, "to": "escaped", **_when(datetime.now(UTC))})
    assert unknown.status_code == 400 and "&#39;escaped&#39; is not a suspect status" in unknown.text
    assert await count(db, SuspectEvent, force_a) == before
    assert await _status(db, scene) == "outstanding"


async def test_bail_follows_an_arrest_runs_to_its_authoritys_period_and_ends_custody(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    arrested_at = datetime.now(UTC) - timedelta(hours=10)
    arrest = await _arrested(db, scene, arrested_at)
    await sign_in(client, scene.staff)
    path = f"/crimes/suspects/{scene.suspect.id}/status"
    form = await client.get(path, params={"to": "bailed"})
    assert form.status_code == 200 and "Inspector or above: up to 6 months from the bail start" in form.text
    token = csrf_from(form.text)
    today = uk_time(datetime.now(UTC)).date()
    at = datetime.now(UTC) - timedelta(minutes=5)

    def bail(returns: date, authority: str, **extra: str) -> dict[str, str]:
        return {"csrf_token": token, "to": "bailed", **_when(at), "bail_return_on_day": str(returns.day),
                "bail_return_on_month": str(returns.month), "bail_return_on_year": str(returns.year),
                "bail_authority": authority, **extra}

    too_long = await client.post(path, data=bail(add_months(today, 4), "custody-officer",
                                                 **{"condition-no-contact": "Carla Benning"}))
    assert too_long.status_code == 400
    assert "up to 6 months from the start needs: inspector or above" in too_long.text
    assert 'value="Carla Benning"' in too_long.text  # kept
    beyond = await client.post(path, data=bail(add_months(today, 25), "court"))
    assert "cannot run beyond 24 months" in beyond.text
    past = await client.post(path, data=bail(today, "custody-officer"))
    assert "The bail return date must be after the day bail was given" in past.text
    no_date = await client.post(path, data={**bail(today, "nobody"), "bail_return_on_day": ""})
    assert "Enter the date the suspect must return on bail" in no_date.text
    assert "Choose who authorised the bail period" in no_date.text
    assert await count(db, Bail, force_a) == 0 and await _status(db, scene) == "arrested"

    returns = add_months(today, 2)
    ok = await client.post(path, data=bail(returns, "custody-officer", **{
        "condition-no-contact": "Carla Benning", "condition-exclusion": "Elm Road, Northfield",
        "bail_victim_views": "Wants no contact", "reason": "Further enquiries"}))
    assert ok.status_code == 303, ok.text
    page = await client.get(ok.headers["location"])
    assert "No contact, direct or indirect, with: Carla Benning" in page.text
    assert f"Return on {returns:%d %B %Y}" in page.text
    await set_force_context(db, force_a.id)
    row = await db.scalar(select(Bail))
    assert row is not None and row.kind == "pre-charge" and row.starts_on == today and row.arrest_id == arrest.id
    assert row.conditions == [{"kind": "no-contact", "detail": "Carla Benning"},
                              {"kind": "exclusion", "detail": "Elm Road, Northfield"}]
    # Bail is release from custody: the custody record ends.
    released = await db.scalar(select(Arrest).where(Arrest.id == arrest.id).execution_options(populate_existing=True))
    assert released is not None and released.released_at is not None
    assert released.release_reason == "Released: bailed"

    # An extension keeps the first start date; it needs the authority for the whole period.
    extend = await client.get(path, params={"to": "bailed"})
    assert "Extending or varying the current bail" in extend.text
    longer = add_months(today, 5)
    refused = await client.post(path, data=bail(longer, "custody-officer"))
    assert "needs: inspector or above" in refused.text
    extended = await client.post(path, data=bail(longer, "inspector", **{"condition-curfew": "20:00 to 07:00"}))
    assert extended.status_code == 303
    await set_force_context(db, force_a.id)
    rows = (await db.scalars(select(Bail).order_by(Bail.id).execution_options(populate_existing=True))).all()
    assert [(b.starts_on, b.return_on, b.authority, b.ended_at is None) for b in rows] == [
        (today, returns, "custody-officer", False), (today, longer, "inspector", True)]
    # Leaving bail ends it.
    rui = await client.post(path, data={"csrf_token": token, "to": "released-under-investigation",
                                        **_when(datetime.now(UTC)), "reason": "Awaiting phone download"})
    assert rui.status_code == 303
    await set_force_context(db, force_a.id)
    assert (await db.scalar(select(Bail).where(Bail.ended_at.is_(None)))) is None


async def test_bail_needs_an_arrest_and_the_forces_own_periods_apply(db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    today = uk_time(now).date()
    # Interviewed voluntarily, never arrested: bail cannot be given.
    await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(to="interviewed", at=now))
    with pytest.raises(CrimeRefused) as refused:
        await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(
            to="bailed", at=now, bail=suspects.BailTerms(return_on=add_months(today, 1), authority="custody-officer")))
    assert refused.value.errors == {"to": "Pre-charge bail is given on release from arrest: record the arrest first"}
    # The force sets its own periods: here a custody officer may bail for one month only.
    await _arrested(db, scene, now)
    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"bail": {"periods": {"custody-officer": 1, "inspector": 6, "superintendent": 9, "court": 24}}}))
    with pytest.raises(CrimeRefused) as refused:
        await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(
            to="bailed", at=now, bail=suspects.BailTerms(return_on=add_months(today, 2), authority="custody-officer")))
    assert "up to 6 months from the start needs: inspector or above" in refused.value.errors["bail_authority"]


async def test_every_allowed_step_through_the_form_is_kept_in_the_history(db: AsyncSession,
                                                                          force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    start = datetime.now(UTC) - timedelta(hours=5)
    path = [("wanted", "Sought"), ("outstanding", "Will attend voluntarily"), ("interviewed", None),
            ("no-further-action", "Victim withdrew"), ("outstanding", "New evidence"), ("no-further-action", "None")]
    for n, (to, reason) in enumerate(path):
        await suspects.change_status(db, scene.actor, scene.suspect.id,
                                     suspects.Step(to=to, at=start + timedelta(minutes=10 * n), reason=reason))
    await set_force_context(db, force_a.id)
    events = (await db.scalars(select(SuspectEvent).order_by(SuspectEvent.id))).all()
    assert [e.to_status for e in events] == ["outstanding", *[to for to, _ in path]]
    assert all(e.from_status == prior.to_status for prior, e in itertools.pairwise(events))
    suspect = await db.scalar(select(Suspect).execution_options(populate_existing=True))
    assert suspect is not None and suspect.wanted_since is None and not suspect.circulated


# -- the wanted list ----------------------------------------------------------------------------------------

async def test_the_wanted_list_filters_by_area_da_and_harm(client: httpx.AsyncClient, db: AsyncSession,
                                                           force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    south = Area(force_id=force_a.id, code="AAA-S", name="Southside")
    db.add(south)
    await db.flush()
    staff = await make_user(db, force_a, "ppu_investigator")
    high = await crime_scene(db, force_a, offences=("strangulation", "abh"), forename="Harry", staff=staff)
    low = await crime_scene(db, force_a, offences=("harassment",), da_related=False, area_id=south.id,
                            forename="Larry", staff=staff)
    await crime_scene(db, force_a, offences=("kidnapping",), forename="Quentin", staff=staff)  # not wanted
    hidden = await crime_scene(db, force_a, offences=("threats-to-kill",), forename="Rita", staff=staff)
    for n, scene in enumerate((high, low, hidden)):
        await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(
            to="wanted", reason="Sought", at=datetime.now(UTC) - timedelta(days=3 - n)))
    keeper = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="ppu", reason="Officer",
                   person_id=hidden.person.id)
    await sign_in(client, staff)
    page = await client.get("/crimes/wanted")
    assert page.status_code == 200
    text = page.text
    assert "3 wanted suspects" in text and "Quentin" not in text and "Rita" not in text
    assert "Restricted person" in text and f"/crimes/suspects/{hidden.suspect.id}" not in text
    assert text.index("Harry Holloway") < text.index("Larry Holloway")  # greatest harm first
    assert "Non-fatal strangulation" in text and "Strangulation and suffocation" in text and "(3 days)" in text
    da_only = await client.get("/crimes/wanted", params={"da": "yes"})
    assert "Harry" in da_only.text and "Larry" not in da_only.text
    southside = await client.get("/crimes/wanted", params={"area": str(south.id)})
    assert "Larry" in southside.text and "Harry" not in southside.text and "1 wanted suspect" in southside.text
    harmful = await client.get("/crimes/wanted", params={"min_harm": "100"})
    assert "Harry" in harmful.text and "Larry" not in harmful.text
    harassment = await client.get("/crimes/wanted", params={"category": "harassment"})
    assert "Larry" in harassment.text and "Harry" not in harassment.text
    none = await client.get("/crimes/wanted", params={"category": "criminal-damage"})
    assert "No suspect is wanted with these filters" in none.text
    bad = await client.get("/crimes/wanted", params={"min_harm": "lots", "category": "treason", "area": "999999"})
    assert bad.status_code == 400
    for message in ("The least harm weight must be a number", "Choose an offence category from the list",
                    "Choose an area of your force"):
        assert message in bad.text
    await set_force_context(db, force_a.id)
    lists = (await db.scalars(select(AuditEvent.details).where(AuditEvent.action == "suspect.list")
                              .order_by(AuditEvent.id))).all()
    assert len(lists) == 6 and lists[0]["shown"] == 3


# -- the API and other forces -------------------------------------------------------------------------------

async def test_the_api_reads_and_moves_a_suspect_under_the_same_rules(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    other = await crime_scene(db, force_b)
    writer = await create_token(db, force_id=force_a.id, name="rms", scopes=["crimes:write", "crimes:read"])
    reader = await create_token(db, force_id=force_a.id, name="dash", scopes=["crimes:read"])
    path = f"/api/v1/crimes/suspects/{scene.suspect.id}"
    body = (await client.get(path, headers={"Authorization": f"Bearer {reader}"})).json()
    assert body["status"] == "outstanding" and body["person"]["display_name"] == "Dean Holloway"
    assert {"to": "charged", "how": "summons"} in body["next_steps"]
    assert body["history"][0]["to_status"] == "outstanding" and body["history"][0]["from_status"] is None
    assert (await client.post(f"{path}/transitions", json={"to": "wanted", "reason": "x"},
                              headers={"Authorization": f"Bearer {reader}"})).status_code == 403
    refused = await client.post(f"{path}/transitions", headers={"Authorization": f"Bearer {writer}"}, json={
        "to": "bailed", "bail": {"authority": "court", "return_on": "2026-01-01"}})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "to", "message": "A suspect who is outstanding cannot be bailed: "
                                                                   "arrest them first"}]
    bad = await client.post(f"{path}/transitions", headers={"Authorization": f"Bearer {writer}"}, json={
        "to": "wanted", "at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    assert {e["field"] for e in bad.json()["errors"]} == {"at", "reason"}
    assert await count(db, SuspectEvent, force_a) == 1
    moved = await client.post(f"{path}/transitions", headers={"Authorization": f"Bearer {writer}"}, json={
        "to": "wanted", "reason": "Failed to attend", "circulated": True, "circulation_note": "PNC"})
    assert moved.status_code == 201, moved.text
    assert moved.json()["status"] == "wanted" and moved.json()["circulated"] is True
    wanted = await client.get("/api/v1/crimes/wanted", params={"da_only": "true", "min_harm": "5"},
                              headers={"Authorization": f"Bearer {reader}"})
    assert [w["suspect_id"] for w in wanted.json()["results"]] == [scene.suspect.id]
    assert wanted.json()["results"][0]["harm_weight"] == "40.00"
    bad_filter = await client.get("/api/v1/crimes/wanted", params={"category": "treason"},
                                  headers={"Authorization": f"Bearer {reader}"})
    assert bad_filter.status_code == 422 and bad_filter.json()["errors"][0]["field"] == "category"
    # Another force's suspect is not found, on the API or the pages.
    elsewhere = f"/api/v1/crimes/suspects/{other.suspect.id}"
    assert (await client.get(elsewhere, headers={"Authorization": f"Bearer {reader}"})).status_code == 404
    assert (await client.post(f"{elsewhere}/transitions", json={"to": "wanted", "reason": "x"},
                              headers={"Authorization": f"Bearer {writer}"})).status_code == 404
    await sign_in(client, scene.staff)
    assert (await client.get(f"/crimes/suspects/{other.suspect.id}")).status_code == 404
    assert (await client.get(f"/crimes/suspects/{other.suspect.id}/status")).status_code == 404
    await set_force_context(db, force_b.id)
    assert await _status(db, other) == "outstanding"
    await set_force_context(db, force_a.id)
    reads = (await db.scalars(select(AuditEvent.reason).where(AuditEvent.action == "suspect.read"))).all()
    assert len(reads) == 2 and "changed through the API" in reads


async def test_a_restricted_suspect_is_not_found_by_those_without_a_grant(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    keeper = await make_user(db, force_a, "ppu_investigator")
    await restrict(db, force_id=force_a.id, by_user_id=keeper.user.id, by_label="ppu", reason="Officer",
                   person_id=scene.person.id)
    await sign_in(client, scene.staff)
    assert (await client.get(f"/crimes/suspects/{scene.suspect.id}")).status_code == 404
    crime_page = await client.get(f"/crimes/{scene.crime.id}")
    assert "Restricted person" in crime_page.text and f"/crimes/suspects/{scene.suspect.id}" not in crime_page.text


def test_decimal_filters_refuse_nonsense() -> None:
    assert suspects.wanted_filter_problems([1], suspects.WantedFilter(min_harm=Decimal("NaN"))) == {
        "min_harm": "The least harm weight must be a number, 0 or more"}
    assert suspects.wanted_filter_problems([1], suspects.WantedFilter(min_harm=Decimal("-1")))
    assert not suspects.wanted_filter_problems([1], suspects.WantedFilter(area_id=1, category="other"))
