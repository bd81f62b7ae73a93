"""person search keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:56:56.292144
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('location', sa.Column('postcode_key', sa.Text(), sa.Computed("upper(replace(postcode, ' ', ''))", persisted=True), nullable=True))
    op.create_index(op.f('ix_location_postcode_key'), 'location', ['postcode_key'], unique=False)
    op.add_column('person', sa.Column('forename_key', sa.Text(), sa.Computed('lower(forename)', persisted=True), nullable=False))
    op.add_column('person', sa.Column('surname_key', sa.Text(), sa.Computed('lower(surname)', persisted=True), nullable=False))
    op.add_column('person', sa.Column('forename_sound', sa.Text(), sa.Computed('dmetaphone(forename)', persisted=True), nullable=False))
    op.add_column('person', sa.Column('surname_sound', sa.Text(), sa.Computed('dmetaphone(surname)', persisted=True), nullable=False))
    op.create_index('ix_person_dob', 'person', ['dob_year', 'dob_month', 'dob_day'], unique=False)
    op.create_index('ix_person_forename_sound', 'person', ['forename_sound', 'surname_sound'], unique=False)
    op.create_index('ix_person_forename_trgm', 'person', ['forename_key'], unique=False, postgresql_using='gin', postgresql_ops={'forename_key': 'gin_trgm_ops'})
    op.create_index('ix_person_sound', 'person', ['surname_sound', 'forename_sound'], unique=False)
    op.create_index('ix_person_surname_trgm', 'person', ['surname_key'], unique=False, postgresql_using='gin', postgresql_ops={'surname_key': 'gin_trgm_ops'})
    op.add_column('person_alias', sa.Column('forename_key', sa.Text(), sa.Computed('lower(forename)', persisted=True), nullable=False))
    op.add_column('person_alias', sa.Column('surname_key', sa.Text(), sa.Computed('lower(surname)', persisted=True), nullable=False))
    op.add_column('person_alias', sa.Column('forename_sound', sa.Text(), sa.Computed('dmetaphone(forename)', persisted=True), nullable=False))
    op.add_column('person_alias', sa.Column('surname_sound', sa.Text(), sa.Computed('dmetaphone(surname)', persisted=True), nullable=False))
    op.create_index('ix_person_alias_sound', 'person_alias', ['surname_sound', 'forename_sound'], unique=False)
    op.create_index('ix_person_alias_surname_trgm', 'person_alias', ['surname_key'], unique=False, postgresql_using='gin', postgresql_ops={'surname_key': 'gin_trgm_ops'})


def downgrade() -> None:
    op.drop_index('ix_person_alias_surname_trgm', table_name='person_alias', postgresql_using='gin', postgresql_ops={'surname_key': 'gin_trgm_ops'})
    op.drop_index('ix_person_alias_sound', table_name='person_alias')
    op.drop_column('person_alias', 'surname_sound')
    op.drop_column('person_alias', 'forename_sound')
    op.drop_column('person_alias', 'surname_key')
    op.drop_column('person_alias', 'forename_key')
    op.drop_index('ix_person_surname_trgm', table_name='person', postgresql_using='gin', postgresql_ops={'surname_key': 'gin_trgm_ops'})
    op.drop_index('ix_person_sound', table_name='person')
    op.drop_index('ix_person_forename_trgm', table_name='person', postgresql_using='gin', postgresql_ops={'forename_key': 'gin_trgm_ops'})
    op.drop_index('ix_person_forename_sound', table_name='person')
    op.drop_index('ix_person_dob', table_name='person')
    op.drop_column('person', 'surname_sound')
    op.drop_column('person', 'forename_sound')
    op.drop_column('person', 'surname_key')
    op.drop_column('person', 'forename_key')
    op.drop_index(op.f('ix_location_postcode_key'), table_name='location')
    op.drop_column('location', 'postcode_key')
