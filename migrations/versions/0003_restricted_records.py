"""restricted records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:00:21.101333
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from safeguard.db.rls import CURRENT_FORCE, force_policy_sql

CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"

# Restricted people and addresses are visible only to staff holding a live grant for them; everyone else
# in the force sees the rest of the table as before. Writes stay confined to the force.
RESTRICTED = {"person": "person_id", "location": "location_id"}


def _may_see(table: str, column: str) -> str:
    return f"""CREATE FUNCTION sg_may_see_{table}(subject bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT EXISTS (SELECT 1 FROM restricted_access g WHERE g.{column} = subject
                       AND g.user_id = {CURRENT_USER} AND g.revoked_at IS NULL)
    $$"""

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('restricted_access',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('location_id', sa.BigInteger(), nullable=True),
    sa.Column('granted_by', sa.String(length=140), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('(person_id IS NULL) <> (location_id IS NULL)', name=op.f('ck_restricted_access_one_subject')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_restricted_access_force_id_force')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_restricted_access_location_id_location')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_restricted_access_person_id_person')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_restricted_access_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_restricted_access'))
    )
    op.create_index(op.f('ix_restricted_access_force_id'), 'restricted_access', ['force_id'], unique=False)
    op.create_index('ix_restricted_access_user', 'restricted_access', ['user_id', 'person_id', 'location_id'], unique=False)
    for statement in force_policy_sql("restricted_access"):
        op.execute(statement)
    for table, column in RESTRICTED.items():
        op.execute(_may_see(table, column))
        op.execute(f"DROP POLICY {table}_force_isolation ON {table}")
        op.execute(f"CREATE POLICY {table}_force_isolation ON {table} "
                   f"USING (force_id = {CURRENT_FORCE} AND (NOT restricted OR sg_may_see_{table}(id))) "
                   f"WITH CHECK (force_id = {CURRENT_FORCE})")


def downgrade() -> None:
    for table in RESTRICTED:
        op.execute(f"DROP POLICY {table}_force_isolation ON {table}")
        op.execute(f"CREATE POLICY {table}_force_isolation ON {table} "
                   f"USING (force_id = {CURRENT_FORCE}) WITH CHECK (force_id = {CURRENT_FORCE})")
        op.execute(f"DROP FUNCTION sg_may_see_{table}(bigint)")
    op.drop_index('ix_restricted_access_user', table_name='restricted_access')
    op.drop_index(op.f('ix_restricted_access_force_id'), table_name='restricted_access')
    op.drop_table('restricted_access')
