"""Restricted people and addresses are redacted on every path they could otherwise leak through: the person
page, search results, both exports, history at a glance (page and API), connected people and the duplicate
queue. Each path is shown first to leak nothing without a grant, then to show the record with one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.db.session import set_force_context
from safeguard.people.models import (
    DuplicateCandidate,
    Location,
    Marker,
    Person,
    PersonAddress,
    PersonPhone,
    Relationship,
)
from safeguard.people.service import grant_restricted, restrict
from tests.conftest import ForceData, Staff, make_user, sign_in

SHARED_NUMBER = "+447700900777"
SECRET_NAME = "Imogen Hartley-Vance"
REFUGE_STREET = "17 Larkspur Close"


@dataclass
class World:
    victim: int  # restricted: lives at a refuge
    partner: int  # not restricted; connected to the victim; lives at an ordinary address
    lookalike: int  # a possible duplicate of the victim
    refuge: int
    reader: Staff  # an analyst with no grants


async def _world(db: AsyncSession, force: ForceData) -> World:
    officer = await make_user(db, force, "ppu_investigator")
    await set_force_context(db, force.id, officer.user.id)
    victim = Person(force_id=force.id, forename="Imogen", surname="Hartley-Vance", dob_year=1990, dob_month=5,
                    dob_day=6, gender="female")
    partner = Person(force_id=force.id, forename="Marcus", surname="Dunmore", dob_year=1987, gender="male")
    lookalike = Person(force_id=force.id, forename="Imogen", surname="Hartley Vance", dob_year=1990,
                       gender="female")
    refuge = Location(force_id=force.id, line1=REFUGE_STREET, town="Northfield", postcode="ZZ1 7RF")
    home = Location(force_id=force.id, line1="2 Quarry Road", town="Northfield", postcode="ZZ2 2QR")
    db.add_all([victim, partner, lookalike, refuge, home])
    await db.flush()
    incident = Incident(force_id=force.id, reference="INC-REF-1", occurred_at=datetime.now(UTC),
                        location_id=refuge.id, da_related=True)
    db.add(incident)
    await db.flush()
    db.add_all([
        PersonPhone(force_id=force.id, person_id=victim.id, number_e164=SHARED_NUMBER),
        PersonPhone(force_id=force.id, person_id=partner.id, number_e164=SHARED_NUMBER),
        PersonAddress(force_id=force.id, person_id=victim.id, location_id=refuge.id),
        PersonAddress(force_id=force.id, person_id=partner.id, location_id=refuge.id, to_date=date(2099, 1, 1)),
        PersonAddress(force_id=force.id, person_id=partner.id, location_id=home.id),
        IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=partner.id, role="suspect"),
        IncidentPerson(force_id=force.id, incident_id=incident.id, person_id=victim.id, role="victim"),
        Relationship(force_id=force.id, person_a_id=partner.id, person_b_id=victim.id, kind="ex_partner"),
        Marker(force_id=force.id, person_id=victim.id, kind="da-high-risk-victim", starts_on=date(2026, 1, 1),
               set_by="officer", note="Refuge resident: never give out her whereabouts"),
        DuplicateCandidate(force_id=force.id, person_a_id=min(victim.id, lookalike.id),
                           person_b_id=max(victim.id, lookalike.id), match_probability=0.95, found_by="test"),
    ])
    await db.flush()
    for kwargs in ({"location_id": refuge.id}, {"person_id": victim.id}):
        await restrict(db, force_id=force.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                       **kwargs)  # type: ignore[arg-type]
    reader = await make_user(db, force, "analyst", username="reader")
    return World(victim.id, partner.id, lookalike.id, refuge.id, reader)


def _leaks(text: str) -> list[str]:
    return [secret for secret in ("Imogen", "Hartley", REFUGE_STREET, "ZZ1 7RF", "never give out") if secret in text]


async def _grant_everything(db: AsyncSession, force: ForceData, world: World) -> None:
    await set_force_context(db, force.id)
    await grant_restricted(db, force_id=force.id, user_id=world.reader.user.id, granted_by="officer",
                           reason="Case review", person_id=world.victim)
    await grant_restricted(db, force_id=force.id, user_id=world.reader.user.id, granted_by="officer",
                           reason="Case review", location_id=world.refuge)


@pytest.fixture
async def world(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData) -> World:
    made = await _world(db, force_a)
    assert (await sign_in(client, made.reader)).status_code == 303
    return made


async def test_person_pages(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, world: World) -> None:
    assert (await client.get(f"/people/{world.victim}")).status_code == 404
    partner = await client.get(f"/people/{world.partner}")
    assert partner.status_code == 200 and "Marcus Dunmore" in partner.text
    assert "Restricted address" in partner.text and "Restricted person" in partner.text
    assert _leaks(partner.text) == []
    await _grant_everything(db, force_a, world)
    partner = await client.get(f"/people/{world.partner}")
    assert REFUGE_STREET in partner.text and SECRET_NAME in partner.text


async def test_search_results_and_the_search_export(client: httpx.AsyncClient, db: AsyncSession,
                                                    force_a: ForceData, world: World) -> None:
    page = await client.get("/people", params={"q": "Imogen Hartley-Vance 1990"})
    api = await client.get("/api/v1/people/search", params={"q": "Imogen Hartley-Vance 1990"})
    export = await client.get("/people/export.csv", params={"q": "Imogen Hartley-Vance 1990"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(export.text)))
    ids = {int(row["person_id"]) for row in exported}
    assert world.lookalike in ids and world.victim not in ids  # the look-alike is found, the victim never
    assert world.victim not in {hit["id"] for hit in api.json()["results"]}
    assert f"/people/{world.victim}\"" not in page.text
    await _grant_everything(db, force_a, world)
    export = await client.get("/people/export.csv", params={"q": "Imogen Hartley-Vance 1990"})
    assert world.victim in {int(row["person_id"]) for row in csv.DictReader(io.StringIO(export.text))}


async def test_the_person_record_export(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                        world: World) -> None:
    assert (await client.get(f"/people/{world.victim}/export.csv")).status_code == 404
    export = await client.get(f"/people/{world.partner}/export.csv")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == f'attachment; filename="person-{world.partner}.csv"'
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {"section", "item", "detail", "from", "to", "recorded_by"} == set(rows[0])
    addresses = [row["detail"] for row in rows if row["section"] == "address"]
    assert "Restricted address" in addresses and any("Quarry Road" in a for a in addresses)
    connected = [row for row in rows if row["section"] == "connected person"]
    assert [row["detail"] for row in connected] == ["Restricted person"]
    assert _leaks(export.text) == []
    await set_force_context(db, force_a.id)
    exported = await db.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "person.exported"))
    assert exported == str(world.partner)
    await _grant_everything(db, force_a, world)
    export = await client.get(f"/people/{world.partner}/export.csv")
    assert REFUGE_STREET in export.text and SECRET_NAME in export.text


async def test_history_at_a_glance_page_and_api(client: httpx.AsyncClient, db: AsyncSession,
                                                force_a: ForceData, world: World) -> None:
    page = await client.get("/people/history", params={"number": "07700 900777"})
    assert page.status_code == 200
    assert "Marcus Dunmore" in page.text and "Restricted person" in page.text
    assert "Restricted address" in page.text and "2 Quarry Road" in page.text
    assert "INC-REF-1" in page.text  # the partner's incident is shown, at a redacted address
    assert _leaks(page.text) == []
    api = await client.get("/api/v1/people/history", params={"number": "+44 7700 900777"})
    assert api.status_code == 200
    body = api.json()
    assert body["number"] == SHARED_NUMBER
    assert body["people"][0]["withheld"]  # first: a restricted person on the line may be in a refuge
    withheld = [p for p in body["people"] if p["withheld"]]
    assert withheld == [{"id": None, "display_name": "Restricted person", "date_of_birth": None, "withheld": True,
                         "markers": [], "addresses": [], "incidents": [], "safe_contact": None}]
    assert _leaks(api.text) == []
    await _grant_everything(db, force_a, world)
    page = await client.get("/people/history", params={"number": "07700900777"})
    assert SECRET_NAME in page.text and REFUGE_STREET in page.text and "never give out" in page.text


async def test_the_duplicate_queue(client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData,
                                   world: World) -> None:
    queue = await client.get("/people/duplicates")
    assert "0 pairs to review" in queue.text and _leaks(queue.text) == []
    await _grant_everything(db, force_a, world)
    queue = await client.get("/people/duplicates")
    assert "1 pair to review" in queue.text


async def test_history_refuses_a_number_that_is_not_one(client: httpx.AsyncClient, world: World) -> None:
    page = await client.get("/people/history", params={"number": "call me"})
    assert page.status_code == 400 and "is not a phone number" in page.text and "There is a problem" in page.text
    api = await client.get("/api/v1/people/history", params={"number": "12"})
    assert api.status_code == 422 and "not a valid" in api.json()["detail"]


async def test_history_puts_people_with_warning_markers_first(client: httpx.AsyncClient, db: AsyncSession,
                                                              force_a: ForceData, world: World) -> None:
    await set_force_context(db, force_a.id)
    quiet = Person(force_id=force_a.id, forename="Alan", surname="Quiet", gender="male")
    marked = Person(force_id=force_a.id, forename="Bob", surname="Marked", gender="male")
    db.add_all([quiet, marked])
    await db.flush()
    db.add_all([PersonPhone(force_id=force_a.id, person_id=p.id, number_e164="+447700900888") for p in (quiet, marked)]
               + [Marker(force_id=force_a.id, person_id=marked.id, kind="weapons", starts_on=date(2026, 1, 1),
                         set_by="officer")])
    await db.flush()
    body = (await client.get("/api/v1/people/history", params={"number": "07700900888"})).json()
    assert [p["display_name"] for p in body["people"]] == ["Bob Marked", "Alan Quiet"]


async def test_a_number_shared_by_many_shows_the_most_concerning_and_counts_the_rest(
        client: httpx.AsyncClient, db: AsyncSession, force_a: ForceData, world: World) -> None:
    await set_force_context(db, force_a.id)
    household = [Person(force_id=force_a.id, forename=f"Member{n:02d}", surname="Switchboard") for n in range(23)]
    db.add_all(household)
    await db.flush()
    marked = household[17]
    db.add_all([PersonPhone(force_id=force_a.id, person_id=p.id, number_e164="+441632960999") for p in household]
               + [Marker(force_id=force_a.id, person_id=marked.id, kind="weapons", starts_on=date(2026, 1, 1),
                         set_by="officer")])
    await db.flush()
    body = (await client.get("/api/v1/people/history", params={"number": "01632 960999"})).json()
    assert len(body["people"]) == 20 and body["more_people"] == 3
    assert body["people"][0]["display_name"] == "Member17 Switchboard"
    page = await client.get("/people/history", params={"number": "01632 960999"})
    assert page.text.count('data-testid="glance-person"') == 20
    assert "3 more people are linked to this number" in page.text
