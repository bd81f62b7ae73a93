"""people markers duplicates merges

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:46:15.772575
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import CURRENT_FORCE, drop_force_policy_sql

# Each row is visible only when the person or address it is about is visible: the subqueries run under
# the person and location policies, so a restricted record's markers, duplicate pairs and merges are
# hidden exactly as the record itself is.
VISIBLE_SUBJECTS = {
    "marker": "(person_id IS NULL OR EXISTS (SELECT 1 FROM person p WHERE p.id = person_id)) "
              "AND (location_id IS NULL OR EXISTS (SELECT 1 FROM location l WHERE l.id = location_id))",
    "duplicate_candidate": "EXISTS (SELECT 1 FROM person p WHERE p.id = person_a_id) "
                           "AND EXISTS (SELECT 1 FROM person p WHERE p.id = person_b_id)",
    "person_merge": "EXISTS (SELECT 1 FROM person p WHERE p.id = survivor_id) "
                    "AND EXISTS (SELECT 1 FROM person p WHERE p.id = merged_id)",
}

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duplicate_candidate',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_a_id', sa.BigInteger(), nullable=False),
    sa.Column('person_b_id', sa.BigInteger(), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('found_by', sa.String(length=140), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('decided_by', sa.String(length=140), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name=op.f('ck_duplicate_candidate_status_known')),
    sa.CheckConstraint('person_a_id < person_b_id', name=op.f('ck_duplicate_candidate_ordered_pair')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_duplicate_candidate_force_id_force')),
    sa.ForeignKeyConstraint(['person_a_id'], ['person.id'], name=op.f('fk_duplicate_candidate_person_a_id_person')),
    sa.ForeignKeyConstraint(['person_b_id'], ['person.id'], name=op.f('fk_duplicate_candidate_person_b_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_candidate')),
    sa.UniqueConstraint('person_a_id', 'person_b_id', name='uq_duplicate_candidate_pair')
    )
    op.create_index(op.f('ix_duplicate_candidate_force_id'), 'duplicate_candidate', ['force_id'], unique=False)
    op.create_index(op.f('ix_duplicate_candidate_person_a_id'), 'duplicate_candidate', ['person_a_id'], unique=False)
    op.create_index(op.f('ix_duplicate_candidate_person_b_id'), 'duplicate_candidate', ['person_b_id'], unique=False)
    op.create_index('ix_duplicate_candidate_queue', 'duplicate_candidate', ['status', 'match_probability'], unique=False)
    op.create_table('person_merge',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('survivor_id', sa.BigInteger(), nullable=False),
    sa.Column('merged_id', sa.BigInteger(), nullable=False),
    sa.Column('candidate_id', sa.BigInteger(), nullable=True),
    sa.Column('moved', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('decided_by', sa.String(length=140), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('unmerged_by', sa.String(length=140), nullable=True),
    sa.Column('unmerged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unmerge_reason', sa.String(length=1000), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['duplicate_candidate.id'], name=op.f('fk_person_merge_candidate_id_duplicate_candidate')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_person_merge_force_id_force')),
    sa.ForeignKeyConstraint(['merged_id'], ['person.id'], name=op.f('fk_person_merge_merged_id_person')),
    sa.ForeignKeyConstraint(['survivor_id'], ['person.id'], name=op.f('fk_person_merge_survivor_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merge'))
    )
    op.create_index(op.f('ix_person_merge_force_id'), 'person_merge', ['force_id'], unique=False)
    op.create_index(op.f('ix_person_merge_merged_id'), 'person_merge', ['merged_id'], unique=False)
    op.create_index(op.f('ix_person_merge_survivor_id'), 'person_merge', ['survivor_id'], unique=False)
    op.create_table('marker',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('set_by_id', sa.BigInteger(), nullable=True),
    sa.Column('set_by', sa.String(length=140), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('ended_by', sa.String(length=140), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=1000), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_marker_ends_after_start')),
    sa.CheckConstraint('num_nonnulls(person_id, location_id, phone_e164) = 1', name=op.f('ck_marker_one_subject')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_marker_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_marker_location_id_location')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_marker_person_id_person')),
    sa.ForeignKeyConstraint(['set_by_id'], ['app_user.id'], name=op.f('fk_marker_set_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marker'))
    )
    op.create_index(op.f('ix_marker_force_id'), 'marker', ['force_id'], unique=False)
    op.create_index(op.f('ix_marker_location_id'), 'marker', ['location_id'], unique=False)
    op.create_index(op.f('ix_marker_person_id'), 'marker', ['person_id'], unique=False)
    op.create_index('ix_marker_phone', 'marker', ['phone_e164'], unique=False)
    op.add_column('person', sa.Column('merged_into_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_person_merged_into_id'), 'person', ['merged_into_id'], unique=False)
    op.create_foreign_key(op.f('fk_person_merged_into_id_person'), 'person', 'person', ['merged_into_id'], ['id'])
    for table, visible in VISIBLE_SUBJECTS.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_force_isolation ON {table} "
                   f"USING (force_id = {CURRENT_FORCE} AND {visible}) WITH CHECK (force_id = {CURRENT_FORCE})")


def downgrade() -> None:
    for table in VISIBLE_SUBJECTS:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_constraint(op.f('fk_person_merged_into_id_person'), 'person', type_='foreignkey')
    op.drop_index(op.f('ix_person_merged_into_id'), table_name='person')
    op.drop_column('person', 'merged_into_id')
    op.drop_index('ix_marker_phone', table_name='marker')
    op.drop_index(op.f('ix_marker_person_id'), table_name='marker')
    op.drop_index(op.f('ix_marker_location_id'), table_name='marker')
    op.drop_index(op.f('ix_marker_force_id'), table_name='marker')
    op.drop_table('marker')
    op.drop_index(op.f('ix_person_merge_survivor_id'), table_name='person_merge')
    op.drop_index(op.f('ix_person_merge_merged_id'), table_name='person_merge')
    op.drop_index(op.f('ix_person_merge_force_id'), table_name='person_merge')
    op.drop_table('person_merge')
    op.drop_index('ix_duplicate_candidate_queue', table_name='duplicate_candidate')
    op.drop_index(op.f('ix_duplicate_candidate_person_b_id'), table_name='duplicate_candidate')
    op.drop_index(op.f('ix_duplicate_candidate_person_a_id'), table_name='duplicate_candidate')
    op.drop_index(op.f('ix_duplicate_candidate_force_id'), table_name='duplicate_candidate')
    op.drop_table('duplicate_candidate')
