"""A DA call for the DA specialist: the victim with her safe contact, address (children there), DASH assessment,
MARAC and support referrals and an order that protects her; and the suspect, whose police-only details are
planted so that the tests can prove the specialist never sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.contact.models import Contact
from safeguard.crimes.models import Arrest, Bail
from safeguard.db.session import set_force_context
from safeguard.people.models import Location, Marker, Person, PersonAddress, PersonPhone
from safeguard.risk.models import MaracReferral, RiskAssessment
from safeguard.safeguarding.models import (
    ProtectiveOrder,
    ProtectiveOrderPerson,
    ProtectiveOrderZone,
    SafeContact,
    SupportReferral,
    SupportService,
)
from tests.conftest import ForceData
from tests.integration.crime_scene import crime_scene

CALLER = "+447700900456"
# Police-only details: none of these may ever appear on the specialist's pages.
PLANTED = {
    "crime reference": "CR-PLANTED-0777",
    "wanted note": "PLANTED-WANTED-CIRCULATION",
    "arrest place": "PLANTED-ARREST-PLACE Lay-by",
    "custody station": "PLANTED-CUSTODY-STATION",
    "suspect marker": "PLANTED-KNIFE-IN-CAR",
    "bail condition": "PLANTED-BAIL-CONDITION",
    "suspect's other phone": "07700 900999",
    "number marker": "PLANTED-NUMBER-PERPETRATOR",
    "stranger on the number": "Zebedee Unlinked",
}


@dataclass
class SpecialistScene:
    force: ForceData
    contact: Contact
    victim: Person
    suspect: Person
    stranger: Person
    assessment: RiskAssessment
    referral: MaracReferral
    order: ProtectiveOrder


async def specialist_scene(db: AsyncSession, force: ForceData, *, received_at: datetime | None = None
                           ) -> SpecialistScene:
    scene = await crime_scene(db, force)
    fid = force.id
    now = datetime.now(UTC)
    scene.crime.reference = PLANTED["crime reference"]
    scene.suspect.status, scene.suspect.wanted_since = "wanted", now - timedelta(days=2)
    scene.suspect.circulated, scene.suspect.circulation_note = True, PLANTED["wanted note"]
    home = Location(force_id=fid, line1="14 Orchard Close", town="Northfield", postcode="ZZ1 4OC")
    stranger = Person(force_id=fid, forename="Zebedee", surname="Unlinked", dob_year=1970)
    db.add_all([home, stranger])
    await db.flush()
    arrest = Arrest(force_id=fid, person_id=scene.person.id, suspect_id=scene.suspect.id,
                    arrested_at=now - timedelta(days=10), place=PLANTED["arrest place"], arrested_by="pc.example",
                    custody_station=PLANTED["custody station"])
    db.add(arrest)
    await db.flush()
    assessment = RiskAssessment(force_id=fid, reference="RA-2026-SPEC1", victim_id=scene.victim.id,
                                incident_id=scene.crime.incident_id, form="DASH-27", answers={"q1": "yes"}, score=15,
                                suggested_level="high", final_level="high", marac_routes=["visible-high-risk"],
                                assessed_at=now - timedelta(days=9), assessed_by="pc.example")
    service = SupportService(force_id=fid, code="local-idva", name="Northfield IDVA Service", scope="local",
                             description="IDVAs", eligibility="High-risk victims", groups=["any"],
                             referral_route="Agency referral")
    db.add_all([assessment, service])
    await db.flush()
    referral = MaracReferral(force_id=fid, reference="MR-2026-SPEC1", victim_id=scene.victim.id,
                             assessment_id=assessment.id, routes=["visible-high-risk"], consent="given",
                             status="submitted", referred_by="pc.example", referred_at=now - timedelta(days=8))
    order = ProtectiveOrder(force_id=fid, reference="PO-2026-SPEC1", kind="dvpo", subject_id=scene.person.id,
                            starts_at=now - timedelta(days=5), expires_at=now + timedelta(days=20), no_contact=True,
                            conditions="Not to enter Orchard Close", crime_id=scene.crime.id, recorded_by="pc.example")
    db.add_all([referral, order])
    await db.flush()
    db.add_all([
        ProtectiveOrderPerson(force_id=fid, order_id=order.id, person_id=scene.victim.id),
        ProtectiveOrderZone(force_id=fid, order_id=order.id, location_id=home.id, radius_m=100),
        SupportReferral(force_id=fid, person_id=scene.victim.id, service_id=service.id, reason="High risk",
                        consent_given=True, consent_method="verbal", consent_at=now - timedelta(days=8),
                        consent_recorded_by="pc.example", made_at=now - timedelta(days=8), made_by="pc.example",
                        history=[]),
        SafeContact(force_id=fid, person_id=scene.victim.id, safe_number="+447700900111",
                    safe_times="Weekdays 10:00 to 14:00", no_voicemail=True, updated_at=now, updated_by="pc.example"),
        PersonAddress(force_id=fid, person_id=scene.victim.id, location_id=home.id),
        PersonPhone(force_id=fid, person_id=scene.victim.id, number_e164=CALLER),
        PersonPhone(force_id=fid, person_id=scene.person.id, number_e164=CALLER),
        PersonPhone(force_id=fid, person_id=scene.person.id, number_e164="+447700900999"),
        PersonPhone(force_id=fid, person_id=stranger.id, number_e164=CALLER),
        Marker(force_id=fid, location_id=home.id, kind="children-at-address", note="Two under 5",
               starts_on=date(2026, 1, 1), set_by="pc.example"),
        Marker(force_id=fid, person_id=scene.victim.id, kind="da-high-risk-victim", starts_on=date(2026, 1, 1),
               set_by="pc.example"),
        Marker(force_id=fid, person_id=scene.person.id, kind="weapons", note=PLANTED["suspect marker"],
               starts_on=date(2026, 1, 1), set_by="pc.example"),
        Marker(force_id=fid, phone_e164=CALLER, kind="da-perpetrator", note=PLANTED["number marker"],
               starts_on=date(2026, 1, 1), set_by="pc.example"),
        Bail(force_id=fid, suspect_id=scene.suspect.id, arrest_id=arrest.id, starts_on=date.today(),
             return_on=date.today() + timedelta(days=20), authority="custody-officer", set_by="ps.example",
             conditions=[{"kind": "no-contact", "detail": PLANTED["bail condition"]}]),
    ])
    await db.flush()
    contact = Contact(force_id=fid, channel="999-silent", caller_number=CALLER, pressed_55=True,
                      received_at=received_at or now - timedelta(minutes=7), da_flag=True,
                      incident_id=scene.crime.incident_id, children_present=True, injury=True,
                      note="Caller whispering; partner in the house")
    db.add(contact)
    await db.flush()
    await set_force_context(db, fid)
    return SpecialistScene(force, contact, scene.victim, scene.person, stranger, assessment, referral, order)
