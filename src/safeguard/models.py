"""Every model, imported once so that Alembic and the tests see the whole schema."""

from safeguard.audit.models import AuditChainHead, AuditEvent
from safeguard.auth.models import ApiToken, Team, User, UserSession
from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.crimes.models import (
    Arrest,
    ArrestOffence,
    Bail,
    Charge,
    ChargeOffence,
    Crime,
    CrimeOffence,
    CrimePerson,
    CustodyReview,
    Offence,
    OutcomeType,
    Suspect,
    SuspectEvent,
)
from safeguard.db.base import Base
from safeguard.force.models import Area, Force
from safeguard.imports.models import ImportBatch, ImportRejection, SourceRecord
from safeguard.people.models import (
    DuplicateCandidate,
    Location,
    Marker,
    Person,
    PersonAddress,
    PersonAlias,
    PersonMerge,
    PersonPhone,
    Relationship,
    RestrictedAccess,
)

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Area",
    "Arrest",
    "ArrestOffence",
    "AuditChainHead",
    "AuditEvent",
    "Bail",
    "Base",
    "Charge",
    "ChargeOffence",
    "Contact",
    "Crime",
    "CrimeOffence",
    "CrimePerson",
    "CustodyReview",
    "DuplicateCandidate",
    "Force",
    "ImportBatch",
    "ImportRejection",
    "Incident",
    "IncidentPerson",
    "Location",
    "Marker",
    "Offence",
    "OutcomeType",
    "Person",
    "PersonAddress",
    "PersonAlias",
    "PersonMerge",
    "PersonPhone",
    "Relationship",
    "RestrictedAccess",
    "SourceRecord",
    "Suspect",
    "SuspectEvent",
    "Team",
    "User",
    "UserSession",
    "metadata",
]
