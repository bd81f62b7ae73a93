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

from sqlalchemy import func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.auth.actor import Actor
from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.crimes.models import Arrest, Crime, CrimeOffence, CrimePerson, Offence, Suspect
from safeguard.force.models import Force
from safeguard.people.models import Person
from safeguard.people.service import may_see
from safeguard.risk.models import MaracReferral, RiskAssessment
from safeguard.safeguarding.models import (
    DisclosureRequest,
    ProtectiveOrder,
    ProtectiveOrderPerson,
    SupportReferral,
    SupportService,
)

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


# How each kind of entry is named on the page; kinds not listed are shown capitalised.
KIND_LABELS = {"risk assessment": "Risk assessment", "marac referral": "MARAC referral",
               "protective order": "Protective order", "support referral": "Support referral",
               "clare's law request": "Clare's Law request"}
# The pages of the safeguarding records, by kind (None: the record has no page of its own yet).
RECORD_PAGES: dict[str, str | None] = {
    "risk assessment": "/risk-assessments/{id}",
    "marac referral": "/marac/referrals/{id}",
    "protective order": "/orders/{id}",
    "support referral": "/support-referrals/{id}",
    "clare's law request": "/disclosures/{id}",
}
ORDER_KIND_LABELS = {"dapn": "DAPN", "dapo": "DAPO", "dvpn": "DVPN", "dvpo": "DVPO",
                     "non-molestation": "Non-molestation order", "restraining": "Restraining order",
                     "bail-conditions": "Bail conditions"}


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # incident, contact, crime, arrest, risk assessment, marac referral, protective order, ...
    reference: str
    role: str | None  # victim, suspect, witness; subject or protected (orders); person at risk (Clare's Law)
    da: bool
    summary: str
    record_id: int
    href: str | None = None  # the record's own page, where it has one

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.capitalize())


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


async def timeline(db: AsyncSession, person_id: int, *, disclosures: bool = False) -> list[TimelineEntry]:
    """Everything involving the person, newest first. Clare's Law requests are listed only when `disclosures`
    is set (the reader holds `disclosures:read`): that a request was made about someone is itself sensitive."""
    entries: list[TimelineEntry] = []
    incidents = await db.execute(
        select(Incident, IncidentPerson.role).join(IncidentPerson, IncidentPerson.incident_id == Incident.id)
        .where(IncidentPerson.person_id == person_id)
    )
    incident_ids = []
    for incident, role in incidents:
        incident_ids.append(incident.id)
        entries.append(TimelineEntry(incident.occurred_at, "incident", incident.reference, role,
                                     incident.da_related, incident.summary or "", incident.id,
                                     f"/incidents/{incident.id}"))
    if incident_ids:
        contacts = await db.scalars(select(Contact).where(Contact.incident_id.in_(incident_ids)))
        for contact in contacts:
            entries.append(TimelineEntry(contact.received_at, "contact", f"{contact.channel} contact", None,
                                         contact.da_flag, contact.note or "", contact.id, f"/contacts/{contact.id}"))
    entries += await _crimes(db, person_id)
    entries += await _safeguarding(db, person_id, disclosures=disclosures)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _page(kind: str, record_id: int) -> str | None:
    pattern = RECORD_PAGES.get(kind)
    return pattern.format(id=record_id) if pattern else None


def _words(code: str) -> str:
    return code.replace("-", " ")


async def _safeguarding(db: AsyncSession, person_id: int, *, disclosures: bool) -> list[TimelineEntry]:
    """Risk assessments, MARAC referrals, protective orders (as subject or protected person), support referrals
    and Clare's Law requests about the person. Row-level security shows only those whose people are visible."""
    entries: list[TimelineEntry] = []
    for a in await db.scalars(select(RiskAssessment).where(RiskAssessment.victim_id == person_id)):
        level = a.reviewed_level or a.final_level
        routes = f"; MARAC routes: {', '.join(_words(r) for r in a.marac_routes)}" if a.marac_routes else ""
        review = "reviewed" if a.review_status == "reviewed" else "awaiting review"
        entries.append(TimelineEntry(a.assessed_at, "risk assessment", a.reference, "victim", True,
                                     f"{a.form}: {a.score} yes, {level} risk ({review}){routes}", a.id,
                                     _page("risk assessment", a.id)))
    for r in await db.scalars(select(MaracReferral).where(MaracReferral.victim_id == person_id)):
        entries.append(TimelineEntry(r.referred_at, "marac referral", r.reference, "victim", True,
                                     f"{_words(r.status).capitalize()}; routes: "
                                     f"{', '.join(_words(x) for x in r.routes) or 'none'}", r.id,
                                     _page("marac referral", r.id)))
    # Both sides by their indexes ("subject OR protected" would check every order of the force).
    involved = union(select(ProtectiveOrder.id).where(ProtectiveOrder.subject_id == person_id),
                     select(ProtectiveOrderPerson.order_id).where(ProtectiveOrderPerson.person_id == person_id))
    for order in await db.scalars(select(ProtectiveOrder).where(ProtectiveOrder.id.in_(involved))):
        role = "subject" if order.subject_id == person_id else "protected"
        until = f", until {order.expires_at:%d %b %Y}" if order.expires_at else ""
        entries.append(TimelineEntry(order.starts_at, "protective order", order.reference, role, True,
                                     f"{ORDER_KIND_LABELS.get(order.kind, order.kind)}, {_words(order.status)}"
                                     f"{until}", order.id, _page("protective order", order.id)))
    rows = await db.execute(select(SupportReferral, SupportService.name)
                            .join(SupportService, SupportService.id == SupportReferral.service_id)
                            .where(SupportReferral.person_id == person_id))
    for referral, service_name in rows:
        entries.append(TimelineEntry(referral.made_at, "support referral", service_name, "victim", True,
                                     f"Referral {_words(referral.status)}", referral.id,
                                     _page("support referral", referral.id)))
    if not disclosures:
        return entries
    for d in await db.scalars(select(DisclosureRequest).where(
            (DisclosureRequest.person_at_risk_id == person_id) | (DisclosureRequest.subject_id == person_id))):
        role = "person at risk" if d.person_at_risk_id == person_id else "subject"
        decision = f", {_words(d.decision)}" if d.decision else ""
        entries.append(TimelineEntry(d.received_at, "clare's law request", d.reference, role, True,
                                     f"{_words(d.route).capitalize()}: {_words(d.status)}{decision}", d.id,
                                     _page("clare's law request", d.id)))
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
