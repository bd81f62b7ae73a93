"""Crimes recorded from incidents: the rules, for the pages, the API and the import alike.

A crime is recorded for an incident (one incident may hold several crimes), with at least one offence
from the catalogue, at least one victim, any witnesses, the suspects (each starting as `outstanding`, with
the first step of their history), the DA flag and its status. Every check runs before anything is written,
and a refusal names each field at fault. Every read of a crime is audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.audit import service as audit
from safeguard.auth.actor import Actor
from safeguard.contact.models import Incident, IncidentPerson
from safeguard.crimes import offences as catalogue
from safeguard.crimes.models import (
    CRIME_STATUSES,
    Crime,
    CrimeOffence,
    CrimePerson,
    Offence,
    OutcomeType,
    Suspect,
    SuspectEvent,
)
from safeguard.force.models import Area
from safeguard.people.models import Person
from safeguard.people.service import may_see

UK = ZoneInfo("Europe/London")
# A crime is charged or closed through its charges and its outcome, never when it is recorded.
RECORDING_STATUSES = ("under-investigation", "awaiting-charging-decision")
STATUS_LABELS = {
    "under-investigation": "Under investigation",
    "awaiting-charging-decision": "Awaiting a charging decision",
    "charged": "Charged",
    "closed": "Closed",
}
assert set(STATUS_LABELS) == set(CRIME_STATUSES)
SUSPECT_STATUS_LABELS = {
    "outstanding": "Outstanding",
    "wanted": "Wanted",
    "arrested": "Arrested",
    "interviewed": "Interviewed",
    "charged": "Charged",
    "bailed": "Bailed",
    "released-under-investigation": "Released under investigation",
    "no-further-action": "No further action",
}
RESTRICTED_PERSON = "Restricted person"
MAX_PEOPLE = 50
MAX_OFFENCES = 20
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


class CrimeRefused(ValueError):
    """What was asked cannot be saved. `errors` maps each field at fault to a message an officer can act on.

    Nothing has been written when this is raised.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class CrimeNotFound(LookupError):
    """No such crime in this force."""


@dataclass(frozen=True)
class NewCrime:
    """What an officer, an integration or an import asks to record."""

    incident_id: int | None
    offence_codes: Sequence[str]
    victim_ids: Sequence[int]
    suspect_ids: Sequence[int] = ()
    witness_ids: Sequence[int] = ()
    occurred_at: datetime | None = None  # default: when the incident happened
    da_related: bool | None = None  # default: the incident's DA flag
    status: str = "under-investigation"


@dataclass(frozen=True)
class PersonInCrime:
    person_id: int | None  # None when withheld
    display_name: str
    date_of_birth: str | None
    withheld: bool = False


@dataclass(frozen=True)
class SuspectView:
    id: int
    person: PersonInCrime
    status: str
    status_label: str
    status_since: datetime
    wanted_since: datetime | None
    circulated: bool


@dataclass(frozen=True)
class OffenceView:
    code: str
    title: str
    legislation: str
    ho_class: str | None
    category: str
    category_label: str
    harm_weight: Decimal
    harm_source: str
    principal: bool
    active: bool


@dataclass(frozen=True)
class OutcomeView:
    code: str
    title: str
    group: str
    confidence: str
    at: datetime
    by: str | None
    note: str | None


@dataclass(frozen=True)
class CrimeView:
    id: int
    reference: str
    incident_id: int | None
    incident_reference: str | None
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    da_related: bool
    status: str
    status_label: str
    area: str | None
    offences: list[OffenceView]
    victims: list[PersonInCrime]
    witnesses: list[PersonInCrime]
    suspects: list[SuspectView]
    outcome: OutcomeView | None

    @property
    def total_harm(self) -> Decimal:
        return sum((o.harm_weight for o in self.offences), Decimal(0))


@dataclass(frozen=True)
class IncidentPersonOption:
    person_id: int
    display_name: str
    date_of_birth: str | None
    role: str  # victim, suspect or witness in the incident


@dataclass(frozen=True)
class IncidentView:
    id: int
    reference: str
    occurred_at: datetime
    da_related: bool
    summary: str | None
    people: list[IncidentPersonOption] = field(default_factory=list)
    withheld_people: int = 0
    crimes: list[tuple[int, str]] = field(default_factory=list)  # (id, reference) of crimes already recorded
    location_id: int | None = None
    area_id: int | None = None


