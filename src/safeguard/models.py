"""Every model, imported once so that Alembic and the tests see the whole schema."""

from safeguard.audit.models import AuditChainHead, AuditEvent
from safeguard.auth.models import ApiToken, Team, User, UserSession
from safeguard.contact.models import Contact, Incident, IncidentPerson
from safeguard.db.base import Base
from safeguard.force.models import Area, Force
from safeguard.imports.models import ImportBatch, ImportRejection, SourceRecord
from safeguard.people.models import (
    Location,
    Person,
    PersonAddress,
    PersonAlias,
    PersonPhone,
    Relationship,
    RestrictedAccess,
)

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Area",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Contact",
    "Force",
    "ImportBatch",
    "ImportRejection",
    "Incident",
    "IncidentPerson",
    "Location",
    "Person",
    "PersonAddress",
    "PersonAlias",
    "PersonPhone",
    "Relationship",
    "RestrictedAccess",
    "SourceRecord",
    "Team",
    "User",
    "UserSession",
    "metadata",
]
