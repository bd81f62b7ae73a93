"""A caller who gives only an address, or a name and an address, finds the people who live there."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Person, PersonAddress
from safeguard.people.search import address_keys, parse_query, search_people
from safeguard.people.service import restrict
from tests.conftest import ForceData, make_user

HOMES = [("Amira", "Haddad", "77 Ash Street", "ZZ3 2LB"), ("Tom", "Baxter", "75 Ash Street", "ZZ3 2LB"),
         ("Nora", "Quinlan", "Flat 2, Shrewsbury Court", "ZZ5 9XG"),
         ("Ellis", "Varga", "Flat 3, 14 Mill Lane", "ZZ1 4ML")]


@pytest.fixture
async def residents(db: AsyncSession, force_a: ForceData) -> dict[str, int]:
    await set_force_context(db, force_a.id)
    ids = {}
    for forename, surname, line1, postcode in HOMES:
        person = Person(force_id=force_a.id, forename=forename, surname=surname, gender="unknown")
        home = Location(force_id=force_a.id, line1=line1, town="Brindleford", postcode=postcode)
        db.add_all([person, home])
        await db.flush()
        db.add(PersonAddress(force_id=force_a.id, person_id=person.id, location_id=home.id))
        ids[surname] = person.id
    await db.flush()
    return ids


@pytest.mark.parametrize(("line", "keys"), [
    ("77 Ash Street", ("77 ash street", "ash street")),
    ("  12A High St.", ("12a high st", "high st")),
    ("Flat 2, Shrewsbury Court", ("flat 2 shrewsbury court", "shrewsbury court")),
    ("Flat 3, 14 Mill Lane", ("flat 3 14 mill lane", "mill lane")),
    ("The Old Rectory", ("the old rectory", "the old rectory")),
])
async def test_python_keys_an_address_exactly_as_the_database_does(
        line: str, keys: tuple[str, str], db: AsyncSession, force_a: ForceData) -> None:
    assert address_keys(line) == keys
    await set_force_context(db, force_a.id)
    place = Location(force_id=force_a.id, line1=line, town="Brindleford")
    db.add(place)
    await db.flush()
    stored = (await db.execute(select(Location.line1_key, Location.street_key).where(Location.id == place.id))).one()
    assert tuple(stored) == keys


def test_a_street_needs_a_number_to_be_read_as_an_address() -> None:
    assert parse_query("Dean Lane 1984").address is None  # a person called Dean Lane
    assert parse_query("Dean Lane 1984").names == ["dean", "lane"]
    assert parse_query("4 Elm Row").street == "elm row"


async def test_an_address_alone_finds_who_lives_there_first(db: AsyncSession, force_a: ForceData,
                                                            residents: dict[str, int]) -> None:
    await set_force_context(db, force_a.id)
    results = await search_people(db, "77 ash street")
    assert [r.id for r in results][:2] == [residents["Haddad"], residents["Baxter"]]
    assert results[0].why == ["address matches"] and results[0].score == 1.0
    assert results[1].why == ["same street"]
    flat = await search_people(db, "flat 2 shrewsbury court")
    assert flat[0].id == residents["Quinlan"] and "address matches" in flat[0].why
    mill = await search_people(db, "Flat 3, 14 Mill Lane")
    assert mill[0].id == residents["Varga"]


async def test_a_name_with_an_address(db: AsyncSession, force_a: ForceData, residents: dict[str, int]) -> None:
    await set_force_context(db, force_a.id)
    results = await search_people(db, "Tom Baxter 75 Ash Street ZZ3 2LB")
    assert results[0].id == residents["Baxter"]
    assert {"surname exact", "forename exact", "address matches", "postcode matches"} <= set(results[0].why)


async def test_a_restricted_address_is_never_matched(db: AsyncSession, force_a: ForceData,
                                                     residents: dict[str, int]) -> None:
    officer = await make_user(db, force_a, "ppu_investigator")
    await set_force_context(db, force_a.id, officer.user.id)
    refuge = await db.scalar(select(PersonAddress.location_id).where(PersonAddress.person_id == residents["Quinlan"]))
    await restrict(db, force_id=force_a.id, by_user_id=officer.user.id, by_label="officer", reason="Refuge",
                   location_id=refuge)
    reader = await make_user(db, force_a, "call_handler")
    await set_force_context(db, force_a.id, reader.user.id)
    assert await search_people(db, "Flat 2, Shrewsbury Court") == []
    await set_force_context(db, force_a.id, officer.user.id)  # who restricted it keeps access
    assert (await search_people(db, "Flat 2, Shrewsbury Court"))[0].id == residents["Quinlan"]
