from __future__ import annotations

import pytest

from safeguard.auth.permissions import ROLES, TOKEN_SCOPES, P, parse_scope, role_permissions

DESIGN_ROLES = {"call_handler", "control_room_supervisor", "da_specialist", "response_officer", "ppu_investigator",
                "analyst", "operation_lead", "auditor", "administrator"}
# Beyond the design's table: the sergeant who reviews DASH assessments and overdue Victims' Code contact.
SUPERVISORS = {"sergeant"}


def test_every_staff_role_in_the_design_exists() -> None:
    assert set(ROLES) == DESIGN_ROLES | SUPERVISORS


def test_only_supervisors_and_investigators_review_dash_and_chase_victim_contact() -> None:
    for permission in (P.RISK_REVIEW, P.VICTIMS_SUPERVISE):
        holders = {code for code, role in ROLES.items() if permission in role.permissions}
        assert holders == {"sergeant", "ppu_investigator"}, permission


def test_disclosure_decisions_are_for_the_public_protection_unit() -> None:
    holders = {code for code, role in ROLES.items() if P.DISCLOSURE_WRITE in role.permissions}
    assert holders == {"ppu_investigator"}


def test_permissions_are_resource_action() -> None:
    for permission in P:
        resource, _, action = permission.value.partition(":")
        assert resource and action, permission


def test_unknown_role_has_no_permissions() -> None:
    assert role_permissions("superhero") == frozenset()


def test_da_specialist_sees_safeguarding_not_crime() -> None:
    specialist = role_permissions("da_specialist")
    assert P.SAFEGUARDING_WRITE in specialist
    assert P.CRIME_READ not in specialist and P.CRIME_WRITE not in specialist


def test_the_da_specialist_reads_neither_the_contact_log_nor_person_records() -> None:
    """A charity advocate works from the safeguarding view of DA calls: the police's contact log and person
    records hold intelligence and suspects' data that the specialist must not see (issue 6 §5)."""
    specialist = role_permissions("da_specialist")
    assert P.CONTACT_READ not in specialist and P.PERSON_READ not in specialist
    assert {P.SAFEGUARDING_WRITE, P.RISK_READ, P.MARAC_WRITE} <= specialist


def test_only_auditors_and_administrators_read_the_audit() -> None:
    assert {code for code, role in ROLES.items() if P.AUDIT_READ in role.permissions} == {"auditor", "administrator"}


def test_scopes_parse_and_refuse_clearly() -> None:
    assert parse_scope("contacts:write") is P.CONTACT_WRITE
    assert parse_scope("contacts:read") is P.CONTACT_READ
    assert parse_scope("aml:write") is P.AML_WRITE
    with pytest.raises(ValueError, match="Unknown scope 'everything'"):
        parse_scope("everything")
    with pytest.raises(ValueError, match="staff sign-in only"):
        parse_scope("users:admin")
    assert P.USER_ADMIN not in TOKEN_SCOPES
