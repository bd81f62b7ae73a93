"""legacy imports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 08:34:21.788616
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import drop_force_policy_sql, force_policy_sql

TABLES = ["import_batch", "import_rejection", "source_record"]

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_batch',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by', sa.String(length=140), nullable=False),
    sa.Column('loaded', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_import_batch_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_index(op.f('ix_import_batch_force_id'), 'import_batch', ['force_id'], unique=False)
    op.create_table('import_rejection',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_rejection_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_import_rejection_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rejection'))
    )
    op.create_index(op.f('ix_import_rejection_batch_id'), 'import_rejection', ['batch_id'], unique=False)
    op.create_index(op.f('ix_import_rejection_force_id'), 'import_rejection', ['force_id'], unique=False)
    op.create_table('source_record',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_source_record_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_source_record_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_record')),
    sa.UniqueConstraint('force_id', 'kind', 'source_ref', name=op.f('uq_source_record_force_id'))
    )
    op.create_index(op.f('ix_source_record_force_id'), 'source_record', ['force_id'], unique=False)
    for table in TABLES:
        for statement in force_policy_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_index(op.f('ix_source_record_force_id'), table_name='source_record')
    op.drop_table('source_record')
    op.drop_index(op.f('ix_import_rejection_force_id'), table_name='import_rejection')
    op.drop_index(op.f('ix_import_rejection_batch_id'), table_name='import_rejection')
    op.drop_table('import_rejection')
    op.drop_index(op.f('ix_import_batch_force_id'), table_name='import_batch')
    op.drop_table('import_batch')
