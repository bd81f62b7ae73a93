"""Risk and safeguarding: DASH assessments, MARAC, support services and referrals, safe contact, protective
orders and breaches, Clare's Law requests, and the Victims' Code.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 15:31:09.226040
"""

import csv
from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import CURRENT_FORCE, drop_force_policy_sql

# Each row is visible only when the people (and addresses) it is about are visible: the subqueries run under
# the person and location policies, so a restricted victim's assessment, referrals, safe number and orders
# are hidden exactly as the person is. Rows that hang off another row inherit that row's visibility.
VISIBLE_SUBJECTS = {
    "risk_assessment": "EXISTS (SELECT 1 FROM person p WHERE p.id = victim_id)",
    "marac_referral": "EXISTS (SELECT 1 FROM person p WHERE p.id = victim_id)",
    "marac_referral_event": "EXISTS (SELECT 1 FROM marac_referral r WHERE r.id = referral_id)",
    "marac_action": "EXISTS (SELECT 1 FROM marac_referral r WHERE r.id = referral_id)",
    "marac_meeting": "true",
    "support_referral": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "safe_contact": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "protective_order": "EXISTS (SELECT 1 FROM person p WHERE p.id = subject_id)",
    "protective_order_person": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "protective_order_zone": "EXISTS (SELECT 1 FROM location l WHERE l.id = location_id)",
    "order_breach": "EXISTS (SELECT 1 FROM protective_order o WHERE o.id = order_id)",
    "disclosure_request": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_at_risk_id) "
                          "AND EXISTS (SELECT 1 FROM person p WHERE p.id = subject_id)",
    "victim_entitlement": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "victim_contact": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
}
revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('support_service',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('eligibility', sa.Text(), nullable=False),
    sa.Column('groups', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('text_number', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('hours', sa.String(length=200), nullable=True),
    sa.Column('referral_route', sa.String(length=200), nullable=False),
    sa.Column('accepts_police_referrals', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('area', sa.String(length=200), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(force_id IS NULL) = (scope = 'national')", name=op.f('ck_support_service_national_has_no_force')),
    sa.CheckConstraint("scope IN ('national', 'local')", name=op.f('ck_support_service_scope_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_support_service_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_service')),
    sa.UniqueConstraint('force_id', 'code', name='uq_support_service_force_code')
    )
    op.create_index(op.f('ix_support_service_force_id'), 'support_service', ['force_id'], unique=False)
    op.create_table('disclosure_request',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('route', sa.String(length=14), nullable=False),
    sa.Column('person_at_risk_id', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('applicant_relationship', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='received', nullable=False),
    sa.Column('decision', sa.String(length=14), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('disclosed_to', sa.String(length=200), nullable=True),
    sa.Column('disclosed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disclosure_text', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('history', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("decision IS NULL OR decision IN ('disclose', 'no-disclosure')", name=op.f('ck_disclosure_request_decision_known')),
    sa.CheckConstraint("route IN ('right-to-ask', 'right-to-know')", name=op.f('ck_disclosure_request_route_known')),
    sa.CheckConstraint("status IN ('received', 'checks', 'panel', 'decided', 'closed')", name=op.f('ck_disclosure_request_status_known')),
    sa.CheckConstraint('decided_at IS NULL OR decided_at >= received_at', name=op.f('ck_disclosure_request_decided_after_received')),
    sa.CheckConstraint('disclosed_at IS NULL OR disclosed_at >= received_at', name=op.f('ck_disclosure_request_disclosed_after_received')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_disclosure_request_force_id_force')),
    sa.ForeignKeyConstraint(['person_at_risk_id'], ['person.id'], name=op.f('fk_disclosure_request_person_at_risk_id_person')),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_disclosure_request_subject_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_request'))
    )
    op.create_index(op.f('ix_disclosure_request_due_by'), 'disclosure_request', ['due_by'], unique=False)
    op.create_index(op.f('ix_disclosure_request_force_id'), 'disclosure_request', ['force_id'], unique=False)
    op.create_index(op.f('ix_disclosure_request_person_at_risk_id'), 'disclosure_request', ['person_at_risk_id'], unique=False)
    op.create_index(op.f('ix_disclosure_request_received_at'), 'disclosure_request', ['received_at'], unique=False)
    op.create_index(op.f('ix_disclosure_request_reference'), 'disclosure_request', ['reference'], unique=False)
    op.create_index(op.f('ix_disclosure_request_status'), 'disclosure_request', ['status'], unique=False)
    op.create_index(op.f('ix_disclosure_request_subject_id'), 'disclosure_request', ['subject_id'], unique=False)
    op.create_table('marac_meeting',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('chair', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='planned', nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'held')", name=op.f('ck_marac_meeting_status_known')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_marac_meeting_area_id_area')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_marac_meeting_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marac_meeting'))
    )
    op.create_index(op.f('ix_marac_meeting_area_id'), 'marac_meeting', ['area_id'], unique=False)
    op.create_index(op.f('ix_marac_meeting_force_id'), 'marac_meeting', ['force_id'], unique=False)
    op.create_index(op.f('ix_marac_meeting_held_on'), 'marac_meeting', ['held_on'], unique=False)
    op.create_table('safe_contact',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('safe_number', sa.String(length=20), nullable=True),
    sa.Column('safe_times', sa.String(length=500), nullable=True),
    sa.Column('no_voicemail', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('no_text_messages', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('no_letters_home', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('third_party_name', sa.String(length=200), nullable=True),
    sa.Column('third_party_number', sa.String(length=20), nullable=True),
    sa.Column('third_party_relationship', sa.String(length=100), nullable=True),
    sa.Column('only_through_third_party', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_safe_contact_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_safe_contact_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_contact')),
    sa.UniqueConstraint('person_id', name='uq_safe_contact_person_id')
    )
    op.create_index(op.f('ix_safe_contact_force_id'), 'safe_contact', ['force_id'], unique=False)
    op.create_index(op.f('ix_safe_contact_person_id'), 'safe_contact', ['person_id'], unique=False)
    op.create_table('risk_assessment',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('victim_id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('supplement_form', sa.String(length=40), nullable=True),
    sa.Column('supplement_answers', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('supplement_score', sa.SmallInteger(), nullable=True),
    sa.Column('suggested_level', sa.String(length=10), nullable=False),
    sa.Column('professional_judgement', sa.String(length=10), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('final_level', sa.String(length=10), nullable=False),
    sa.Column('marac_routes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('victim_view', sa.Text(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessed_by', sa.String(length=100), nullable=False),
    sa.Column('review_status', sa.String(length=20), server_default='awaiting-review', nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=100), nullable=True),
    sa.Column('reviewed_level', sa.String(length=10), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("final_level IN ('standard', 'medium', 'high')", name=op.f('ck_risk_assessment_final_level_known')),
    sa.CheckConstraint("professional_judgement IS NULL OR professional_judgement IN ('standard', 'medium', 'high')", name=op.f('ck_risk_assessment_judgement_known')),
    sa.CheckConstraint("review_status IN ('awaiting-review', 'reviewed')", name=op.f('ck_risk_assessment_review_status_known')),
    sa.CheckConstraint("reviewed_level IS NULL OR reviewed_level IN ('standard', 'medium', 'high')", name=op.f('ck_risk_assessment_reviewed_level_known')),
    sa.CheckConstraint("suggested_level IN ('standard', 'medium', 'high')", name=op.f('ck_risk_assessment_suggested_level_known')),
    sa.CheckConstraint('score >= 0', name=op.f('ck_risk_assessment_score_not_negative')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_risk_assessment_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_risk_assessment_incident_id_incident')),
    sa.ForeignKeyConstraint(['victim_id'], ['person.id'], name=op.f('fk_risk_assessment_victim_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessment'))
    )
    op.create_index(op.f('ix_risk_assessment_assessed_at'), 'risk_assessment', ['assessed_at'], unique=False)
    op.create_index(op.f('ix_risk_assessment_final_level'), 'risk_assessment', ['final_level'], unique=False)
    op.create_index(op.f('ix_risk_assessment_force_id'), 'risk_assessment', ['force_id'], unique=False)
    op.create_index(op.f('ix_risk_assessment_incident_id'), 'risk_assessment', ['incident_id'], unique=False)
    op.create_index(op.f('ix_risk_assessment_reference'), 'risk_assessment', ['reference'], unique=False)
    op.create_index(op.f('ix_risk_assessment_review_status'), 'risk_assessment', ['review_status'], unique=False)
    op.create_index(op.f('ix_risk_assessment_victim_id'), 'risk_assessment', ['victim_id'], unique=False)
    op.create_table('support_referral',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('service_id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='made', nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('consent_given', sa.Boolean(), nullable=False),
    sa.Column('consent_method', sa.String(length=12), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_recorded_by', sa.String(length=100), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('history', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("consent_method IN ('verbal', 'written', 'electronic')", name=op.f('ck_support_referral_consent_method_known')),
    sa.CheckConstraint("status IN ('made', 'accepted', 'rejected', 'withdrawn')", name=op.f('ck_support_referral_status_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_support_referral_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_support_referral_incident_id_incident')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_support_referral_person_id_person')),
    sa.ForeignKeyConstraint(['service_id'], ['support_service.id'], name=op.f('fk_support_referral_service_id_support_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_referral'))
    )
    op.create_index(op.f('ix_support_referral_force_id'), 'support_referral', ['force_id'], unique=False)
    op.create_index(op.f('ix_support_referral_incident_id'), 'support_referral', ['incident_id'], unique=False)
    op.create_index(op.f('ix_support_referral_made_at'), 'support_referral', ['made_at'], unique=False)
    op.create_index(op.f('ix_support_referral_person_id'), 'support_referral', ['person_id'], unique=False)
    op.create_index(op.f('ix_support_referral_service_id'), 'support_referral', ['service_id'], unique=False)
    op.create_index(op.f('ix_support_referral_status'), 'support_referral', ['status'], unique=False)
    op.create_table('marac_referral',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('victim_id', sa.BigInteger(), nullable=False),
    sa.Column('assessment_id', sa.BigInteger(), nullable=True),
    sa.Column('routes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='draft', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('consent', sa.String(length=12), nullable=False),
    sa.Column('consent_note', sa.Text(), nullable=True),
    sa.Column('referred_by', sa.String(length=100), nullable=False),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('meeting_id', sa.BigInteger(), nullable=True),
    sa.Column('heard_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('meeting_summary', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("consent IN ('given', 'refused', 'not-sought')", name=op.f('ck_marac_referral_consent_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'accepted', 'declined', 'listed', 'heard', 'closed')", name=op.f('ck_marac_referral_status_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessment.id'], name=op.f('fk_marac_referral_assessment_id_risk_assessment')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_marac_referral_force_id_force')),
    sa.ForeignKeyConstraint(['meeting_id'], ['marac_meeting.id'], name=op.f('fk_marac_referral_meeting_id_marac_meeting')),
    sa.ForeignKeyConstraint(['victim_id'], ['person.id'], name=op.f('fk_marac_referral_victim_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marac_referral'))
    )
    op.create_index(op.f('ix_marac_referral_assessment_id'), 'marac_referral', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_marac_referral_force_id'), 'marac_referral', ['force_id'], unique=False)
    op.create_index(op.f('ix_marac_referral_meeting_id'), 'marac_referral', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_marac_referral_reference'), 'marac_referral', ['reference'], unique=False)
    op.create_index(op.f('ix_marac_referral_referred_at'), 'marac_referral', ['referred_at'], unique=False)
    op.create_index(op.f('ix_marac_referral_status'), 'marac_referral', ['status'], unique=False)
    op.create_index(op.f('ix_marac_referral_submitted_at'), 'marac_referral', ['submitted_at'], unique=False)
    op.create_index(op.f('ix_marac_referral_victim_id'), 'marac_referral', ['victim_id'], unique=False)
    op.create_table('victim_entitlement',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('crime_id', sa.BigInteger(), nullable=True),
    sa.Column('right_number', sa.SmallInteger(), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('enhanced', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('officer', sa.String(length=100), nullable=True),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('met_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('met_at IS NULL OR met_by IS NOT NULL', name=op.f('ck_victim_entitlement_met_by_someone')),
    sa.CheckConstraint('right_number BETWEEN 1 AND 12', name=op.f('ck_victim_entitlement_right_known')),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_victim_entitlement_crime_id_crime')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_victim_entitlement_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_victim_entitlement_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_victim_entitlement'))
    )
    op.create_index(op.f('ix_victim_entitlement_crime_id'), 'victim_entitlement', ['crime_id'], unique=False)
    op.create_index(op.f('ix_victim_entitlement_due_at'), 'victim_entitlement', ['due_at'], unique=False)
    op.create_index(op.f('ix_victim_entitlement_force_id'), 'victim_entitlement', ['force_id'], unique=False)
    op.create_index(op.f('ix_victim_entitlement_met_at'), 'victim_entitlement', ['met_at'], unique=False)
    op.create_index(op.f('ix_victim_entitlement_officer'), 'victim_entitlement', ['officer'], unique=False)
    op.create_index(op.f('ix_victim_entitlement_person_id'), 'victim_entitlement', ['person_id'], unique=False)
    op.create_table('marac_action',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('referral_id', sa.BigInteger(), nullable=False),
    sa.Column('meeting_id', sa.BigInteger(), nullable=True),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_marac_action_status_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_marac_action_force_id_force')),
    sa.ForeignKeyConstraint(['meeting_id'], ['marac_meeting.id'], name=op.f('fk_marac_action_meeting_id_marac_meeting')),
    sa.ForeignKeyConstraint(['referral_id'], ['marac_referral.id'], name=op.f('fk_marac_action_referral_id_marac_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marac_action'))
    )
    op.create_index(op.f('ix_marac_action_due_on'), 'marac_action', ['due_on'], unique=False)
    op.create_index(op.f('ix_marac_action_force_id'), 'marac_action', ['force_id'], unique=False)
    op.create_index(op.f('ix_marac_action_meeting_id'), 'marac_action', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_marac_action_referral_id'), 'marac_action', ['referral_id'], unique=False)
    op.create_index(op.f('ix_marac_action_status'), 'marac_action', ['status'], unique=False)
    op.create_table('marac_referral_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('referral_id', sa.BigInteger(), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_marac_referral_event_force_id_force')),
    sa.ForeignKeyConstraint(['referral_id'], ['marac_referral.id'], name=op.f('fk_marac_referral_event_referral_id_marac_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marac_referral_event'))
    )
    op.create_index(op.f('ix_marac_referral_event_force_id'), 'marac_referral_event', ['force_id'], unique=False)
    op.create_index(op.f('ix_marac_referral_event_referral_id'), 'marac_referral_event', ['referral_id'], unique=False)
    op.create_table('victim_contact',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('crime_id', sa.BigInteger(), nullable=True),
    sa.Column('entitlement_id', sa.BigInteger(), nullable=True),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("method IN ('phone', 'in-person', 'letter', 'email', 'text', 'via-third-party')", name=op.f('ck_victim_contact_method_known')),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_victim_contact_crime_id_crime')),
    sa.ForeignKeyConstraint(['entitlement_id'], ['victim_entitlement.id'], name=op.f('fk_victim_contact_entitlement_id_victim_entitlement')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_victim_contact_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_victim_contact_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_victim_contact'))
    )
    op.create_index(op.f('ix_victim_contact_contacted_at'), 'victim_contact', ['contacted_at'], unique=False)
    op.create_index(op.f('ix_victim_contact_crime_id'), 'victim_contact', ['crime_id'], unique=False)
    op.create_index(op.f('ix_victim_contact_entitlement_id'), 'victim_contact', ['entitlement_id'], unique=False)
    op.create_index(op.f('ix_victim_contact_force_id'), 'victim_contact', ['force_id'], unique=False)
    op.create_index(op.f('ix_victim_contact_person_id'), 'victim_contact', ['person_id'], unique=False)
    op.create_table('protective_order',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('authorised_by', sa.String(length=200), nullable=True),
    sa.Column('court', sa.String(length=200), nullable=True),
    sa.Column('no_contact', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('conditions', sa.Text(), nullable=True),
    sa.Column('hearing_due_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notification_due_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hearing_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('crime_id', sa.BigInteger(), nullable=True),
    sa.Column('bail_id', sa.BigInteger(), nullable=True),
    sa.Column('follows_order_id', sa.BigInteger(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("kind IN ('dapn', 'dapo', 'dvpn', 'dvpo', 'non-molestation', 'restraining', 'bail-conditions')", name=op.f('ck_protective_order_kind_known')),
    sa.CheckConstraint("status IN ('active', 'expired', 'discharged', 'withdrawn', 'superseded')", name=op.f('ck_protective_order_status_known')),
    sa.CheckConstraint('expires_at IS NULL OR expires_at > starts_at', name=op.f('ck_protective_order_expires_after_start')),
    sa.ForeignKeyConstraint(['bail_id'], ['bail.id'], name=op.f('fk_protective_order_bail_id_bail')),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_protective_order_crime_id_crime')),
    sa.ForeignKeyConstraint(['follows_order_id'], ['protective_order.id'], name=op.f('fk_protective_order_follows_order_id_protective_order')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_protective_order_force_id_force')),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_protective_order_subject_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_order'))
    )
    op.create_index(op.f('ix_protective_order_bail_id'), 'protective_order', ['bail_id'], unique=False)
    op.create_index(op.f('ix_protective_order_crime_id'), 'protective_order', ['crime_id'], unique=False)
    op.create_index(op.f('ix_protective_order_expires_at'), 'protective_order', ['expires_at'], unique=False)
    op.create_index(op.f('ix_protective_order_follows_order_id'), 'protective_order', ['follows_order_id'], unique=False)
    op.create_index(op.f('ix_protective_order_force_id'), 'protective_order', ['force_id'], unique=False)
    op.create_index(op.f('ix_protective_order_hearing_due_by'), 'protective_order', ['hearing_due_by'], unique=False)
    op.create_index(op.f('ix_protective_order_kind'), 'protective_order', ['kind'], unique=False)
    op.create_index(op.f('ix_protective_order_reference'), 'protective_order', ['reference'], unique=False)
    op.create_index(op.f('ix_protective_order_starts_at'), 'protective_order', ['starts_at'], unique=False)
    op.create_index(op.f('ix_protective_order_status'), 'protective_order', ['status'], unique=False)
    op.create_index(op.f('ix_protective_order_subject_id'), 'protective_order', ['subject_id'], unique=False)
    op.create_table('order_breach',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('arrest_id', sa.BigInteger(), nullable=True),
    sa.Column('court_due_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_order_breach_arrest_id_arrest')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_order_breach_contact_id_contact')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_order_breach_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_order_breach_incident_id_incident')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_order_breach_location_id_location')),
    sa.ForeignKeyConstraint(['order_id'], ['protective_order.id'], name=op.f('fk_order_breach_order_id_protective_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_breach'))
    )
    op.create_index(op.f('ix_order_breach_contact_id'), 'order_breach', ['contact_id'], unique=False)
    op.create_index(op.f('ix_order_breach_force_id'), 'order_breach', ['force_id'], unique=False)
    op.create_index(op.f('ix_order_breach_incident_id'), 'order_breach', ['incident_id'], unique=False)
    op.create_index(op.f('ix_order_breach_occurred_at'), 'order_breach', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_order_breach_order_id'), 'order_breach', ['order_id'], unique=False)
    op.create_table('protective_order_person',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_protective_order_person_force_id_force')),
    sa.ForeignKeyConstraint(['order_id'], ['protective_order.id'], name=op.f('fk_protective_order_person_order_id_protective_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_protective_order_person_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_order_person')),
    sa.UniqueConstraint('order_id', 'person_id', name='uq_protective_order_person_pair')
    )
    op.create_index(op.f('ix_protective_order_person_force_id'), 'protective_order_person', ['force_id'], unique=False)
    op.create_index(op.f('ix_protective_order_person_order_id'), 'protective_order_person', ['order_id'], unique=False)
    op.create_index(op.f('ix_protective_order_person_person_id'), 'protective_order_person', ['person_id'], unique=False)
    op.create_table('protective_order_zone',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.BigInteger(), nullable=False),
    sa.Column('radius_m', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_protective_order_zone_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_protective_order_zone_location_id_location')),
    sa.ForeignKeyConstraint(['order_id'], ['protective_order.id'], name=op.f('fk_protective_order_zone_order_id_protective_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_order_zone'))
    )
    op.create_index(op.f('ix_protective_order_zone_force_id'), 'protective_order_zone', ['force_id'], unique=False)
    op.create_index(op.f('ix_protective_order_zone_location_id'), 'protective_order_zone', ['location_id'], unique=False)
    op.create_index(op.f('ix_protective_order_zone_order_id'), 'protective_order_zone', ['order_id'], unique=False)
    for table, visible in VISIBLE_SUBJECTS.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_force_isolation ON {table} "
                   f"USING (force_id = {CURRENT_FORCE} AND {visible}) WITH CHECK (force_id = {CURRENT_FORCE})")
    # The directory: every force reads the national services (force_id NULL) and its own; it may change only
    # its own. Permissive policies are OR-ed per command, so SELECT sees both and the rest see its own.
    op.execute("ALTER TABLE support_service ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE support_service FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY support_service_read ON support_service FOR SELECT "
               f"USING (force_id IS NULL OR force_id = {CURRENT_FORCE})")
    op.execute("CREATE POLICY support_service_force_isolation ON support_service "
               f"USING (force_id = {CURRENT_FORCE}) WITH CHECK (force_id = {CURRENT_FORCE})")
    _load_national_services()


def _load_national_services() -> None:
    """The national helplines, from the CSV shipped in the package."""
    data = resources.files("safeguard.safeguarding") / "data" / "support_services.csv"
    with data.open(encoding="utf-8", newline="") as handle:
        rows = [{"code": row["code"], "name": row["name"], "scope": "national", "description": row["description"],
                 "eligibility": row["eligibility"], "groups": row["groups"].split(";"),
                 "phone": row["phone"] or None, "text_number": row["text_number"] or None,
                 "email": row["email"] or None, "website": row["website"] or None, "hours": row["hours"] or None,
                 "referral_route": row["referral_route"],
                 "accepts_police_referrals": row["accepts_police_referrals"] == "yes"}
                for row in csv.DictReader(handle)]
    table = sa.table("support_service", *(sa.column(name) for name in rows[0] if name != "groups"),
                     sa.column("groups", postgresql.JSONB))
    op.bulk_insert(table, rows)


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS support_service_read ON support_service")
    for table in (*VISIBLE_SUBJECTS, "support_service"):
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_index(op.f('ix_protective_order_zone_order_id'), table_name='protective_order_zone')
    op.drop_index(op.f('ix_protective_order_zone_location_id'), table_name='protective_order_zone')
    op.drop_index(op.f('ix_protective_order_zone_force_id'), table_name='protective_order_zone')
    op.drop_table('protective_order_zone')
    op.drop_index(op.f('ix_protective_order_person_person_id'), table_name='protective_order_person')
    op.drop_index(op.f('ix_protective_order_person_order_id'), table_name='protective_order_person')
    op.drop_index(op.f('ix_protective_order_person_force_id'), table_name='protective_order_person')
    op.drop_table('protective_order_person')
    op.drop_index(op.f('ix_order_breach_order_id'), table_name='order_breach')
    op.drop_index(op.f('ix_order_breach_occurred_at'), table_name='order_breach')
    op.drop_index(op.f('ix_order_breach_incident_id'), table_name='order_breach')
    op.drop_index(op.f('ix_order_breach_force_id'), table_name='order_breach')
    op.drop_index(op.f('ix_order_breach_contact_id'), table_name='order_breach')
    op.drop_table('order_breach')
    op.drop_index(op.f('ix_protective_order_subject_id'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_status'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_starts_at'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_reference'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_kind'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_hearing_due_by'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_force_id'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_follows_order_id'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_expires_at'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_crime_id'), table_name='protective_order')
    op.drop_index(op.f('ix_protective_order_bail_id'), table_name='protective_order')
    op.drop_table('protective_order')
    op.drop_index(op.f('ix_victim_contact_person_id'), table_name='victim_contact')
    op.drop_index(op.f('ix_victim_contact_force_id'), table_name='victim_contact')
    op.drop_index(op.f('ix_victim_contact_entitlement_id'), table_name='victim_contact')
    op.drop_index(op.f('ix_victim_contact_crime_id'), table_name='victim_contact')
    op.drop_index(op.f('ix_victim_contact_contacted_at'), table_name='victim_contact')
    op.drop_table('victim_contact')
    op.drop_index(op.f('ix_marac_referral_event_referral_id'), table_name='marac_referral_event')
    op.drop_index(op.f('ix_marac_referral_event_force_id'), table_name='marac_referral_event')
    op.drop_table('marac_referral_event')
    op.drop_index(op.f('ix_marac_action_status'), table_name='marac_action')
    op.drop_index(op.f('ix_marac_action_referral_id'), table_name='marac_action')
    op.drop_index(op.f('ix_marac_action_meeting_id'), table_name='marac_action')
    op.drop_index(op.f('ix_marac_action_force_id'), table_name='marac_action')
    op.drop_index(op.f('ix_marac_action_due_on'), table_name='marac_action')
    op.drop_table('marac_action')
    op.drop_index(op.f('ix_victim_entitlement_person_id'), table_name='victim_entitlement')
    op.drop_index(op.f('ix_victim_entitlement_officer'), table_name='victim_entitlement')
    op.drop_index(op.f('ix_victim_entitlement_met_at'), table_name='victim_entitlement')
    op.drop_index(op.f('ix_victim_entitlement_force_id'), table_name='victim_entitlement')
    op.drop_index(op.f('ix_victim_entitlement_due_at'), table_name='victim_entitlement')
    op.drop_index(op.f('ix_victim_entitlement_crime_id'), table_name='victim_entitlement')
    op.drop_table('victim_entitlement')
    op.drop_index(op.f('ix_marac_referral_victim_id'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_submitted_at'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_status'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_referred_at'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_reference'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_meeting_id'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_force_id'), table_name='marac_referral')
    op.drop_index(op.f('ix_marac_referral_assessment_id'), table_name='marac_referral')
    op.drop_table('marac_referral')
    op.drop_index(op.f('ix_support_referral_status'), table_name='support_referral')
    op.drop_index(op.f('ix_support_referral_service_id'), table_name='support_referral')
    op.drop_index(op.f('ix_support_referral_person_id'), table_name='support_referral')
    op.drop_index(op.f('ix_support_referral_made_at'), table_name='support_referral')
    op.drop_index(op.f('ix_support_referral_incident_id'), table_name='support_referral')
    op.drop_index(op.f('ix_support_referral_force_id'), table_name='support_referral')
    op.drop_table('support_referral')
    op.drop_index(op.f('ix_risk_assessment_victim_id'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_review_status'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_reference'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_incident_id'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_force_id'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_final_level'), table_name='risk_assessment')
    op.drop_index(op.f('ix_risk_assessment_assessed_at'), table_name='risk_assessment')
    op.drop_table('risk_assessment')
    op.drop_index(op.f('ix_safe_contact_person_id'), table_name='safe_contact')
    op.drop_index(op.f('ix_safe_contact_force_id'), table_name='safe_contact')
    op.drop_table('safe_contact')
    op.drop_index(op.f('ix_marac_meeting_held_on'), table_name='marac_meeting')
    op.drop_index(op.f('ix_marac_meeting_force_id'), table_name='marac_meeting')
    op.drop_index(op.f('ix_marac_meeting_area_id'), table_name='marac_meeting')
    op.drop_table('marac_meeting')
    op.drop_index(op.f('ix_disclosure_request_subject_id'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_status'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_reference'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_received_at'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_person_at_risk_id'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_force_id'), table_name='disclosure_request')
    op.drop_index(op.f('ix_disclosure_request_due_by'), table_name='disclosure_request')
    op.drop_table('disclosure_request')
    op.drop_index(op.f('ix_support_service_force_id'), table_name='support_service')
    op.drop_table('support_service')
