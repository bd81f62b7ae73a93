"""person search: surname, forename and year of birth in one index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A surname with a forename or any of its nicknames (and a year of birth, when one is given) is one
    # index range, not two large index scans ANDed together; a surname alone uses the leading column, so
    # the surname's own index goes.
    op.create_index('ix_person_surname_forename_dob', 'person', ['surname_key', 'forename_key', 'dob_year'],
                    unique=False)
    op.drop_index('ix_person_surname_key', table_name='person')


def downgrade() -> None:
    op.create_index('ix_person_surname_key', 'person', ['surname_key'], unique=False)
    op.drop_index('ix_person_surname_forename_dob', table_name='person')