@dataclass(frozen=True)
class CrimeListItem:
    id: int
    reference: str
    occurred_at: datetime
    da_related: bool
    status_label: str
    offences: list[str]


def uk_time(value: datetime) -> datetime:
    return value.astimezone(UK)


# -- incidents ---------------------------------------------------------------------------------------------

async def incidents_by_reference(db: AsyncSession, reference: str) -> list[Incident]:
    """The force's incidents with this reference (row-level security confines the query to the force)."""
    return list(await db.scalars(select(Incident).where(Incident.reference == reference.strip())
                                 .order_by(Incident.occurred_at.desc()).limit(10)))


async def incident_for_recording(db: AsyncSession, actor: Actor, incident_id: int, *,
                                 reason: str = "recording a crime") -> IncidentView | None:
    """An incident with the people in it (restricted ones withheld) and the crimes already recorded for it."""
    incident = (await db.scalars(select(Incident).where(Incident.id == incident_id))).first()
    if incident is None:
        return None
    rows = await db.execute(
        select(IncidentPerson.person_id, IncidentPerson.role, Person)
        .outerjoin(Person, Person.id == IncidentPerson.person_id)
        .where(IncidentPerson.incident_id == incident_id).order_by(IncidentPerson.id))
    people: list[IncidentPersonOption] = []
    withheld = 0
    for person_id, role, person in rows:
        if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
            withheld += 1
            continue
        people.append(IncidentPersonOption(person_id, person.display_name, person.date_of_birth, role))
    crimes = [(c.id, c.reference) for c in await db.scalars(
        select(Crime).where(Crime.incident_id == incident_id).order_by(Crime.id))]
    await audit.record_read(db, actor, "incident", incident_id, reason=reason)
    return IncidentView(incident.id, incident.reference, incident.occurred_at, incident.da_related,
                        incident.summary, people, withheld, crimes, incident.location_id, incident.area_id)


# -- recording a crime -------------------------------------------------------------------------------------

def _ids(values: Iterable[int]) -> list[int]:
    seen: dict[int, None] = {}
    for value in values:
        seen.setdefault(int(value), None)
    return list(seen)


async def _person_problems(db: AsyncSession, actor: Actor, ids: list[int], what: str) -> str | None:
    if len(ids) > MAX_PEOPLE:
        return f"Give at most {MAX_PEOPLE} {what}"
    if not ids:
        return None
    found = {p.id: p for p in await db.scalars(select(Person).where(Person.id.in_(ids)))}
    for person_id in ids:
        person = found.get(person_id)
        if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
            return f"There is no person {person_id} in your force"
        if person.merged_into_id is not None:
            return f"Person {person_id} was merged into person {person.merged_into_id}: use that record"
    return None


