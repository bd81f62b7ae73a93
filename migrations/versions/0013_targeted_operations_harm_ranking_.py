"""Targeted operations: harm-ranking weights and lists, operations, targets and arrest attempts

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 18:48:54.197097
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import CURRENT_FORCE, drop_force_policy_sql

# Each row is visible only when the people it is about are visible (as in 0011): a restricted person's place
# in a ranked list, or as an operation's target, is hidden exactly as the person is.
VISIBLE_SUBJECTS = {
    "harm_weight_set": "true",
    "harm_ranking": "true",
    "harm_ranking_entry": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "operation": "true",
    "operation_target": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)",
    "arrest_attempt": "EXISTS (SELECT 1 FROM operation_target t WHERE t.id = target_id)",
}
# The live operation board listens on this channel. The payload names the force and the operation (NULL for
# an arrest or charge outside any operation, which still counts in "arrests today"): never personal data.
BOARD_NOTIFY = '''
CREATE FUNCTION operation_board_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    operation bigint;
BEGIN
    IF TG_TABLE_NAME IN ('operation_target', 'arrest_attempt', 'arrest') THEN
        operation := NEW.operation_id;
    ELSE
        operation := NULL;
    END IF;
    PERFORM pg_notify('operation_board', json_build_object('force_id', NEW.force_id,
                                                           'operation_id', operation)::text);
    RETURN NULL;
END
$$
'''
BOARD_TABLES = ("operation_target", "arrest_attempt", "arrest", "charge")
revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('harm_weight_set',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('weights', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('version > 0', name=op.f('ck_harm_weight_set_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_harm_weight_set_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_harm_weight_set_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harm_weight_set')),
    sa.UniqueConstraint('force_id', 'version', name='uq_harm_weight_set_version')
    )
    op.create_index(op.f('ix_harm_weight_set_force_id'), 'harm_weight_set', ['force_id'], unique=False)
    op.create_table('operation',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('lead_name', sa.String(length=140), nullable=False),
    sa.Column('lead_user_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='planned', nullable=False),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'active', 'closed')", name=op.f('ck_operation_status_known')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_operation_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_operation_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_operation_force_id_force')),
    sa.ForeignKeyConstraint(['lead_user_id'], ['app_user.id'], name=op.f('fk_operation_lead_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation')),
    sa.UniqueConstraint('force_id', 'name', name='uq_operation_name')
    )
    op.create_index(op.f('ix_operation_ends_on'), 'operation', ['ends_on'], unique=False)
    op.create_index(op.f('ix_operation_force_id'), 'operation', ['force_id'], unique=False)
    op.create_index(op.f('ix_operation_starts_on'), 'operation', ['starts_on'], unique=False)
    op.create_table('harm_ranking',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('weight_set_id', sa.BigInteger(), nullable=False),
    sa.Column('weight_version', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=10), nullable=False),
    sa.Column('perpetrators', sa.Integer(), nullable=False),
    sa.Column('computed_by', sa.String(length=140), nullable=False),
    sa.Column('computed_by_id', sa.BigInteger(), nullable=True),
    sa.Column('seconds', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("engine IN ('duckdb', 'spark', 'postgres')", name=op.f('ck_harm_ranking_engine_known')),
    sa.CheckConstraint('window_days > 0', name=op.f('ck_harm_ranking_window_positive')),
    sa.ForeignKeyConstraint(['computed_by_id'], ['app_user.id'], name=op.f('fk_harm_ranking_computed_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_harm_ranking_force_id_force')),
    sa.ForeignKeyConstraint(['weight_set_id'], ['harm_weight_set.id'], name=op.f('fk_harm_ranking_weight_set_id_harm_weight_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harm_ranking'))
    )
    op.create_index(op.f('ix_harm_ranking_force_id'), 'harm_ranking', ['force_id'], unique=False)
    op.create_index(op.f('ix_harm_ranking_weight_set_id'), 'harm_ranking', ['weight_set_id'], unique=False)
    op.create_table('harm_ranking_entry',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ranking_id', sa.BigInteger(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('recency', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('frequency', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('gravity', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('victims', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('total_harm', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('victim_count', sa.Integer(), nullable=False),
    sa.Column('last_incident_on', sa.Date(), nullable=False),
    sa.Column('flags', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_harm_ranking_entry_force_id_force')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_harm_ranking_entry_person_id_person')),
    sa.ForeignKeyConstraint(['ranking_id'], ['harm_ranking.id'], name=op.f('fk_harm_ranking_entry_ranking_id_harm_ranking'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harm_ranking_entry')),
    sa.UniqueConstraint('ranking_id', 'person_id', name='uq_harm_ranking_entry_person'),
    sa.UniqueConstraint('ranking_id', 'rank', name='uq_harm_ranking_entry_rank')
    )
    op.create_index(op.f('ix_harm_ranking_entry_force_id'), 'harm_ranking_entry', ['force_id'], unique=False)
    op.create_index('ix_harm_ranking_entry_person_ranking', 'harm_ranking_entry', ['person_id', 'ranking_id'], unique=False)
    op.create_index(op.f('ix_harm_ranking_entry_ranking_id'), 'harm_ranking_entry', ['ranking_id'], unique=False)
    op.create_table('operation_target',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('operation_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('ranking_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('suspect_id', sa.BigInteger(), nullable=True),
    sa.Column('team_kind', sa.String(length=24), nullable=True),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='outstanding', nullable=False),
    sa.Column('overlaps', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('added_by', sa.String(length=140), nullable=False),
    sa.Column('added_by_id', sa.BigInteger(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("source IN ('ranking', 'wanted', 'manual')", name=op.f('ck_operation_target_source_known')),
    sa.CheckConstraint("status IN ('outstanding', 'arrested', 'withdrawn')", name=op.f('ck_operation_target_status_known')),
    sa.CheckConstraint("team_kind IS NULL OR team_kind IN ('public_protection', 'operational_support', 'local_policing')", name=op.f('ck_operation_target_team_kind_known')),
    sa.ForeignKeyConstraint(['added_by_id'], ['app_user.id'], name=op.f('fk_operation_target_added_by_id_app_user')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_operation_target_force_id_force')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_operation_target_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_operation_target_person_id_person')),
    sa.ForeignKeyConstraint(['ranking_entry_id'], ['harm_ranking_entry.id'], name=op.f('fk_operation_target_ranking_entry_id_harm_ranking_entry')),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspect.id'], name=op.f('fk_operation_target_suspect_id_suspect')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_operation_target_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_target')),
    sa.UniqueConstraint('operation_id', 'person_id', name='uq_operation_target_person')
    )
    op.create_index(op.f('ix_operation_target_force_id'), 'operation_target', ['force_id'], unique=False)
    op.create_index(op.f('ix_operation_target_operation_id'), 'operation_target', ['operation_id'], unique=False)
    op.create_index(op.f('ix_operation_target_person_id'), 'operation_target', ['person_id'], unique=False)
    op.create_index('ix_operation_target_status', 'operation_target', ['operation_id', 'status'], unique=False)
    op.create_index(op.f('ix_operation_target_team_id'), 'operation_target', ['team_id'], unique=False)
    op.create_table('arrest_attempt',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('operation_id', sa.BigInteger(), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('planned_by', sa.String(length=140), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=140), nullable=True),
    sa.Column('recorded_by_id', sa.BigInteger(), nullable=True),
    sa.Column('arrest_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("arrest_id IS NULL OR outcome = 'arrested'", name=op.f('ck_arrest_attempt_arrest_only_when_arrested')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('arrested', 'not-present', 'address-invalid', 'wanted-elsewhere', 'other')", name=op.f('ck_arrest_attempt_outcome_known')),
    sa.CheckConstraint('(outcome IS NULL) = (attempted_at IS NULL)', name=op.f('ck_arrest_attempt_outcome_has_time')),
    sa.ForeignKeyConstraint(['arrest_id'], ['arrest.id'], name=op.f('fk_arrest_attempt_arrest_id_arrest')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_arrest_attempt_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_arrest_attempt_location_id_location')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_arrest_attempt_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_arrest_attempt_recorded_by_id_app_user')),
    sa.ForeignKeyConstraint(['target_id'], ['operation_target.id'], name=op.f('fk_arrest_attempt_target_id_operation_target'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_arrest_attempt_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrest_attempt')),
    sa.UniqueConstraint('arrest_id', name='uq_arrest_attempt_arrest')
    )
    op.create_index(op.f('ix_arrest_attempt_attempted_at'), 'arrest_attempt', ['attempted_at'], unique=False)
    op.create_index(op.f('ix_arrest_attempt_force_id'), 'arrest_attempt', ['force_id'], unique=False)
    op.create_index('ix_arrest_attempt_operation_planned', 'arrest_attempt', ['operation_id', 'planned_at'], unique=False)
    op.create_index(op.f('ix_arrest_attempt_target_id'), 'arrest_attempt', ['target_id'], unique=False)
    op.create_index(op.f('ix_arrest_attempt_team_id'), 'arrest_attempt', ['team_id'], unique=False)
    op.create_foreign_key(op.f('fk_arrest_operation_id_operation'), 'arrest', 'operation', ['operation_id'], ['id'])

    for table, visible in VISIBLE_SUBJECTS.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_force_isolation ON {table} "
                   f"USING (force_id = {CURRENT_FORCE} AND {visible}) WITH CHECK (force_id = {CURRENT_FORCE})")
    op.execute(BOARD_NOTIFY)
    for table in BOARD_TABLES:
        op.execute(f"CREATE TRIGGER {table}_operation_board AFTER INSERT OR UPDATE ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION operation_board_notify()")


def downgrade() -> None:
    for table in BOARD_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_operation_board ON {table}")
    op.execute("DROP FUNCTION IF EXISTS operation_board_notify()")
    for table in VISIBLE_SUBJECTS:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_constraint(op.f('fk_arrest_operation_id_operation'), 'arrest', type_='foreignkey')
    op.drop_index(op.f('ix_arrest_attempt_team_id'), table_name='arrest_attempt')
    op.drop_index(op.f('ix_arrest_attempt_target_id'), table_name='arrest_attempt')
    op.drop_index('ix_arrest_attempt_operation_planned', table_name='arrest_attempt')
    op.drop_index(op.f('ix_arrest_attempt_force_id'), table_name='arrest_attempt')
    op.drop_index(op.f('ix_arrest_attempt_attempted_at'), table_name='arrest_attempt')
    op.drop_table('arrest_attempt')
    op.drop_index(op.f('ix_operation_target_team_id'), table_name='operation_target')
    op.drop_index('ix_operation_target_status', table_name='operation_target')
    op.drop_index(op.f('ix_operation_target_person_id'), table_name='operation_target')
    op.drop_index(op.f('ix_operation_target_operation_id'), table_name='operation_target')
    op.drop_index(op.f('ix_operation_target_force_id'), table_name='operation_target')
    op.drop_table('operation_target')
    op.drop_index(op.f('ix_harm_ranking_entry_ranking_id'), table_name='harm_ranking_entry')
    op.drop_index('ix_harm_ranking_entry_person_ranking', table_name='harm_ranking_entry')
    op.drop_index(op.f('ix_harm_ranking_entry_force_id'), table_name='harm_ranking_entry')
    op.drop_table('harm_ranking_entry')
    op.drop_index(op.f('ix_harm_ranking_weight_set_id'), table_name='harm_ranking')
    op.drop_index(op.f('ix_harm_ranking_force_id'), table_name='harm_ranking')
    op.drop_table('harm_ranking')
    op.drop_index(op.f('ix_operation_starts_on'), table_name='operation')
    op.drop_index(op.f('ix_operation_force_id'), table_name='operation')
    op.drop_index(op.f('ix_operation_ends_on'), table_name='operation')
    op.drop_table('operation')
    op.drop_index(op.f('ix_harm_weight_set_force_id'), table_name='harm_weight_set')
    op.drop_table('harm_weight_set')
