"""The harm ranking on PostgreSQL: what the extract reads (DA incidents and crimes, the window in UK local time,
victims, the four flags), that DuckDB and the plain PostgreSQL version agree, that row-level security keeps
other forces' and restricted people out, and how a ranked list is stored with its weight version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit.models import AuditEvent
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes.models import Crime, CrimeOffence, CrimePerson, Offence, Suspect
from safeguard.db.session import set_force_context
from safeguard.people.models import Person
from safeguard.people.service import grant_restricted, restrict
from safeguard.risk.models import RiskAssessment
from safeguard.safeguarding.models import ProtectiveOrder
from safeguard.targeting import service
from safeguard.targeting.engines import run_postgres
from safeguard.targeting.job import Window
from safeguard.targeting.models import HarmRanking, HarmRankingEntry
from safeguard.targeting.weights import DEFAULT_WEIGHTS, HarmWeights, WeightsError, add_version
from tests.conftest import ForceData, make_user

UK = ZoneInfo("Europe/London")
AS_OF = date(2026, 6, 30)


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK)


def ago(days: int, hour: int = 12) -> datetime:
    return local(AS_OF - timedelta(days=days), hour)


@dataclass
class Builder:
    db: AsyncSession
    force: ForceData
    made: int = 0

    def _ref(self, prefix: str) -> str:
        self.made += 1
        return f"{prefix}-{self.force.id}-{self.made}"

    async def person(self, forename: str, surname: str, dob_year: int | None = 1980) -> Person:
        person = Person(force_id=self.force.id, forename=forename, surname=surname, dob_year=dob_year)
        self.db.add(person)
        await self.db.flush()
        return person

    async def incident(self, at: datetime, *, da: bool = True, suspects: tuple[Person, ...] = (),
                       victims: tuple[Person, ...] = (), witnesses: tuple[Person, ...] = ()) -> Incident:
        incident = Incident(force_id=self.force.id, reference=self._ref("INC"), occurred_at=at, da_related=da)
        self.db.add(incident)
        await self.db.flush()
        for role, people in (("suspect", suspects), ("victim", victims), ("witness", witnesses)):
            self.db.add_all(IncidentPerson(force_id=self.force.id, incident_id=incident.id, person_id=p.id,
                                           role=role) for p in people)
        await self.db.flush()
        return incident

    async def crime(self, at: datetime, offences: tuple[str, ...], *, incident: Incident | None = None,
                    da: bool = True, suspects: tuple[Person, ...] = (), victims: tuple[Person, ...] = (),
                    status: str = "outstanding") -> Crime:
        crime = Crime(force_id=self.force.id, reference=self._ref("CR"), incident_id=incident.id if incident else None,
                      occurred_at=at, recorded_at=at, recorded_by="test", da_related=da)
        self.db.add(crime)
        await self.db.flush()
        for code in offences:
            offence_id = await self.db.scalar(select(Offence.id).where(Offence.code == code))
            self.db.add(CrimeOffence(force_id=self.force.id, crime_id=crime.id, offence_id=offence_id))
        self.db.add_all(Suspect(force_id=self.force.id, crime_id=crime.id, person_id=p.id, status=status)
                        for p in suspects)
        self.db.add_all(CrimePerson(force_id=self.force.id, crime_id=crime.id, person_id=p.id, role="victim")
                        for p in victims)
        await self.db.flush()
        return crime

    async def dash(self, victim: Person, incident: Incident, level: str, at: datetime) -> None:
        self.db.add(RiskAssessment(
            force_id=self.force.id, reference=self._ref("RA"), victim_id=victim.id, incident_id=incident.id,
            form="dash-2009", answers={}, score=0, suggested_level=level, final_level=level, marac_routes=[],
            assessed_at=at, assessed_by="test"))
        await self.db.flush()

    async def order(self, subject: Person, status: str) -> None:
        self.db.add(ProtectiveOrder(force_id=self.force.id, reference=self._ref("PO"), kind="dapo",
                                    subject_id=subject.id, status=status, starts_at=ago(30), recorded_by="test"))
        await self.db.flush()


@dataclass
class Scene:
    adam: Person
    beth: Person
    dan: Person
    hidden: Person
    vic2: Person


async def scene(db: AsyncSession, force: ForceData) -> Scene:
    await set_force_context(db, force.id)
    b = Builder(db, force)
    adam, beth = await b.person("Adam", "Ashby"), await b.person("Beth", "Brook", None)
    dan = await b.person("Dan", "Dee")
    vic1, vic2, vic3 = (await b.person("Vera", "One"), await b.person("Vi", "Two"), await b.person("Val", "Three"))
    witness = await b.person("Walt", "Witness")
    # Adam: three DA incidents and one DA crime with no incident, three victims.
    i1 = await b.incident(ago(10), suspects=(adam,), victims=(vic1,))
    await b.crime(ago(10), ("coercive-control", "abh"), incident=i1, suspects=(adam,), victims=(vic1,))
    i2 = await b.incident(ago(200), suspects=(adam,), victims=(vic2, adam), witnesses=(witness,))
    i3 = await b.incident(ago(400), suspects=(adam,), victims=(vic1,))
    # A crime on i3 in which Adam is not a suspect: its harm is not his, and Dan is not ranked for it.
    await b.crime(ago(400), ("gbh-s18",), incident=i3, suspects=(dan,))
    await b.crime(ago(50), ("gbh-s18",), suspects=(adam,), victims=(vic3,))
    await b.incident(ago(5), da=False, suspects=(adam,), victims=(witness,))  # not DA: not counted
    await b.crime(ago(6), ("gbh-s18",), da=False, suspects=(adam,))  # not DA: not counted
    # vic2's latest DASH is high; vic1's was high once but is standard now.
    await b.dash(vic2, i2, "medium", ago(200))
    await b.dash(vic2, i2, "high", ago(190))
    await b.dash(vic1, i1, "high", ago(400))
    await b.dash(vic1, i1, "standard", ago(9))
    await b.order(adam, "active")
    # Beth: one incident at 00:30 on the window's first day (BST, so 23:30 UTC the day before), one a minute
    # before midnight the day before the window, and a wanted suspect record from long ago.
    await b.incident(local(date(2023, 7, 1), 0, 30), suspects=(beth,))
    await b.incident(local(date(2023, 6, 30), 23, 59), suspects=(beth,))
    await b.incident(ago(-1), suspects=(beth,), victims=(vic3,))  # after the day of the ranking
    await b.crime(ago(2000), ("harassment",), da=False, suspects=(beth,), status="wanted")
    await b.order(beth, "expired")
    # A person restricted by someone else: a reader with no grant does not rank them at all.
    hidden = await b.person("Hana", "Hidden")
    await b.incident(ago(3), suspects=(hidden,), victims=(vic1,))
    registrar = await make_user(db, force, "ppu_investigator")
    await restrict(db, force_id=force.id, by_user_id=registrar.user.id, by_label="registrar", reason="refuge",
                   person_id=hidden.id)
    await set_force_context(db, force.id)
    return Scene(adam, beth, dan, hidden, vic2)


async def _ranked(db: AsyncSession, force: ForceData, engine: str = "duckdb",
                  weights: HarmWeights = DEFAULT_WEIGHTS) -> list[service.RankedPerpetrator]:
    return await service.compute(db, force.id, window_days=1095, weights=weights, as_of=AS_OF, engine=engine)


async def test_the_scene_is_scored_as_worked_out_by_hand(db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    user = await make_user(db, force_a, "analyst")
    await set_force_context(db, force_a.id, user.user.id)
    ranked = await _ranked(db, force_a)
    assert [r.person_id for r in ranked] == [s.adam.id, s.beth.id]
    adam, beth = ranked
    # Adam: events i1 (coercive control 40, ABH 10 -> 40), i2 and i3 (no crime of his: 1 each), the crime
    # with no incident (s18 GBH, 1460). Recency 10 days -> 5; frequency 4; gravity ln(1461) = 7.2869;
    # victims vic1, vic2, vic3 (not himself) x 2.
    assert (adam.recency, adam.frequency, adam.gravity, adam.victims, adam.score) == (
        Decimal("5.0000"), Decimal("4.0000"), Decimal("7.2869"), Decimal("6.0000"), Decimal("22.2869"))
    assert (adam.total_harm, adam.incidents, adam.victim_count) == (Decimal("1502.00"), 4, 3)
    assert adam.last_incident_on == AS_OF - timedelta(days=10)
    assert adam.flags == ["serial", "victim-high-risk", "active-order"]
    assert adam.display_name == "Adam Ashby" == s.adam.display_name
    # Beth: only the incident on the window's first local day; 1095 days ago is past the 36-month band.
    assert (beth.recency, beth.frequency, beth.gravity, beth.victims, beth.score) == (
        Decimal("0.0000"), Decimal("1.0000"), Decimal("0.6931"), Decimal("0.0000"), Decimal("1.6931"))
    assert (beth.incidents, beth.victim_count, beth.last_incident_on) == (1, 0, date(2023, 7, 1))
    assert beth.flags == ["wanted"]


async def test_duckdb_and_plain_postgresql_agree_on_the_scene(db: AsyncSession, force_a: ForceData) -> None:
    await scene(db, force_a)
    await set_force_context(db, force_a.id)
    window = Window(AS_OF, 1095)
    weights = HarmWeights(recency_bands=[(1, 7.5), (24, 1.25)], recency=0.3, frequency=1.7, frequency_cap=3,
                          gravity=0.9, victims=1.1, non_crime_harm=2.5, serial_min_victims=3)
    for w in (DEFAULT_WEIGHTS, weights):
        duck = await service.score(db, force_a.id, window_days=1095, weights=w, as_of=AS_OF, engine="duckdb")
        plain = await run_postgres(db, force_a.id, w, window)
        assert duck == plain
        assert len(duck) == 2


async def test_another_forces_people_never_enter_the_ranking(db: AsyncSession, force_a: ForceData,
                                                             force_b: ForceData) -> None:
    a = await scene(db, force_a)
    await set_force_context(db, force_b.id)
    b = Builder(db, force_b)
    bob = await b.person("Bob", "Bravo")
    victim = await b.person("Bea", "Bravo")
    await b.incident(ago(20), suspects=(bob,), victims=(victim,))
    for engine in ("duckdb", "postgres"):
        ranked = await _ranked(db, force_b, engine)
        assert [r.person_id for r in ranked] == [bob.id]
    await set_force_context(db, force_a.id)
    ids = {r.person_id for r in await _ranked(db, force_a)}
    assert bob.id not in ids and a.adam.id in ids


async def test_a_restricted_person_is_ranked_only_for_a_reader_with_a_grant(db: AsyncSession,
                                                                            force_a: ForceData) -> None:
    s = await scene(db, force_a)
    officer = await make_user(db, force_a, "analyst")
    await set_force_context(db, force_a.id, officer.user.id)
    assert s.hidden.id not in {r.person_id for r in await _ranked(db, force_a)}
    await grant_restricted(db, force_id=force_a.id, user_id=officer.user.id, granted_by="test", reason="case",
                           person_id=s.hidden.id)
    ranked = await _ranked(db, force_a)
    assert ranked[0].person_id == s.adam.id
    assert s.hidden.id in {r.person_id for r in ranked}
    assert ranked == await _ranked(db, force_a, "postgres")


async def test_a_ranking_is_stored_whole_with_its_weight_version(db: AsyncSession, force_a: ForceData) -> None:
    s = await scene(db, force_a)
    await set_force_context(db, force_a.id)
    assert await service.latest_ranking(db, force_a.id) is None
    first = await service.rank_and_store(db, force_a.id, as_of=AS_OF, computed_by="analyst-1")
    assert (first.weight_version, first.perpetrators, first.engine, first.window_days) == (1, 2, "duckdb", 1095)
    assert first.seconds is not None and first.seconds >= 0
    heavier = DEFAULT_WEIGHTS.model_copy(update={"frequency": 10.0})
    await add_version(db, force_a.id, heavier, created_by="analyst-1")
    second = await service.rank_and_store(db, force_a.id, as_of=AS_OF, computed_by="analyst-1", engine="postgres")
    assert second.weight_version == 2
    assert (await service.latest_ranking(db, force_a.id)) is second
    entries = list(await db.scalars(select(HarmRankingEntry).where(HarmRankingEntry.ranking_id == second.id)
                                    .order_by(HarmRankingEntry.rank)))
    assert [(e.rank, e.person_id) for e in entries] == [(1, s.adam.id), (2, s.beth.id)]
    assert entries[0].frequency == Decimal("40.0000") and entries[0].score == Decimal("58.2869")
    assert entries[0].flags == ["serial", "victim-high-risk", "active-order"]
    assert entries[1].last_incident_on == date(2023, 7, 1)
    again = await service.rank_and_store(db, force_a.id, as_of=AS_OF, computed_by="analyst-1", weight_version=1)
    stored = await service.stored_entries(db, again.id)
    assert [e.score for e in stored] == [Decimal("22.2869"), Decimal("1.6931")]
    assert stored[0].display_name == "Adam Ashby"
    audited = await db.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "targets.ranking_computed"))
    assert audited == 3


async def test_a_weight_version_that_does_not_exist_is_refused(db: AsyncSession, force_a: ForceData) -> None:
    await scene(db, force_a)
    await set_force_context(db, force_a.id)
    with pytest.raises(WeightsError, match="Weight version 7 does not exist for this force"):
        await service.rank_and_store(db, force_a.id, weight_version=7, as_of=AS_OF, computed_by="analyst-1")
    assert await db.scalar(select(func.count()).select_from(HarmRanking)) == 0


async def test_an_unknown_engine_is_refused(db: AsyncSession, force_a: ForceData) -> None:
    await set_force_context(db, force_a.id)
    with pytest.raises(ValueError, match="Unknown engine 'excel'"):
        await service.rank_and_store(db, force_a.id, engine="excel", computed_by="analyst-1")
