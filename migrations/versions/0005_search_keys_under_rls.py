"""search keys that work under row-level security

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 08:29:33.600164
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('person', sa.Column('surname_head', sa.Text(), sa.Computed('left(lower(surname), 3)', persisted=True), nullable=False))
    op.add_column('person', sa.Column('surname_tail', sa.Text(), sa.Computed('right(lower(surname), 3)', persisted=True), nullable=False))
    op.drop_index(op.f('ix_person_forename_trgm'), table_name='person', postgresql_ops={'forename_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.drop_index(op.f('ix_person_surname_trgm'), table_name='person', postgresql_ops={'surname_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.create_index('ix_person_forename_head', 'person', ['forename_sound', 'surname_head'], unique=False)
    op.create_index('ix_person_forename_tail', 'person', ['forename_sound', 'surname_tail'], unique=False)
    op.create_index('ix_person_sound_dob', 'person', ['surname_sound', 'dob_year'], unique=False)
    op.create_index('ix_person_sound_forename', 'person', ['surname_sound', 'forename_key'], unique=False)
    op.create_index('ix_person_surname_key', 'person', ['surname_key'], unique=False)
    op.create_index('ix_person_variant_head', 'person', ['forename_key', 'surname_head'], unique=False)
    op.drop_index(op.f('ix_person_alias_surname_trgm'), table_name='person_alias', postgresql_ops={'surname_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.create_index('ix_person_alias_surname_key', 'person_alias', ['surname_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_person_alias_surname_key', table_name='person_alias')
    op.create_index(op.f('ix_person_alias_surname_trgm'), 'person_alias', ['surname_key'], unique=False, postgresql_ops={'surname_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.drop_index('ix_person_variant_head', table_name='person')
    op.drop_index('ix_person_surname_key', table_name='person')
    op.drop_index('ix_person_sound_forename', table_name='person')
    op.drop_index('ix_person_sound_dob', table_name='person')
    op.drop_index('ix_person_forename_tail', table_name='person')
    op.drop_index('ix_person_forename_head', table_name='person')
    op.create_index(op.f('ix_person_surname_trgm'), 'person', ['surname_key'], unique=False, postgresql_ops={'surname_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.create_index(op.f('ix_person_forename_trgm'), 'person', ['forename_key'], unique=False, postgresql_ops={'forename_key': 'gin_trgm_ops'}, postgresql_using='gin')
    op.drop_column('person', 'surname_tail')
    op.drop_column('person', 'surname_head')
