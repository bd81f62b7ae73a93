"""Charges and outcomes: charging needs an arrest or a summons, DA cases go to the CPS unless the force allows
otherwise, a charge stops the custody clock; outcomes are Home Office types, and every refusal saves nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.crimes import charges, custody, suspects
from safeguard.crimes.models import Arrest, Bail, Charge, ChargeOffence, Crime, SuspectEvent
from safeguard.crimes.service import CrimeRefused, uk_time
from safeguard.db.session import set_force_context
from safeguard.force.models import Force
from tests.conftest import ForceData, csrf_from, sign_in
from tests.integration.crime_scene import CrimeScene, count, crime_scene

H = timedelta(hours=1)


def _when(prefix: str, at: datetime) -> dict[str, str]:
    local = uk_time(at)
    return {f"{prefix}_day": str(local.day), f"{prefix}_month": str(local.month), f"{prefix}_year": str(local.year),
            f"{prefix}_time": local.strftime("%H:%M")}


def _day(prefix: str, on: date) -> dict[str, str]:
    return {f"{prefix}_day": str(on.day), f"{prefix}_month": str(on.month), f"{prefix}_year": str(on.year)}


async def _arrest(db: AsyncSession, scene: CrimeScene, at: datetime) -> Arrest:
    await set_force_context(db, scene.force.id, scene.staff.user.id)
    arrest = await custody.record_arrest(db, scene.actor, custody.NewArrest(
        suspect_id=scene.suspect.id, arrested_at=at, place="Elm Road", offence_codes=["abh"],
        team_id=scene.force.teams["public_protection"].id, arrived_at_station=at))
    assert arrest is not None
    return arrest


async def _counts(db: AsyncSession, force: ForceData) -> tuple[int, ...]:
    return (await count(db, Charge, force), await count(db, ChargeOffence, force), await count(db, Bail, force),
            await count(db, SuspectEvent, force))


async def test_an_investigator_charges_an_arrested_suspect_and_the_crime_shows_it(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    arrest = await _arrest(db, scene, now - 6 * H)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/charge")
    assert form.status_code == 200
    assert "under the Director's Guidance on Charging (DG6) the charging decision is the CPS's" in form.text
    assert 'name="offence" type="checkbox" value="coercive-control" checked' in form.text
    assert 'name="method" type="radio" value="charge" checked' in form.text
    court_day = uk_time(now).date() + timedelta(days=2)
    data = {"csrf_token": csrf_from(form.text), "offence": ["coercive-control", "abh"], "method": "charge",
            "decided_by": "police", "code_test": "full-code", **_when("charged_at", now - H), "remanded": "bail",
            **_day("first_court_date", court_day), "court": "Birmingham Magistrates",
            "condition-no-contact": "Carla Benning"}
    before = await _counts(db, force_a)
    police = await client.post(f"/crimes/suspects/{scene.suspect.id}/charge", data=data)
    assert police.status_code == 400
    assert ('href="#decided_by">Domestic abuse cases go to the CPS for a charging decision (Director&#39;s Guidance '
            'on Charging, 6th edition): choose the CPS') in police.text
    assert 'value="Carla Benning"' in police.text
    assert await _counts(db, force_a) == before
    charged = await client.post(f"/crimes/suspects/{scene.suspect.id}/charge", data={**data, "decided_by": "cps"})
    assert charged.status_code == 303, charged.text
    page = await client.get(charged.headers["location"])
    assert "Suspect charged: charged in custody." in page.text
    for expected in ("Charged", "Birmingham Magistrates", f"{court_day:%d %B %Y}", "CPS", "full code test"):
        assert expected in page.text, expected
    assert "Nothing more: the suspect has been charged" in page.text
    crime_page = await client.get(f"/crimes/{scene.crime.id}")
    assert 'data-testid="crime-charges"' in crime_page.text and "Charged in custody" in crime_page.text
    assert "Charged</dd>" in crime_page.text  # the crime's status
    # The charge stopped the custody clock and bailed the suspect to court with the conditions.
    view = await custody.read_arrest(db, scene.actor, arrest.id)
    assert not view.clock.running and view.release_reason == "Charged: bailed to court"
    await set_force_context(db, force_a.id)
    bail = await db.scalar(select(Bail))
    assert bail is not None and bail.kind == "post-charge" and bail.return_on == court_day
    assert bail.conditions == [{"kind": "no-contact", "detail": "Carla Benning"}]
    row = await db.scalar(select(Charge))
    assert row is not None and row.arrest_id == arrest.id and row.decided_by == "cps" and not row.remanded
    crime = await db.scalar(select(Crime).execution_options(populate_existing=True))
    assert crime is not None and crime.status == "charged"
    assert (await db.scalar(select(AuditEvent.details).where(AuditEvent.action == "charge.create"))) is not None


async def test_charging_needs_an_arrest_or_a_summons_and_refusals_save_nothing(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    now = datetime.now(UTC)
    court_day = uk_time(now).date() + timedelta(days=14)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/suspects/{scene.suspect.id}/charge")
    assert 'name="method" type="radio" value="summons" checked' in form.text  # never arrested
    data = {"csrf_token": csrf_from(form.text), "offence": ["abh"], "method": "charge", "decided_by": "cps",
            **_when("charged_at", now), "remanded": "bail", **_day("first_court_date", court_day)}
    path = f"/crimes/suspects/{scene.suspect.id}/charge"
    before = await _counts(db, force_a)
    outstanding = await client.post(path, data=data)
    assert outstanding.status_code == 400
    assert "A suspect who is outstanding cannot be charged: arrest or summons them first" in outstanding.text
    bad = await client.post(path, data={**data, "method": "summons", "offence": ["treason"], "remanded": "remand",
                                        **_day("first_court_date", court_day - timedelta(days=30)),
                                        **_when("charged_at", now + 3 * H)})
    for message in ("&#39;treason&#39; is not an offence in the catalogue",
                    "Only a suspect charged in custody can be remanded in custody",
                    "The time of the charge must not be in the future"):
        assert message in bad.text, message
    early_court = await client.post(path, data={**data, "method": "summons",
                                                **_day("first_court_date", court_day - timedelta(days=30))})
    assert "The first court date must be on or after the day of the charge" in early_court.text
    no_court = await client.post(path, data={**data, "method": "summons", "first_court_date_day": "",
                                             "first_court_date_month": "", "first_court_date_year": ""})
    assert 'href="#first_court_date_day">Enter the date of the first court hearing' in no_court.text
    assert await _counts(db, force_a) == before
    # Interviewed voluntarily and never arrested: a summons, not a charge in custody.
    await suspects.change_status(db, scene.actor, scene.suspect.id, suspects.Step(to="interviewed", at=now - H))
    never = await client.post(path, data=data)
    assert "A suspect who was never arrested cannot be charged in custody" in never.text
    summonsed = await client.post(path, data={**data, "method": "summons", "remanded": ""})
    assert summonsed.status_code == 303
    await set_force_context(db, force_a.id)
    charge = await db.scalar(select(Charge))
    assert charge is not None and charge.method == "summons" and charge.arrest_id is None
    assert await count(db, Bail, force_a) == 0  # a summons is no bail
    again = await client.get(path)
    assert again.status_code == 400 and "The suspect is already charged" in again.text


async def test_the_force_may_allow_police_charging_of_da_but_not_of_stalking(db: AsyncSession,
                                                                            force_a: ForceData) -> None:
    da = await crime_scene(db, force_a)
    stalking = await crime_scene(db, force_a, offences=("stalking",), da_related=False, staff=da.staff)
    now = datetime.now(UTC)
    court_day = uk_time(now).date() + timedelta(days=7)
    await db.execute(update(Force).where(Force.id == force_a.id).values(
        settings={"charging": {"police_may_charge_da": True}}))
    for scene in (da, stalking):
        await _arrest(db, scene, now - 3 * H)
    new = charges.NewCharge(offence_codes=["stalking"], decided_by="police", remanded=True,
                            first_court_date=court_day, charged_at=now - H)
    refused = None
    try:
        await charges.charge_suspect(db, stalking.actor, stalking.suspect.id, new)
    except CrimeRefused as problem:
        refused = problem.errors
    assert refused == {"decided_by": "Harassment and stalking cases go to the CPS for a charging decision (DG6): "
                                     "Stalking"}
    charge = await charges.charge_suspect(db, da.actor, da.suspect.id, charges.NewCharge(
        offence_codes=["abh"], decided_by="police", remanded=True, first_court_date=court_day, charged_at=now - H))
    assert charge is not None and charge.remanded and charge.decided_by == "police"
    await set_force_context(db, force_a.id)
    details = await db.scalar(select(AuditEvent.details).where(AuditEvent.action == "charge.create"))
    assert details is not None and details["police_charged_da_by_force_setting"] is True
    arrest = await db.scalar(select(Arrest).where(Arrest.suspect_id == da.suspect.id)
                             .execution_options(populate_existing=True))
    assert arrest is not None and arrest.release_reason == "Charged: remanded in custody to court"


async def test_outcomes_are_home_office_types_and_keep_their_rules(client: httpx.AsyncClient, db: AsyncSession,
                                                                   force_a: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    await sign_in(client, scene.staff)
    form = await client.get(f"/crimes/{scene.crime.id}/outcome")
    assert form.status_code == 200 and "16: Named suspect identified" in form.text
    token = csrf_from(form.text)
    path = f"/crimes/{scene.crime.id}/outcome"
    now = datetime.now(UTC)

    async def post(code: str, note: str = "", at: datetime = now) -> httpx.Response:
        return await client.post(path, data={"csrf_token": token, "code": code, "note": note, **_when("at", at)})

    unknown = await post("99")
    assert unknown.status_code == 400 and 'href="#code">&#39;99&#39; is not a Home Office outcome type' in unknown.text
    assert "Outcome 1 is for a charged or summonsed suspect: charge them first" in (await post("1")).text
    assert "Outcome 18 is for a crime with no suspect identified" in (await post("18")).text
    assert "Give the rationale for outcome 21: it should not normally be used for domestic abuse" in (
        await post("21")).text
    assert "The time of the outcome must not be in the future" in (await post("16", at=now + 3 * H)).text
    assert "Choose the outcome" in (await post("")).text
    await set_force_context(db, force_a.id)
    crime = await db.scalar(select(Crime))
    assert crime is not None and crime.outcome_code is None and crime.status == "under-investigation"
    done = await post("16", note="Victim withdrew support")
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "Outcome 16 recorded." in page.text and "Evidential difficulties (victim does not support)" in page.text
    assert "Victim withdrew support" in page.text and "Closed" in page.text


async def test_the_api_charges_and_records_outcomes_under_the_same_rules(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene = await crime_scene(db, force_a)
    other = await crime_scene(db, force_b)
    now = datetime.now(UTC)
    await _arrest(db, scene, now - 5 * H)
    writer = await create_token(db, force_id=force_a.id, name="rms", scopes=["crimes:write", "crimes:read"])
    reader = await create_token(db, force_id=force_a.id, name="dash", scopes=["crimes:read"])
    auth = {"Authorization": f"Bearer {writer}"}
    court_day = (uk_time(now).date() + timedelta(days=3)).isoformat()
    body = {"offence_codes": ["abh"], "decided_by": "cps", "first_court_date": court_day, "remanded": True}
    path = f"/api/v1/crimes/suspects/{scene.suspect.id}/charges"
    assert (await client.post(path, json=body, headers={"Authorization": f"Bearer {reader}"})).status_code == 403
    bad = await client.post(path, headers=auth, json={**body, "decided_by": "police", "offence_codes": []})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"decided_by", "offence_codes"}
    assert await count(db, Charge, force_a) == 0
    charged = await client.post(path, headers=auth, json=body)
    assert charged.status_code == 201, charged.text
    assert charged.json()["status"] == "charged" and charged.json()["charges"][0]["remanded"] is True
    types = await client.get("/api/v1/crimes/outcome-types", headers={"Authorization": f"Bearer {reader}"})
    assert [t["code"] for t in types.json()["results"]][:3] == ["1", "1A", "2"]
    outcome = f"/api/v1/crimes/{scene.crime.id}/outcome"
    unknown = await client.post(outcome, headers=auth, json={"code": "99"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "code", "message": "'99' is not a Home Office outcome type"}]
    done = await client.post(outcome, headers=auth, json={"code": "1"})
    assert done.status_code == 200 and done.json()["outcome"]["code"] == "1" and done.json()["status"] == "charged"
    assert (await client.post(f"/api/v1/crimes/{other.crime.id}/outcome", headers=auth,
                              json={"code": "16"})).status_code == 404
    assert (await client.post(f"/api/v1/crimes/suspects/{other.suspect.id}/charges", headers=auth,
                              json=body)).status_code == 404
