"""address search keys

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 11:42:49.731728
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The first line of an address, and its street without the house number, as equality keys: a caller
    # who gives only "77 Ash Street" is found by index under row-level security.
    op.add_column('location', sa.Column('line1_key', sa.Text(), sa.Computed("lower(btrim(regexp_replace(line1, '[^A-Za-z0-9]+', ' ', 'g')))", persisted=True), nullable=False))
    op.add_column('location', sa.Column('street_key', sa.Text(), sa.Computed("lower(btrim(regexp_replace(regexp_replace(line1, '^[^A-Za-z0-9]*((flat|apartment|unit)[^A-Za-z0-9]+[A-Za-z0-9]+[^A-Za-z0-9]+)?([0-9]+[A-Za-z]?[^A-Za-z0-9]+)?', '', 'i'), '[^A-Za-z0-9]+', ' ', 'g')))", persisted=True), nullable=False))
    op.create_index(op.f('ix_location_line1_key'), 'location', ['line1_key'], unique=False)
    op.create_index(op.f('ix_location_street_key'), 'location', ['street_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_location_street_key'), table_name='location')
    op.drop_index(op.f('ix_location_line1_key'), table_name='location')
    op.drop_column('location', 'street_key')
    op.drop_column('location', 'line1_key')
