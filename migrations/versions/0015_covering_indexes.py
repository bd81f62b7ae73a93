"""History at a glance: covering indexes for a caller's number and a person's incidents

The control room looks up the people linked to a number, and each one's incidents, on every call. With the
linked person (or incident), the role and the force in the index, PostgreSQL answers from the index alone
instead of visiting the table once for each of a shared number's hundreds of people (on the `large` synthetic
force, 1,412 people on one number: 2,700 table pages read for one lookup).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_person_phone_number_e164', table_name='person_phone')
    op.create_index('ix_person_phone_number_e164', 'person_phone', ['number_e164'], unique=False,
                    postgresql_include=['person_id', 'force_id'])
    op.drop_index('ix_incident_person_person_id', table_name='incident_person')
    op.create_index('ix_incident_person_person_id', 'incident_person', ['person_id'], unique=False,
                    postgresql_include=['incident_id', 'force_id', 'role'])


def downgrade() -> None:
    op.drop_index('ix_incident_person_person_id', table_name='incident_person')
    op.create_index('ix_incident_person_person_id', 'incident_person', ['person_id'], unique=False)
    op.drop_index('ix_person_phone_number_e164', table_name='person_phone')
    op.create_index('ix_person_phone_number_e164', 'person_phone', ['number_e164'], unique=False)
