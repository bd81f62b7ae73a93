"""crimes, offences, suspects, arrests, charges and outcomes

The whole schema of issue 4. The offence catalogue and the Home Office outcome types are reference data
shared by the deployment: loaded here from the CSV files shipped in `safeguard/crimes/data/`, readable by
the application's role but changed only by the owner (`safeguard import offences`). Every other table is
force-owned, with forced row-level security.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 11:14:52.616387
"""

import csv
from collections.abc import Sequence
from decimal import Decimal
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import drop_force_policy_sql, force_policy_sql

FORCE_OWNED = ["crime", "crime_offence", "crime_person", "suspect", "suspect_event", "arrest", "arrest_offence",
               "custody_review", "charge", "charge_offence", "bail"]
REFERENCE = ["offence", "outcome_type"]

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('offence',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('legislation', sa.String(length=300), nullable=False),
    sa.Column('ho_class', sa.String(length=20), nullable=True),
    sa.Column('da_related', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('harm_weight', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('harm_source', sa.String(length=10), nullable=False),
    sa.Column('harm_note', sa.String(length=1000), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("category IN ('assault-wounding', 'coercive-control-stalking', 'false-imprisonment-kidnap', 'threats-to-kill', 'strangulation', 'harassment', 'criminal-damage', 'breach-of-order', 'sexual-offences', 'other')", name=op.f('ck_offence_category_known')),
    sa.CheckConstraint("harm_source IN ('chi', 'css', 'estimate')", name=op.f('ck_offence_harm_source_known')),
    sa.CheckConstraint('harm_weight >= 0', name=op.f('ck_offence_harm_weight_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offence')),
    sa.UniqueConstraint('code', name=op.f('uq_offence_code'))
    )
    op.create_index('ix_offence_category', 'offence', ['category'], unique=False)
    op.create_table('outcome_type',
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('outcome_group', sa.String(length=100), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=False),
    sa.Column('sort_order', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("confidence IN ('VERIFIED', 'PARTIAL', 'UNVERIFIED')", name=op.f('ck_outcome_type_confidence_known')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_outcome_type'))
    )
    op.create_table('crime',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=140), nullable=False),
    sa.Column('recorded_by_id', sa.BigInteger(), nullable=True),
    sa.Column('da_related', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('status', sa.String(length=30), server_default='under-investigation', nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('outcome_code', sa.String(length=4), nullable=True),
    sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_by', sa.String(length=140), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('under-investigation', 'awaiting-charging-decision', 'charged', 'closed')", name=op.f('ck_crime_status_known')),
    sa.CheckConstraint('(outcome_code IS NULL) = (outcome_at IS NULL)', name=op.f('ck_crime_outcome_has_time')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_crime_area_id_area')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_crime_force_id_force')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_crime_incident_id_incident')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_crime_location_id_location')),
    sa.ForeignKeyConstraint(['outcome_code'], ['outcome_type.code'], name=op.f('fk_crime_outcome_code_outcome_type')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_crime_recorded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crime')),
    sa.UniqueConstraint('force_id', 'reference', name='uq_crime_reference')
    )
    op.create_index(op.f('ix_crime_area_id'), 'crime', ['area_id'], unique=False)
    op.create_index(op.f('ix_crime_force_id'), 'crime', ['force_id'], unique=False)
    op.create_index(op.f('ix_crime_incident_id'), 'crime', ['incident_id'], unique=False)
    op.create_index(op.f('ix_crime_location_id'), 'crime', ['location_id'], unique=False)
    op.create_index(op.f('ix_crime_occurred_at'), 'crime', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_crime_outcome_at'), 'crime', ['outcome_at'], unique=False)
    op.create_index(op.f('ix_crime_outcome_code'), 'crime', ['outcome_code'], unique=False)
    op.create_index(op.f('ix_crime_recorded_at'), 'crime', ['recorded_at'], unique=False)
    op.create_table('crime_offence',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('crime_id', sa.BigInteger(), nullable=False),
    sa.Column('offence_id', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_crime_offence_crime_id_crime'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_crime_offence_force_id_force')),
    sa.ForeignKeyConstraint(['offence_id'], ['offence.id'], name=op.f('fk_crime_offence_offence_id_offence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crime_offence')),
    sa.UniqueConstraint('crime_id', 'offence_id', name='uq_crime_offence_pair')
    )
    op.create_index(op.f('ix_crime_offence_crime_id'), 'crime_offence', ['crime_id'], unique=False)
    op.create_index(op.f('ix_crime_offence_force_id'), 'crime_offence', ['force_id'], unique=False)
    op.create_index(op.f('ix_crime_offence_offence_id'), 'crime_offence', ['offence_id'], unique=False)
    op.create_table('crime_person',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('crime_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("role IN ('victim', 'witness')", name=op.f('ck_crime_person_role_known')),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_crime_person_crime_id_crime'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_crime_person_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_crime_person_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crime_person')),
    sa.UniqueConstraint('crime_id', 'person_id', 'role', name='uq_crime_person_role')
    )
    op.create_index(op.f('ix_crime_person_crime_id'), 'crime_person', ['crime_id'], unique=False)
    op.create_index(op.f('ix_crime_person_force_id'), 'crime_person', ['force_id'], unique=False)
    op.create_index(op.f('ix_crime_person_person_id'), 'crime_person', ['person_id'], unique=False)
    op.create_table('suspect',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('crime_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=30), server_default='outstanding', nullable=False),
    sa.Column('status_since', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('wanted_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('circulated', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('circulation_note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('outstanding', 'wanted', 'arrested', 'interviewed', 'charged', 'bailed', 'released-under-investigation', 'no-further-action')", name=op.f('ck_suspect_status_known')),
    sa.ForeignKeyConstraint(['crime_id'], ['crime.id'], name=op.f('fk_suspect_crime_id_crime')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_suspect_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_suspect_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspect')),
    sa.UniqueConstraint('crime_id', 'person_id', name='uq_suspect_crime_person')
    )
    op.create_index(op.f('ix_suspect_crime_id'), 'suspect', ['crime_id'], unique=False)
    op.create_index(op.f('ix_suspect_force_id'), 'suspect', ['force_id'], unique=False)
    op.create_index(op.f('ix_suspect_person_id'), 'suspect', ['person_id'], unique=False)
    op.create_index('ix_suspect_status', 'suspect', ['status', 'wanted_since'], unique=False)
    op.create_table('arrest',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('suspect_id', sa.BigInteger(), nullable=True),
    sa.Column('arrested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('arrested_by', sa.String(length=140), nullable=False),
    sa.Column('arrested_by_id', sa.BigInteger(), nullable=True),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('operation_id', sa.BigInteger(), nullable=True),
    sa.Column('da_related', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('for_bail_breach', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('custody_station', sa.String(length=120), nullable=True),
    sa.Column('arrived_at_station', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detention_authorised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('release_reason', sa.String(length=500), nullable=True),
    sa.Column('superintendent_extension_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superintendent_extension_by', sa.String(length=140), nullable=True),
    sa.Column('warrant_of_further_detention_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('arrived_at_station IS NULL OR arrived_at_station >= arrested_at', name=op.f('ck_arrest_arrived_after')),
    sa.CheckConstraint('released_at IS NULL OR released_at >= arrested_at', name=op.f('ck_arrest_released_after')),
    sa.ForeignKeyConstraint(['arrested_by_id'], ['app_user.id'], name=op.f('fk_arrest_arrested_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_arrest_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_arrest_location_id_location')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_arrest_person_id_person')),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspect.id'], name=op.f('fk_arrest_suspect_id_suspect')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_arrest_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrest'))
    )
    op.create_index(op.f('ix_arrest_arrested_at'), 'arrest', ['arrested_at'], unique=False)
    op.create_index(op.f('ix_arrest_force_id'), 'arrest', ['force_id'], unique=False)
    op.create_index(op.f('ix_arrest_location_id'), 'arrest', ['location_id'], unique=False)
    op.create_index(op.f('ix_arrest_operation_id'), 'arrest', ['operation_id'], unique=False)
    op.create_index(op.f('ix_arrest_person_id'), 'arrest', ['person_id'], unique=False)
    op.create_index(op.f('ix_arrest_released_at'), 'arrest', ['released_at'], unique=False)
    op.create_index(op.f('ix_arrest_suspect_id'), 'arrest', ['suspect_id'], unique=False)
    op.create_index(op.f('ix_arrest_team_id'), 'arrest', ['team_id'], unique=False)
    op.create_table('suspect_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('suspect_id', sa.BigInteger(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=140), nullable=False),
    sa.Column('by_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("from_status IS NULL OR from_status IN ('outstanding', 'wanted', 'arrested', 'interviewed', 'charged', 'bailed', 'released-under-investigation', 'no-further-action')", name=op.f('ck_suspect_event_from_status_known')),
    sa.CheckConstraint("to_status IN ('outstanding', 'wanted', 'arrested', 'interviewed', 'charged', 'bailed', 'released-under-investigation', 'no-further-action')", name=op.f('ck_suspect_event_to_status_known')),
    sa.ForeignKeyConstraint(['by_id'], ['app_user.id'], name=op.f('fk_suspect_event_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_suspect_event_force_id_force')),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspect.id'], name=op.f('fk_suspect_event_suspect_id_suspect'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspect_event'))
    )
    op.create_index(op.f('ix_suspect_event_at'), 'suspect_event', ['at'], unique=False)
    op.create_index(op.f('ix_suspect_event_force_id'), 'suspect_event', ['force_id'], unique=False)
    op.create_index(op.f('ix_suspect_event_suspect_id'), 'suspect_event', ['suspect_id'], unique=False)
    op.create_table('arrest_offence',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('arrest_id', sa.BigInteger(), nullable=False),
    sa.Column('offence_id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_arrest_offence_arrest_id_arrest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_arrest_offence_force_id_force')),
    sa.ForeignKeyConstraint(['offence_id'], ['offence.id'], name=op.f('fk_arrest_offence_offence_id_offence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrest_offence')),
    sa.UniqueConstraint('arrest_id', 'offence_id', name='uq_arrest_offence_pair')
    )
    op.create_index(op.f('ix_arrest_offence_arrest_id'), 'arrest_offence', ['arrest_id'], unique=False)
    op.create_index(op.f('ix_arrest_offence_force_id'), 'arrest_offence', ['force_id'], unique=False)
    op.create_index(op.f('ix_arrest_offence_offence_id'), 'arrest_offence', ['offence_id'], unique=False)
    op.create_table('charge',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('suspect_id', sa.BigInteger(), nullable=False),
    sa.Column('arrest_id', sa.BigInteger(), nullable=True),
    sa.Column('charged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=20), server_default='charge', nullable=False),
    sa.Column('decided_by', sa.String(length=10), nullable=False),
    sa.Column('code_test', sa.String(length=10), nullable=True),
    sa.Column('charged_by', sa.String(length=140), nullable=False),
    sa.Column('charged_by_id', sa.BigInteger(), nullable=True),
    sa.Column('remanded', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('first_court_date', sa.Date(), nullable=True),
    sa.Column('court', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("code_test IS NULL OR code_test IN ('full-code', 'threshold')", name=op.f('ck_charge_code_test_known')),
    sa.CheckConstraint("decided_by IN ('cps', 'police')", name=op.f('ck_charge_decided_by_known')),
    sa.CheckConstraint("method IN ('charge', 'summons', 'postal-requisition')", name=op.f('ck_charge_method_known')),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_charge_arrest_id_arrest')),
    sa.ForeignKeyConstraint(['charged_by_id'], ['app_user.id'], name=op.f('fk_charge_charged_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_charge_force_id_force')),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspect.id'], name=op.f('fk_charge_suspect_id_suspect')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge'))
    )
    op.create_index(op.f('ix_charge_arrest_id'), 'charge', ['arrest_id'], unique=False)
    op.create_index(op.f('ix_charge_charged_at'), 'charge', ['charged_at'], unique=False)
    op.create_index(op.f('ix_charge_force_id'), 'charge', ['force_id'], unique=False)
    op.create_index(op.f('ix_charge_suspect_id'), 'charge', ['suspect_id'], unique=False)
    op.create_table('custody_review',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('arrest_id', sa.BigInteger(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=140), nullable=False),
    sa.Column('by_id', sa.BigInteger(), nullable=True),
    sa.Column('reviewer_rank', sa.String(length=40), nullable=True),
    sa.Column('detention_continued', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_custody_review_arrest_id_arrest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['app_user.id'], name=op.f('fk_custody_review_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_custody_review_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_review'))
    )
    op.create_index(op.f('ix_custody_review_arrest_id'), 'custody_review', ['arrest_id'], unique=False)
    op.create_index(op.f('ix_custody_review_force_id'), 'custody_review', ['force_id'], unique=False)
    op.create_table('bail',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('suspect_id', sa.BigInteger(), nullable=False),
    sa.Column('arrest_id', sa.BigInteger(), nullable=True),
    sa.Column('charge_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=12), server_default='pre-charge', nullable=False),
    sa.Column('conditions', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('return_on', sa.Date(), nullable=True),
    sa.Column('authority', sa.String(length=20), nullable=False),
    sa.Column('victim_views', sa.Text(), nullable=True),
    sa.Column('set_by', sa.String(length=140), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("(kind = 'post-charge') = (charge_id IS NOT NULL)", name=op.f('ck_bail_post_charge_has_charge')),
    sa.CheckConstraint("authority IN ('custody-officer', 'inspector', 'superintendent', 'court')", name=op.f('ck_bail_authority_known')),
    sa.CheckConstraint("kind IN ('pre-charge', 'post-charge')", name=op.f('ck_bail_kind_known')),
    sa.CheckConstraint('return_on IS NULL OR return_on >= starts_on', name=op.f('ck_bail_returns_after_start')),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_bail_arrest_id_arrest')),
    sa.ForeignKeyConstraint(['charge_id'], ['charge.id'], name=op.f('fk_bail_charge_id_charge')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_bail_force_id_force')),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspect.id'], name=op.f('fk_bail_suspect_id_suspect')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bail'))
    )
    op.create_index(op.f('ix_bail_arrest_id'), 'bail', ['arrest_id'], unique=False)
    op.create_index(op.f('ix_bail_charge_id'), 'bail', ['charge_id'], unique=False)
    op.create_index(op.f('ix_bail_force_id'), 'bail', ['force_id'], unique=False)
    op.create_index(op.f('ix_bail_return_on'), 'bail', ['return_on'], unique=False)
    op.create_index(op.f('ix_bail_suspect_id'), 'bail', ['suspect_id'], unique=False)
    op.create_table('charge_offence',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('charge_id', sa.BigInteger(), nullable=False),
    sa.Column('offence_id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['charge_id'], ['charge.id'], name=op.f('fk_charge_offence_charge_id_charge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_charge_offence_force_id_force')),
    sa.ForeignKeyConstraint(['offence_id'], ['offence.id'], name=op.f('fk_charge_offence_offence_id_offence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_offence')),
    sa.UniqueConstraint('charge_id', 'offence_id', name='uq_charge_offence_pair')
    )
    op.create_index(op.f('ix_charge_offence_charge_id'), 'charge_offence', ['charge_id'], unique=False)
    op.create_index(op.f('ix_charge_offence_force_id'), 'charge_offence', ['force_id'], unique=False)
    op.create_index(op.f('ix_charge_offence_offence_id'), 'charge_offence', ['offence_id'], unique=False)
    _load_reference_data()
    for table in FORCE_OWNED:
        for statement in force_policy_sql(table):
            op.execute(statement)
    role = '"' + op.get_context().opts["app_role"].replace('"', '""') + '"'
    for table in REFERENCE:
        # Reference data for every force: the application reads it; only the owner may change it.
        op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")


def _load_reference_data() -> None:
    """Read the shipped CSV files from the package (the same files `safeguard import offences` takes)."""
    data = resources.files("safeguard.crimes") / "data"
    with (data / "offences.csv").open(encoding="utf-8", newline="") as handle:
        offences = [{"code": row["code"], "title": row["offence"], "legislation": row["legislation"],
                     "ho_class": row["ho_class"] or None, "da_related": row["da_related"] == "yes",
                     "category": row["category"], "harm_weight": Decimal(row["harm_weight"]),
                     "harm_source": row["harm_source"], "harm_note": row["harm_note"] or None}
                    for row in csv.DictReader(handle)]
    offence = sa.table("offence", *(sa.column(name) for name in offences[0]))
    op.bulk_insert(offence, offences)
    with (data / "outcome_types.csv").open(encoding="utf-8", newline="") as handle:
        outcomes = [{"code": row["code"], "title": row["title"], "outcome_group": row["group"],
                     "final": row["final"] == "yes", "confidence": row["confidence"], "sort_order": n}
                    for n, row in enumerate(csv.DictReader(handle), start=1)]
    outcome_type = sa.table("outcome_type", *(sa.column(name) for name in outcomes[0]))
    op.bulk_insert(outcome_type, outcomes)


def downgrade() -> None:
    for table in FORCE_OWNED:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_index(op.f('ix_charge_offence_offence_id'), table_name='charge_offence')
    op.drop_index(op.f('ix_charge_offence_force_id'), table_name='charge_offence')
    op.drop_index(op.f('ix_charge_offence_charge_id'), table_name='charge_offence')
    op.drop_table('charge_offence')
    op.drop_index(op.f('ix_bail_suspect_id'), table_name='bail')
    op.drop_index(op.f('ix_bail_return_on'), table_name='bail')
    op.drop_index(op.f('ix_bail_force_id'), table_name='bail')
    op.drop_index(op.f('ix_bail_charge_id'), table_name='bail')
    op.drop_index(op.f('ix_bail_arrest_id'), table_name='bail')
    op.drop_table('bail')
    op.drop_index(op.f('ix_custody_review_force_id'), table_name='custody_review')
    op.drop_index(op.f('ix_custody_review_arrest_id'), table_name='custody_review')
    op.drop_table('custody_review')
    op.drop_index(op.f('ix_charge_suspect_id'), table_name='charge')
    op.drop_index(op.f('ix_charge_force_id'), table_name='charge')
    op.drop_index(op.f('ix_charge_charged_at'), table_name='charge')
    op.drop_index(op.f('ix_charge_arrest_id'), table_name='charge')
    op.drop_table('charge')
    op.drop_index(op.f('ix_arrest_offence_offence_id'), table_name='arrest_offence')
    op.drop_index(op.f('ix_arrest_offence_force_id'), table_name='arrest_offence')
    op.drop_index(op.f('ix_arrest_offence_arrest_id'), table_name='arrest_offence')
    op.drop_table('arrest_offence')
    op.drop_index(op.f('ix_suspect_event_suspect_id'), table_name='suspect_event')
    op.drop_index(op.f('ix_suspect_event_force_id'), table_name='suspect_event')
    op.drop_index(op.f('ix_suspect_event_at'), table_name='suspect_event')
    op.drop_table('suspect_event')
    op.drop_index(op.f('ix_arrest_team_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_suspect_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_released_at'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_person_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_operation_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_location_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_force_id'), table_name='arrest')
    op.drop_index(op.f('ix_arrest_arrested_at'), table_name='arrest')
    op.drop_table('arrest')
    op.drop_index('ix_suspect_status', table_name='suspect')
    op.drop_index(op.f('ix_suspect_person_id'), table_name='suspect')
    op.drop_index(op.f('ix_suspect_force_id'), table_name='suspect')
    op.drop_index(op.f('ix_suspect_crime_id'), table_name='suspect')
    op.drop_table('suspect')
    op.drop_index(op.f('ix_crime_person_person_id'), table_name='crime_person')
    op.drop_index(op.f('ix_crime_person_force_id'), table_name='crime_person')
    op.drop_index(op.f('ix_crime_person_crime_id'), table_name='crime_person')
    op.drop_table('crime_person')
    op.drop_index(op.f('ix_crime_offence_offence_id'), table_name='crime_offence')
    op.drop_index(op.f('ix_crime_offence_force_id'), table_name='crime_offence')
    op.drop_index(op.f('ix_crime_offence_crime_id'), table_name='crime_offence')
    op.drop_table('crime_offence')
    op.drop_index(op.f('ix_crime_recorded_at'), table_name='crime')
    op.drop_index(op.f('ix_crime_outcome_code'), table_name='crime')
    op.drop_index(op.f('ix_crime_outcome_at'), table_name='crime')
    op.drop_index(op.f('ix_crime_occurred_at'), table_name='crime')
    op.drop_index(op.f('ix_crime_location_id'), table_name='crime')
    op.drop_index(op.f('ix_crime_incident_id'), table_name='crime')
    op.drop_index(op.f('ix_crime_force_id'), table_name='crime')
    op.drop_index(op.f('ix_crime_area_id'), table_name='crime')
    op.drop_table('crime')
    op.drop_table('outcome_type')
    op.drop_index('ix_offence_category', table_name='offence')
    op.drop_table('offence')
