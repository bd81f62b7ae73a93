"""Crimes recorded from incidents: pages, API and import under one set of rules; reads confined and audited."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.auth.tokens import create_token
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.models import Crime, CrimeOffence, CrimePerson, Suspect, SuspectEvent
from safeguard.db.engine import psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.imports.crimes import import_crimes, parse_occurred_at
from safeguard.imports.models import ImportRejection
from safeguard.imports.people import import_people
from safeguard.people.models import Person
from safeguard.people.service import restrict
from tests.conftest import DatabaseUnderTest, ForceData, csrf_from, make_user, sign_in

WHEN = datetime(2026, 3, 14, 21, 30, tzinfo=UTC)


@dataclass
class Scene:
    incident: Incident
    victim: Person
    suspect: Person
    witness: Person


async def _scene(db: AsyncSession, force: ForceData, reference: str = "INC-20260314-0001") -> Scene:
    await set_force_context(db, force.id)
    victim = Person(force_id=force.id, forename="Alice", surname="Victim", dob_year=1990)
    suspect = Person(force_id=force.id, forename="Bob", surname="Suspect", dob_year=1988)
    witness = Person(force_id=force.id, forename="Carol", surname="Witness")
    incident = Incident(force_id=force.id, reference=reference, occurred_at=WHEN, da_related=True,
                        area_id=force.area.id, summary="Neighbour heard shouting")
    db.add_all([victim, suspect, witness, incident])
    await db.flush()
    db.add_all([IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
                IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=suspect.id, role="suspect"),
                IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=witness.id, role="witness")])
    await db.flush()
    return Scene(incident, victim, suspect, witness)


def _form(page: str, scene: Scene, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_from(page), "incident_id": str(scene.incident.id),
        "offence": ["coercive-control", "abh"], "victim": [str(scene.victim.id)],
        "suspect": [str(scene.suspect.id)], "witness": [str(scene.witness.id)],
        "occurred_at_day": "14", "occurred_at_month": "3", "occurred_at_year": "2026", "occurred_at_time": "21:30",
        "da_related": "yes", "status": "under-investigation",
    }
    data.update(overrides)
    return data


async def _count(db: AsyncSession, force: ForceData) -> int:
    await set_force_context(db, force.id)
    return int(await db.scalar(select(func.count()).select_from(Crime)) or 0)


# -- the pages ------------------------------------------------------------------------------------------

async def test_an_investigator_records_a_crime_from_an_incident(client: httpx.AsyncClient, db: AsyncSession,
                                                                force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    staff = await make_user(db, force_a, "ppu_investigator", username="investigator1")
    await sign_in(client, staff)
    page = await client.get("/crimes/new", params={"incident": scene.incident.reference})
    assert page.status_code == 200
    # The people of the incident are offered, ticked in the role they had in it.
    assert f'name="victim" type="checkbox" value="{scene.victim.id}" checked' in page.text
    assert f'name="suspect" type="checkbox" value="{scene.suspect.id}" checked' in page.text
    assert f'name="victim" type="checkbox" value="{scene.suspect.id}">' in page.text
    response = await client.post("/crimes/new", data=_form(page.text, scene))
    assert response.status_code == 303, response.text
    crime_path = response.headers["location"]
    crime_page = await client.get(crime_path)
    assert crime_page.status_code == 200
    text = crime_page.text
    assert "recorded." in text  # the flash
    for expected in ("Controlling or coercive behaviour", "Coercive control and stalking", "Assault and wounding",
                     "Alice Victim", "Bob Suspect", "Outstanding", "Carol Witness", "Domestic abuse",
                     "Not yet assigned", "Under investigation", "Northfield", scene.incident.reference):
        assert expected in text, expected

    await set_force_context(db, force_a.id)
    crime = await db.scalar(select(Crime))
    assert crime is not None and crime.reference.startswith("CR-2026-") and crime.da_related
    assert crime.occurred_at == WHEN and crime.recorded_by == "investigator1" and crime.area_id == force_a.area.id
    principal = await db.scalar(select(CrimeOffence).where(CrimeOffence.principal.is_(True)))
    assert principal is not None  # the offence with the greatest harm weight
    suspect = await db.scalar(select(Suspect))
    assert suspect is not None and suspect.status == "outstanding" and suspect.person_id == scene.suspect.id
    event = await db.scalar(select(SuspectEvent))
    assert event is not None and (event.from_status, event.to_status, event.by) == (None, "outstanding",
                                                                                   "investigator1")
    actions = (await db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "crime")
                              .order_by(AuditEvent.id))).all()
    assert actions == ["crime.create", "crime.read"]


async def test_a_refused_form_names_each_field_keeps_the_values_and_saves_nothing(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    await sign_in(client, await make_user(db, force_a, "ppu_investigator"))
    page = await client.get("/crimes/new", params={"incident": scene.incident.reference})
    response = await client.post("/crimes/new", data=_form(
        page.text, scene, offence=[], victim=[], other_witnesses="12ab", occurred_at_day="31",
        occurred_at_month="2", occurred_at_time="<b>late</b>", da_related=""))
    assert response.status_code == 400
    text = response.text
    assert "There is a problem" in text
    for message in ('href="#offences">Choose at least one offence',
                    'href="#victims">Choose at least one victim',
                    "Witnesses: &#39;12ab&#39; is not a person number",
                    'href="#occurred_at_day">The date the crime happened must be a real date',
                    'href="#da_related">Choose whether the crime is domestic abuse'):
        assert message in text, message
    # What was entered is kept (and escaped).
    assert f'name="suspect" type="checkbox" value="{scene.suspect.id}" checked' in text
    assert 'value="12ab"' in text and "&lt;b&gt;late&lt;/b&gt;" in text and "<b>late</b>" not in text
    assert await _count(db, force_a) == 0


async def test_people_must_be_visible_in_the_force_and_not_both_victim_and_suspect(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    elsewhere = await _scene(db, force_b, "INC-B-1")
    scene = await _scene(db, force_a)
    await sign_in(client, await make_user(db, force_a, "ppu_investigator"))
    page = await client.get("/crimes/new", params={"incident": scene.incident.reference})
    response = await client.post("/crimes/new", data=_form(page.text, scene, other_victims=str(elsewhere.victim.id)))
    assert response.status_code == 400
    assert f"There is no person {elsewhere.victim.id} in your force" in response.text
    response = await client.post("/crimes/new", data=_form(page.text, scene, suspect=[str(scene.victim.id)]))
    assert response.status_code == 400
    assert f"Person {scene.victim.id} cannot be both a victim and a suspect" in response.text
    response = await client.post("/crimes/new", data=_form(page.text, scene, offence=["burglary"]))
    assert "&#39;burglary&#39; is not an offence in the catalogue" in response.text
    response = await client.post("/crimes/new", data=_form(page.text, scene, status="closed"))
    assert 'href="#status">Choose under investigation' in response.text
    # Another force's incident cannot be recorded against.
    response = await client.post("/crimes/new", data=_form(page.text, elsewhere))
    assert response.status_code == 404
    assert (await client.get("/crimes/new", params={"incident": "INC-B-1"})).status_code == 404
    assert await _count(db, force_a) == 0


async def test_one_incident_holds_several_crimes(client: httpx.AsyncClient, db: AsyncSession,
                                                 force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    await sign_in(client, await make_user(db, force_a, "ppu_investigator"))
    page = await client.get("/crimes/new", params={"incident": scene.incident.reference})
    first = await client.post("/crimes/new", data=_form(page.text, scene))
    second = await client.post("/crimes/new", data=_form(page.text, scene, offence=["criminal-damage-dwelling"],
                                                         suspect=[], witness=[]))
    assert first.status_code == second.status_code == 303
    page = await client.get("/crimes/new", params={"incident": scene.incident.reference})
    assert len(re.findall(r'href="/crimes/\d', page.text)) == 2  # the two crimes (the menu links elsewhere)
    listing = await client.get("/crimes")
    assert listing.status_code == 200 and "Criminal damage to a dwelling" in listing.text
    assert "Alice" not in listing.text  # the list shows no names
    assert await _count(db, force_a) == 2


async def test_another_forces_crime_is_not_found_and_restricted_people_are_withheld(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, force_b: ForceData) -> None:
    scene_b = await _scene(db, force_b, "INC-B-1")
    officer_b = await make_user(db, force_b, "ppu_investigator")
    await set_force_context(db, force_b.id, officer_b.user.id)
    from safeguard.crimes import service

    actor_b = service.Actor(kind="user", force_id=force_b.id, label="b", permissions=frozenset(),
                            user_id=officer_b.user.id)
    crime_b = await service.record_crime(db, actor_b, service.NewCrime(
        incident_id=scene_b.incident.id, offence_codes=["abh"], victim_ids=[scene_b.victim.id]))
    scene = await _scene(db, force_a)
    officer = await make_user(db, force_a, "ppu_investigator", username="reader1")
    await set_force_context(db, force_a.id, officer.user.id)
    actor = service.Actor(kind="user", force_id=force_a.id, label="a", permissions=frozenset(),
                          user_id=officer.user.id)
    crime = await service.record_crime(db, actor, service.NewCrime(
        incident_id=scene.incident.id, offence_codes=["abh"], victim_ids=[scene.victim.id],
        suspect_ids=[scene.suspect.id]))
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="a", reason="Officer victim",
                   person_id=scene.victim.id)
    analyst = await make_user(db, force_a, "analyst", username="analyst1")
    await sign_in(client, analyst)
    assert (await client.get(f"/crimes/{crime_b.id}")).status_code == 404
    assert (await client.get(f"/api/v1/crimes/{crime_b.id}")).status_code == 404
    page = await client.get(f"/crimes/{crime.id}")
    assert page.status_code == 200 and "Restricted person" in page.text and "Alice" not in page.text
    body = (await client.get(f"/api/v1/crimes/{crime.id}")).json()
    assert body["victims"] == [{"person_id": None, "display_name": "Restricted person", "date_of_birth": None,
                                "withheld": True}]
    assert body["suspects"][0]["person"]["display_name"] == "Bob Suspect"
    await set_force_context(db, force_a.id)
    reads = (await db.execute(select(AuditEvent.actor_label, AuditEvent.object_id).where(
        AuditEvent.action == "crime.read"))).all()
    assert reads == [("analyst1", str(crime.id)), ("analyst1", str(crime.id))]


# -- the API --------------------------------------------------------------------------------------------

async def test_the_api_records_and_reads_a_crime_under_the_same_rules(client: httpx.AsyncClient, db: AsyncSession,
                                                                      force_a: ForceData) -> None:
    scene = await _scene(db, force_a)
    writer = await create_token(db, force_id=force_a.id, name="rms", scopes=["crimes:write", "crimes:read"])
    reader = await create_token(db, force_id=force_a.id, name="reports", scopes=["crimes:read"])
    body = {"incident_reference": scene.incident.reference, "offence_codes": ["threats-to-kill"],
            "victim_ids": [scene.victim.id], "suspect_ids": [scene.suspect.id]}
    refused = await client.post("/api/v1/crimes", json=body, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    bad = await client.post("/api/v1/crimes", headers={"Authorization": f"Bearer {writer}"},
                            json={**body, "offence_codes": [], "victim_ids": [], "occurred_at": later})
    assert bad.status_code == 422
    fields = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert fields == {"offence_codes": "Choose at least one offence", "victim_ids": "Choose at least one victim",
                      "occurred_at": "The time the crime happened must not be in the future"}
    missing = await client.post("/api/v1/crimes", headers={"Authorization": f"Bearer {writer}"},
                                json={**body, "incident_reference": "NO-SUCH"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "incident_reference"
    assert await _count(db, force_a) == 0
    created = await client.post("/api/v1/crimes", json=body, headers={"Authorization": f"Bearer {writer}"})
    assert created.status_code == 201, created.text
    crime = created.json()
    assert crime["da_related"] is True and crime["occurred_at"].startswith("2026-03-14T21:30")
    assert [o["code"] for o in crime["offences"]] == ["threats-to-kill"]
    assert crime["offences"][0]["category"] == "threats-to-kill" and crime["offences"][0]["harm_source"] == "estimate"
    assert crime["suspects"][0]["status"] == "outstanding" and crime["outcome"] is None
    read = await client.get(f"/api/v1/crimes/{crime['id']}", headers={"Authorization": f"Bearer {reader}"})
    assert read.status_code == 200 and read.json()["reference"] == crime["reference"]
    await set_force_context(db, force_a.id)
    victims = (await db.scalars(select(CrimePerson.person_id).where(CrimePerson.role == "victim"))).all()
    assert victims == [scene.victim.id]
    reads = await db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "crime.read"))
    assert reads == 2


# -- the import -----------------------------------------------------------------------------------------

PEOPLE = ("source_ref,forename,surname,middle_names,date_of_birth,gender,phone,address,town,postcode\n"
          "P-1,Alice,Victim,,1990,F,,,,\nP-2,Bob,Suspect,,1988,M,,,,\nP-3,Dana,Victim,,1995,F,,,,\n")
HEADER = "source_ref,incident_reference,occurred_at,da_related,offence_codes,victim_source_refs,suspect_source_refs\n"
GOOD = ("C-1,INC-20260314-0001,14/03/2026 21:30,yes,coercive-control;abh,P-1,P-2\n"
        "C-2,INC-20260314-0001,,,criminal-damage-dwelling,P-3,\n")
BAD = ("C-3,INC-NONE,,,abh,P-1,P-2\n"
       "C-4,INC-20260314-0001,,,burglary,P-1,\n"
       "C-5,INC-20260314-0001,,,abh,P-9,\n"
       "C-6,INC-20260314-0001,2099-01-01 10:00,,abh,P-1,\n"
       "C-1,INC-20260314-0001,,,abh,P-1,\n"
       "C-7,INC-20260314-0001,,perhaps,abh,P-1,\n"
       "C-8,INC-20260314-0001,,,abh,P-1,P-1\n"
       "C-9,INC-20260314-0001,,,,,\n")


async def test_import_loads_good_rows_keeps_bad_rows_with_reasons_and_is_idempotent(
        db: AsyncSession, force_a: ForceData) -> None:
    await _scene(db, force_a)
    await import_people(db, PEOPLE.encode(), filename="people.csv", force_id=force_a.id, imported_by="test")
    report, rejected = await import_crimes(db, (HEADER + GOOD + BAD).encode(), filename="crimes.csv",
                                           force_id=force_a.id, imported_by="test")
    assert (report.loaded, report.unchanged, report.rejected) == (2, 0, 8)
    reasons = {number: reason for number, reason, _ in rejected}
    assert reasons[4] == "incident reference: there is no incident 'INC-NONE' in the force"
    assert reasons[5] == "offence codes: 'burglary' is not an offence in the catalogue"
    assert "victim source refs: victim 'P-9' has not been imported as a person" in reasons[6]
    assert reasons[7] == "occurred at: '2099-01-01 10:00' is in the future"
    assert reasons[8] == "source ref 'C-1' is already on line 2"
    assert reasons[9] == "da related: 'perhaps' is not yes or no"
    assert "cannot be both a victim and a suspect" in reasons[10]
    assert "offence codes: Choose at least one offence" in reasons[11]
    assert "victim source refs: Choose at least one victim" in reasons[11]
    stored = (await db.scalars(select(ImportRejection.row_number).where(
        ImportRejection.batch_id == report.batch_id).order_by(ImportRejection.row_number))).all()
    assert stored == list(range(4, 12))
    crimes = list(await db.scalars(select(Crime).order_by(Crime.id)))
    assert len(crimes) == 2 and crimes[0].da_related and crimes[0].occurred_at == WHEN
    assert crimes[1].da_related  # blank: the incident's DA flag
    again, _ = await import_crimes(db, (HEADER + GOOD).encode(), filename="crimes.csv", force_id=force_a.id,
                                   imported_by="test")
    assert (again.loaded, again.unchanged, again.rejected) == (0, 2, 0)
    assert await _count(db, force_a) == 2


def test_occurred_at_formats() -> None:
    assert parse_occurred_at("14/03/2026 21:30") == WHEN
    assert parse_occurred_at("2026-03-14T21:30:00Z") == WHEN
    assert parse_occurred_at("2026-07-01 12:00") == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)  # British Summer Time
    assert parse_occurred_at("") is None
    with pytest.raises(ValueError, match="not a real date"):
        parse_occurred_at("31/02/2026")
    with pytest.raises(ValueError, match="not a date and time"):
        parse_occurred_at("yesterday")


def test_the_import_command_writes_a_reject_file(fresh_db: DatabaseUnderTest, tmp_path: Path) -> None:
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        (force_id,) = conn.execute("INSERT INTO force (code, name) VALUES ('IMP', 'Import Police') "
                                   "RETURNING id").fetchone() or (0,)
        conn.execute("INSERT INTO incident (force_id, reference, occurred_at, da_related) "
                     "VALUES (%s, 'INC-20260314-0001', %s, true)", (force_id, WHEN))
    env = dict(os.environ, DATABASE_URL=fresh_db.app_url, DATABASE_ADMIN_URL=fresh_db.admin_url, COLUMNS="300")
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    crimes = tmp_path / "crimes.csv"
    crimes.write_text(HEADER + GOOD + "=HYPERLINK(\"x\"),INC-NONE,,,abh,P-1,\n", encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "safeguard", "import", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    assert run("people", str(people)).returncode == 0
    result = run("crimes", str(crimes))
    assert result.returncode == 0, result.stderr
    assert "Loaded 2, unchanged 0 (already imported), refused 1." in result.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "crimes.rejects.csv").read_text())))
    assert rows[0][:2] == ["row_number", "reason"] and rows[1][0] == "4"
    assert rows[1][2] == "'=HYPERLINK(\"x\")"
    assert "Loaded 0, unchanged 2" in run("crimes", str(crimes)).stdout
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    refused = run("crimes", str(wrong))
    assert refused.returncode == 2 and "Nothing was imported. The headers are not right" in refused.stderr
