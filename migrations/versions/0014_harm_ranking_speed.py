"""Harm ranking speed: the row-level-security visibility functions may run in parallel workers

sg_may_see_person() and sg_may_see_location() (0003) only read restricted_access and the app.user_id setting,
which PostgreSQL hands to every parallel worker; declared PARALLEL UNSAFE (the default), they kept every query
touching `person` or `location` on one core, the harm ranking's extract among them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 20:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = ("sg_may_see_person(bigint)", "sg_may_see_location(bigint)")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL SAFE")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL UNSAFE")