async def crime_problems(db: AsyncSession, actor: Actor, new: NewCrime, *, now: datetime | None = None
                         ) -> tuple[dict[str, str], Incident | None, dict[str, Offence]]:
    """Everything wrong with `new`, keyed by field; with the incident and offences found along the way."""
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    incident = None
    if new.incident_id is None:
        errors["incident"] = "Choose the incident the crime was recorded from"
    else:
        incident = (await db.scalars(select(Incident).where(Incident.id == new.incident_id))).first()
        if incident is None:
            errors["incident"] = f"There is no incident {new.incident_id} in your force"
    codes = list(dict.fromkeys(code.strip() for code in new.offence_codes if code.strip()))
    found: dict[str, Offence] = {}
    if not codes:
        errors["offences"] = "Choose at least one offence"
    elif len(codes) > MAX_OFFENCES:
        errors["offences"] = f"Choose at most {MAX_OFFENCES} offences"
    else:
        found = await catalogue.by_codes(db, codes)
        unknown = [code for code in codes if code not in found]
        retired = [code for code in codes if code in found and not found[code].active]
        if unknown:
            errors["offences"] = f"'{unknown[0]}' is not an offence in the catalogue"
        elif retired:
            errors["offences"] = f"'{retired[0]}' has been retired from the catalogue; choose its replacement"
    victims, suspects, witnesses = _ids(new.victim_ids), _ids(new.suspect_ids), _ids(new.witness_ids)
    if not victims:
        errors["victims"] = "Choose at least one victim"
    for name, ids, what in (("victims", victims, "victims"), ("suspects", suspects, "suspects"),
                            ("witnesses", witnesses, "witnesses")):
        problem = await _person_problems(db, actor, ids, what)
        if problem and name not in errors:
            errors[name] = problem
    both = sorted(set(victims) & set(suspects))
    if both and "suspects" not in errors:
        errors["suspects"] = f"Person {both[0]} cannot be both a victim and a suspect of the same crime"
    twice = sorted((set(victims) | set(suspects)) & set(witnesses))
    if twice and "witnesses" not in errors:
        errors["witnesses"] = f"Person {twice[0]} is already a victim or suspect of this crime"
    occurred = new.occurred_at or (incident.occurred_at if incident else None)
    if occurred is not None:
        if occurred.tzinfo is None:
            errors["occurred_at"] = "Give the time the crime happened with its time zone"
        elif occurred > now + timedelta(minutes=5):
            errors["occurred_at"] = "The time the crime happened must not be in the future"
        elif occurred < EARLIEST:
            errors["occurred_at"] = "The time the crime happened must be after 1900"
    if new.status not in RECORDING_STATUSES:
        errors["status"] = ("Choose under investigation or awaiting a charging decision: a crime is charged or "
                            "closed through its charges and outcome")
    return errors, incident, found


async def _next_reference(db: AsyncSession, recorded_at: datetime) -> tuple[int, str]:
    crime_id = int(await db.scalar(text("SELECT nextval(pg_get_serial_sequence('crime', 'id'))")) or 0)
    return crime_id, f"CR-{uk_time(recorded_at).year}-{crime_id:06d}"


async def record_crime(db: AsyncSession, actor: Actor, new: NewCrime, *, via: str = "web",
                       now: datetime | None = None) -> Crime:
    """Record a crime in the caller's transaction. Raises CrimeRefused (nothing written) with every problem."""
    now = now or datetime.now(UTC)
    errors, incident, found = await crime_problems(db, actor, new, now=now)
    if errors:
        raise CrimeRefused(errors)
    assert incident is not None
    codes = list(dict.fromkeys(code.strip() for code in new.offence_codes if code.strip()))
    crime_id, reference = await _next_reference(db, now)
    crime = Crime(id=crime_id, force_id=actor.force_id, reference=reference, incident_id=incident.id,
                  occurred_at=new.occurred_at or incident.occurred_at, recorded_at=now, recorded_by=actor.label,
                  recorded_by_id=actor.user_id,
                  da_related=incident.da_related if new.da_related is None else new.da_related,
                  status=new.status, area_id=incident.area_id, location_id=incident.location_id)
    db.add(crime)
    await db.flush()
    # The principal offence, which the crime is counted under, is the one with the greatest harm weight.
    principal = max(codes, key=lambda code: (found[code].harm_weight, -codes.index(code)))
    for code in codes:
        db.add(CrimeOffence(force_id=actor.force_id, crime_id=crime.id, offence_id=found[code].id,
                            principal=code == principal))
    for role, ids in (("victim", new.victim_ids), ("witness", new.witness_ids)):
        for person_id in _ids(ids):
            db.add(CrimePerson(force_id=actor.force_id, crime_id=crime.id, person_id=person_id, role=role))
    for person_id in _ids(new.suspect_ids):
        suspect = Suspect(force_id=actor.force_id, crime_id=crime.id, person_id=person_id, status="outstanding",
                          status_since=now)
        db.add(suspect)
        await db.flush()
        db.add(SuspectEvent(force_id=actor.force_id, suspect_id=suspect.id, from_status=None,
                            to_status="outstanding", at=now, by=actor.label, by_id=actor.user_id,
                            reason=f"Suspect named when crime {reference} was recorded"))
    await db.flush()
    await audit.record(db, action="crime.create", actor=actor, object_type="crime", object_id=crime.id,
                       details={"reference": reference, "incident_id": incident.id, "offences": codes,
                                "victims": len(_ids(new.victim_ids)), "suspects": len(_ids(new.suspect_ids)),
                                "via": via})
    return crime


