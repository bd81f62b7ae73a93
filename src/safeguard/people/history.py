"""A person's history: the timeline of everything they were part of, and the flags it raises.

Flag thresholds are the force's to set (`force.settings["person_flags"]`); the defaults follow
DOMAIN.md: a repeat victim has 3 or more DA incidents in 12 months, and a serial perpetrator (the
Northumbria definition) is a suspect in DA incidents with 2 or more different victims within 3 years,
aged 16 or over. "Repeat perpetrator" has no published national definition; the default (2 DA
incidents as suspect in 12 months) is a starting point for the force to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.crimes.models import Arrest, Crime, CrimeOffence, CrimePerson, Offence, Suspect
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import may_see

# A chain of merges longer than this is a fault in the data, not a history to follow.
MERGE_CHAIN_LIMIT = 20


@dataclass(frozen=True)
class FlagRules:
    repeat_victim_incidents: int = 3
    repeat_victim_months: int = 12
    repeat_perpetrator_incidents: int = 2
    repeat_perpetrator_months: int = 12
    serial_victims: int = 2
    serial_years: int = 3
    serial_min_age: int = 16

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> FlagRules:
        chosen = (settings or {}).get("person_flags", {})
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in chosen.items() if k in known})


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # "incident", "contact", "crime", "arrest"
    reference: str
    role: str | None  # victim, suspect, witness
    da: bool
    summary: str
    record_id: int
    href: str | None = None  # the record's own page, where it has one


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    detail: str


async def visible_person(db: AsyncSession, actor: Actor, person_id: int) -> Person | None:
    """The person record if this actor may see it: row-level security hides other forces' people and
    restricted people without a grant, and the code checks the grant too."""
    # A query rather than `db.get`, so that the database (and its row-level security) always answers.
    person = await db.scalar(select(Person).where(Person.id == person_id).execution_options(populate_existing=True))
    if person is None or (person.restricted and not await may_see(db, actor, person_id=person_id)):
        return None
    return person


async def surviving_record(db: AsyncSession, actor: Actor, person_id: int) -> int | None:
    """When this record was merged into another, the id of the record that survives (following a chain of
    merges), provided this actor may see both; otherwise None."""
    person = await visible_person(db, actor, person_id)
    survivor: Person | None = None
    seen = {person_id}
    while person is not None and person.merged_into_id is not None and len(seen) <= MERGE_CHAIN_LIMIT:
        if person.merged_into_id in seen:
            return None
        seen.add(person.merged_into_id)
        person = survivor = await visible_person(db, actor, person.merged_into_id)
    return survivor.id if survivor is not None and survivor.merged_into_id is None else None


async def rules_for(db: AsyncSession, force_id: int) -> FlagRules:
    return FlagRules.from_settings(await db.scalar(select(Force.settings).where(Force.id == force_id)))


async def timeline(db: AsyncSession, person_id: int) -> list[TimelineEntry]:
    """Everything involving the person, newest first. Other record types join as their domains arrive."""
    entries: list[TimelineEntry] = []
    incidents = await db.execute(
        select(Incident, IncidentPerson.role).join(IncidentPerson, IncidentPerson.incident_id == Incident.id)
        .where(IncidentPerson.person_id == person_id)
    )
    incident_ids = []
    for incident, role in incidents:
        incident_ids.append(incident.id)
        entries.append(TimelineEntry(incident.occurred_at, "incident", incident.reference, role,
                                     incident.da_related, incident.summary or "", incident.id))
    if incident_ids:
        contacts = await db.scalars(select(Contact).where(Contact.incident_id.in_(incident_ids)))
        for contact in contacts:
            entries.append(TimelineEntry(contact.received_at, "contact", f"{contact.channel} contact", None,
                                         contact.da_flag, contact.note or "", contact.id))
    entries += await _crimes(db, person_id)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


async def _crimes(db: AsyncSession, person_id: int) -> list[TimelineEntry]:
    """Crimes the person was a victim, witness or suspect in (with the suspect's stage), and arrests."""
    roles = (select(CrimePerson.crime_id, CrimePerson.role, literal(None).label("stage"))
             .where(CrimePerson.person_id == person_id)
             .union_all(select(Suspect.crime_id, literal("suspect"), Suspect.status)
                        .where(Suspect.person_id == person_id))).subquery()
    offences = (select(func.string_agg(Offence.title, "; ").label("titles"))
                .select_from(CrimeOffence).join(Offence, Offence.id == CrimeOffence.offence_id)
                .where(CrimeOffence.crime_id == Crime.id).scalar_subquery())
    rows = await db.execute(select(Crime, roles.c.role, roles.c.stage, offences)
                            .join(roles, roles.c.crime_id == Crime.id))
    entries = []
    for crime, role, stage, titles in rows:
        summary = (titles or "") + (f" (suspect {str(stage).replace('-', ' ')})" if stage else "")
        entries.append(TimelineEntry(crime.occurred_at, "crime", crime.reference, role, crime.da_related,
                                     summary, crime.id, f"/crimes/{crime.id}"))
    for arrest in await db.scalars(select(Arrest).where(Arrest.person_id == person_id)):
        entries.append(TimelineEntry(arrest.arrested_at, "arrest", arrest.place or "", "suspect",
                                     arrest.da_related, f"Arrested by {arrest.arrested_by}", arrest.id))
    return entries


async def flags(db: AsyncSession, person: Person, rules: FlagRules, *, now: datetime | None = None) -> list[Flag]:
    now = now or datetime.now(UTC)
    found: list[Flag] = []
    rows = (await db.execute(
        select(Incident.id, Incident.occurred_at, IncidentPerson.role)
        .join(IncidentPerson, IncidentPerson.incident_id == Incident.id)
        .where(IncidentPerson.person_id == person.id, Incident.da_related.is_(True))
    )).all()

    def count(role: str, months: int) -> int:
        since = now - timedelta(days=round(months * 30.44))
        return sum(1 for _, when, r in rows if r == role and since <= when <= now)

    victim_count = count("victim", rules.repeat_victim_months)
    if victim_count >= rules.repeat_victim_incidents:
        found.append(Flag("repeat-victim", "Repeat victim",
                          f"{victim_count} DA incidents as victim in {rules.repeat_victim_months} months"))
    suspect_count = count("suspect", rules.repeat_perpetrator_months)
    if suspect_count >= rules.repeat_perpetrator_incidents:
        found.append(Flag("repeat-perpetrator", "Repeat perpetrator",
                          f"{suspect_count} DA incidents as suspect in {rules.repeat_perpetrator_months} months"))
    since = now - timedelta(days=round(rules.serial_years * 365.25))
    as_suspect = [incident_id for incident_id, when, role in rows if role == "suspect" and since <= when <= now]
    if len(as_suspect) > 1 and _old_enough(person, rules.serial_min_age, now):
        victims = set((await db.scalars(
            select(IncidentPerson.person_id).where(IncidentPerson.incident_id.in_(as_suspect),
                                                   IncidentPerson.role == "victim",
                                                   IncidentPerson.person_id != person.id)
        )).all())
        if len(victims) >= rules.serial_victims:
            found.append(Flag("serial-perpetrator", "Serial perpetrator",
                              f"{len(victims)} different victims in DA incidents within {rules.serial_years} years"))
    return found


def _old_enough(person: Person, min_age: int, now: datetime) -> bool:
    """Unknown age counts as old enough: missing a date of birth must not hide a serial perpetrator."""
    if person.dob_year is None:
        return True
    return now.year - person.dob_year - ((now.month, now.day) < (person.dob_month or 1, person.dob_day or 1)) >= min_age
