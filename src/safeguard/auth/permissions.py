"""Roles and permissions, declared in code as `resource:action`.

A route names the permission it needs; a user holds a permission only through their role, and an API
token only through its scopes. Anything not granted here is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class P(StrEnum):
    """Every permission Safeguard knows. A route must name one of these, or be on the public list."""

    HOME_VIEW = "home:view"
    ACCOUNT_VIEW = "account:view"
    PERSON_READ = "people:read"
    PERSON_WRITE = "people:write"
    PERSON_MERGE = "people:merge"
    INCIDENT_READ = "incidents:read"
    INCIDENT_WRITE = "incidents:write"
    CONTACT_READ = "contacts:read"
    CONTACT_WRITE = "contacts:write"
    AML_WRITE = "aml:write"
    CRIME_READ = "crimes:read"
    CRIME_WRITE = "crimes:write"
    ARREST_WRITE = "arrests:write"
    RISK_READ = "risk:read"
    RISK_WRITE = "risk:write"
    RISK_REVIEW = "risk:review"
    MARAC_WRITE = "marac:write"
    SAFEGUARDING_READ = "safeguarding:read"
    SAFEGUARDING_WRITE = "safeguarding:write"
    ORDER_WRITE = "orders:write"
    DISCLOSURE_READ = "disclosures:read"
    DISCLOSURE_WRITE = "disclosures:write"
    VICTIMS_SUPERVISE = "victims:supervise"
    SERVICES_ADMIN = "support-services:admin"
    TARGETS_READ = "targets:read"
    TARGETS_WRITE = "targets:write"  # compute ranked lists and add weight versions
    OPERATION_READ = "operations:read"
    OPERATION_WRITE = "operations:write"
    ATTEMPT_WRITE = "operations:attempts"  # record arrest attempts on an operation
    REPORT_READ = "reports:read"
    AUDIT_READ = "audit:read"
    USER_ADMIN = "users:admin"


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    permissions: frozenset[P]
    home_title: str


_BASE = frozenset({P.HOME_VIEW, P.ACCOUNT_VIEW})

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role("call_handler", "Call handler", _BASE | {P.CONTACT_READ, P.CONTACT_WRITE, P.PERSON_READ,
             P.INCIDENT_READ, P.INCIDENT_WRITE}, "Control room"),
        Role("control_room_supervisor", "Control room supervisor", _BASE | {P.CONTACT_READ, P.CONTACT_WRITE,
             P.PERSON_READ, P.INCIDENT_READ, P.INCIDENT_WRITE, P.REPORT_READ}, "Control room board"),
        # A charity's advocate: the safeguarding view of DA calls (contact/specialist.py), never the police's
        # contact log or person records, which hold intelligence and suspects' data.
        Role("da_specialist", "DA specialist", _BASE | {P.RISK_READ, P.MARAC_WRITE, P.SAFEGUARDING_READ,
             P.SAFEGUARDING_WRITE}, "Calls for review"),
        Role("response_officer", "Response officer", _BASE | {P.CONTACT_READ, P.PERSON_READ, P.INCIDENT_READ,
             P.RISK_READ, P.RISK_WRITE, P.CRIME_READ, P.ARREST_WRITE, P.SAFEGUARDING_READ, P.SAFEGUARDING_WRITE,
             P.ORDER_WRITE, P.OPERATION_READ, P.ATTEMPT_WRITE}, "My incidents"),
        # A patrol or PPU sergeant: reviews the shift's DASH assessments and chases overdue victim contact.
        Role("sergeant", "Sergeant (supervisor)", _BASE | {P.CONTACT_READ, P.PERSON_READ, P.INCIDENT_READ,
             P.RISK_READ, P.RISK_WRITE, P.RISK_REVIEW, P.CRIME_READ, P.ARREST_WRITE, P.SAFEGUARDING_READ,
             P.SAFEGUARDING_WRITE, P.ORDER_WRITE, P.VICTIMS_SUPERVISE, P.OPERATION_READ, P.ATTEMPT_WRITE},
             "Supervision"),
        Role("ppu_investigator", "PPU investigator", _BASE | {P.PERSON_READ, P.PERSON_WRITE, P.INCIDENT_READ,
             P.INCIDENT_WRITE, P.CRIME_READ, P.CRIME_WRITE, P.ARREST_WRITE, P.RISK_READ, P.RISK_WRITE,
             P.RISK_REVIEW, P.MARAC_WRITE, P.SAFEGUARDING_READ, P.SAFEGUARDING_WRITE, P.ORDER_WRITE,
             P.DISCLOSURE_READ, P.DISCLOSURE_WRITE, P.VICTIMS_SUPERVISE, P.TARGETS_READ, P.OPERATION_READ,
             P.ATTEMPT_WRITE}, "Investigations"),
        Role("analyst", "Analyst", _BASE | {P.PERSON_READ, P.PERSON_WRITE, P.PERSON_MERGE,
             P.INCIDENT_READ, P.CRIME_READ,
             P.TARGETS_READ, P.TARGETS_WRITE, P.REPORT_READ}, "Analysis"),
        Role("operation_lead", "Operation lead", _BASE | {P.PERSON_READ, P.INCIDENT_READ, P.CRIME_READ,
             P.TARGETS_READ, P.TARGETS_WRITE, P.OPERATION_READ, P.OPERATION_WRITE, P.ATTEMPT_WRITE, P.REPORT_READ},
             "Operations"),
        Role("auditor", "Information manager / auditor", _BASE | {P.AUDIT_READ, P.REPORT_READ, P.PERSON_READ,
             P.DISCLOSURE_READ}, "Audit"),
        Role("administrator", "Administrator", _BASE | {P.USER_ADMIN, P.AUDIT_READ, P.SERVICES_ADMIN},
             "Administration"),
    ]
}

# What an API token may be granted. A scope is a permission that a machine may hold.
TOKEN_SCOPES: frozenset[P] = frozenset({
    P.CONTACT_READ, P.CONTACT_WRITE, P.AML_WRITE, P.PERSON_READ, P.PERSON_WRITE, P.INCIDENT_READ,
    P.INCIDENT_WRITE, P.CRIME_READ, P.CRIME_WRITE, P.ARREST_WRITE, P.RISK_READ, P.RISK_WRITE, P.MARAC_WRITE,
    P.SAFEGUARDING_READ, P.SAFEGUARDING_WRITE, P.ORDER_WRITE, P.TARGETS_READ, P.OPERATION_READ, P.ATTEMPT_WRITE,
    P.REPORT_READ,
})

TEAM_NAMES = {
    "public_protection": "Public protection",
    "operational_support": "Operational support",
    "local_policing": "Local policing",
    "control_room": "Control room",
}


def role_permissions(role_code: str) -> frozenset[P]:
    role = ROLES.get(role_code)
    return role.permissions if role else frozenset()


def parse_scope(scope: str) -> P:
    try:
        permission = P(scope)
    except ValueError:
        raise ValueError(
            f"Unknown scope '{scope}'. Scopes a token may hold: {', '.join(sorted(TOKEN_SCOPES))}"
        ) from None
    if permission not in TOKEN_SCOPES:
        raise ValueError(f"Scope '{scope}' cannot be given to a token; it is for staff sign-in only.")
    return permission