# -- reading a crime ---------------------------------------------------------------------------------------

async def _person(db: AsyncSession, actor: Actor, person_id: int, person: Person | None) -> PersonInCrime:
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        return PersonInCrime(None, RESTRICTED_PERSON, None, withheld=True)
    return PersonInCrime(person.id, person.display_name, person.date_of_birth)


async def read_crime(db: AsyncSession, actor: Actor, crime_id: int, *, reason: str | None = None) -> CrimeView:
    """One crime, as this actor may see it (restricted people withheld). The read is audited."""
    # A query, not the session's identity map, so that row-level security always decides.
    crime = (await db.scalars(select(Crime).where(Crime.id == crime_id))).first()
    if crime is None:
        raise CrimeNotFound(crime_id)
    await audit.record_read(db, actor, "crime", crime_id, reason=reason)
    incident_reference = None
    if crime.incident_id is not None:
        incident_reference = await db.scalar(select(Incident.reference).where(Incident.id == crime.incident_id))
    area = await db.scalar(select(Area.name).where(Area.id == crime.area_id)) if crime.area_id else None
    offence_rows = await db.execute(
        select(Offence, CrimeOffence.principal).join(CrimeOffence, CrimeOffence.offence_id == Offence.id)
        .where(CrimeOffence.crime_id == crime_id).order_by(CrimeOffence.principal.desc(), CrimeOffence.id))
    offence_views = [OffenceView(o.code, o.title, o.legislation, o.ho_class, o.category,
                                 catalogue.category_label(o.category), o.harm_weight, o.harm_source, principal,
                                 o.active) for o, principal in offence_rows]
    victims: list[PersonInCrime] = []
    witnesses: list[PersonInCrime] = []
    for person_id, role, person in await db.execute(
            select(CrimePerson.person_id, CrimePerson.role, Person)
            .outerjoin(Person, Person.id == CrimePerson.person_id)
            .where(CrimePerson.crime_id == crime_id).order_by(CrimePerson.id)):
        (victims if role == "victim" else witnesses).append(await _person(db, actor, person_id, person))
    suspects = [SuspectView(s.id, await _person(db, actor, s.person_id, person), s.status,
                            SUSPECT_STATUS_LABELS[s.status], s.status_since, s.wanted_since, s.circulated)
                for s, person in await db.execute(
                    select(Suspect, Person).outerjoin(Person, Person.id == Suspect.person_id)
                    .where(Suspect.crime_id == crime_id).order_by(Suspect.id))]
    outcome = None
    if crime.outcome_code is not None and crime.outcome_at is not None:
        kind = await db.get(OutcomeType, crime.outcome_code)
        assert kind is not None
        outcome = OutcomeView(kind.code, kind.title, kind.outcome_group, kind.confidence, crime.outcome_at,
                              crime.outcome_by, crime.outcome_note)
    return CrimeView(crime.id, crime.reference, crime.incident_id, incident_reference, crime.occurred_at,
                     crime.recorded_at, crime.recorded_by, crime.da_related, crime.status,
                     STATUS_LABELS[crime.status], area, offence_views, victims, witnesses, suspects, outcome)


async def recent_crimes(db: AsyncSession, actor: Actor, *, limit: int = 50) -> list[CrimeListItem]:
    """The force's most recently recorded crimes: references and offences only, no names. Audited as a list."""
    crimes = list(await db.scalars(select(Crime).order_by(Crime.recorded_at.desc(), Crime.id.desc()).limit(limit)))
    titles: dict[int, list[str]] = {}
    if crimes:
        for crime_id, title in await db.execute(
                select(CrimeOffence.crime_id, Offence.title).join(Offence, Offence.id == CrimeOffence.offence_id)
                .where(CrimeOffence.crime_id.in_([c.id for c in crimes]))
                .order_by(CrimeOffence.principal.desc(), CrimeOffence.id)):
            titles.setdefault(crime_id, []).append(title)
    await audit.record(db, action="crime.list", actor=actor, details={"shown": len(crimes)})
    return [CrimeListItem(c.id, c.reference, c.occurred_at, c.da_related, STATUS_LABELS[c.status],
                          titles.get(c.id, [])) for c in crimes]
