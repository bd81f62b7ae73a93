"""Control room: contacts graded with THRIVE and their grade history, AML fixes and the quarantine, DA
specialist advice, and the NOTIFY that feeds the live board.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 16:16:24.730677
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from safeguard.db.rls import drop_force_policy_sql, force_policy_sql

FORCE_OWNED = ("aml_quarantine", "aml_fix", "contact_grade", "specialist_advice")
# The live board listens on this channel. The payload names the force and the contact only: never personal data.
BOARD_NOTIFY = '''
CREATE FUNCTION contact_board_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    contact bigint;
BEGIN
    -- Each branch is planned only when taken, so NEW.contact_id is never looked up on contact itself.
    IF TG_TABLE_NAME = 'contact' THEN
        contact := NEW.id;
    ELSE
        contact := NEW.contact_id;
    END IF;
    PERFORM pg_notify('contact_board', json_build_object('force_id', NEW.force_id, 'contact_id', contact)::text);
    RETURN NULL;
END $$
'''
revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('aml_quarantine',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('transport', sa.String(length=5), nullable=False),
    sa.Column('msisdn', sa.String(length=40), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("transport IN ('sms', 'https')", name=op.f('ck_aml_quarantine_transport_known')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_aml_quarantine_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aml_quarantine'))
    )
    op.create_index(op.f('ix_aml_quarantine_force_id'), 'aml_quarantine', ['force_id'], unique=False)
    op.create_table('aml_fix',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('msisdn', sa.String(length=20), nullable=True),
    sa.Column('imei', sa.String(length=20), nullable=False),
    sa.Column('transport', sa.String(length=5), nullable=False),
    sa.Column('version', sa.String(length=5), nullable=False),
    sa.Column('has_fix', sa.Boolean(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('radius_m', sa.Float(), nullable=True),
    sa.Column('confidence_pct', sa.Float(), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('fixed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('emergency_number', sa.String(length=10), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("method IN ('gnss', 'wifi', 'cell', 'fused', 'none', 'unknown')", name=op.f('ck_aml_fix_method_known')),
    sa.CheckConstraint("transport IN ('sms', 'https')", name=op.f('ck_aml_fix_transport_known')),
    sa.CheckConstraint('confidence_pct IS NULL OR confidence_pct BETWEEN 0 AND 100', name=op.f('ck_aml_fix_confidence_range')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_aml_fix_contact_id_contact')),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_aml_fix_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aml_fix')),
    sa.UniqueConstraint('force_id', 'imei', 'fixed_at', name='uq_aml_fix_imei_time')
    )
    op.create_index(op.f('ix_aml_fix_contact_id'), 'aml_fix', ['contact_id'], unique=False)
    op.create_index(op.f('ix_aml_fix_force_id'), 'aml_fix', ['force_id'], unique=False)
    op.create_index('ix_aml_fix_number_time', 'aml_fix', ['force_id', 'msisdn', 'fixed_at'], unique=False)
    op.create_table('contact_grade',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('grade', sa.String(length=12), nullable=False),
    sa.Column('suggested_grade', sa.String(length=12), nullable=True),
    sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('below_reason', sa.Text(), nullable=True),
    sa.Column('thrive', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('graded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('graded_by', sa.String(length=100), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("grade IN ('emergency', 'priority', 'scheduled', 'resolution')", name=op.f('ck_contact_grade_grade_known')),
    sa.CheckConstraint("suggested_grade IS NULL OR suggested_grade IN ('emergency', 'priority', 'scheduled', 'resolution')", name=op.f('ck_contact_grade_suggested_known')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_grade_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_contact_grade_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_grade'))
    )
    op.create_index(op.f('ix_contact_grade_contact_id'), 'contact_grade', ['contact_id'], unique=False)
    op.create_index(op.f('ix_contact_grade_force_id'), 'contact_grade', ['force_id'], unique=False)
    op.create_table('specialist_advice',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('advice', sa.Text(), nullable=False),
    sa.Column('referral_note', sa.Text(), nullable=True),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('given_by', sa.String(length=100), nullable=False),
    sa.Column('force_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_specialist_advice_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['force_id'], ['force.id'], name=op.f('fk_specialist_advice_force_id_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specialist_advice'))
    )
    op.create_index(op.f('ix_specialist_advice_contact_id'), 'specialist_advice', ['contact_id'], unique=False)
    op.create_index(op.f('ix_specialist_advice_force_id'), 'specialist_advice', ['force_id'], unique=False)
    op.create_index(op.f('ix_specialist_advice_given_at'), 'specialist_advice', ['given_at'], unique=False)
    op.add_column('contact', sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('contact', sa.Column('status', sa.String(length=8), server_default='open', nullable=False))
    op.add_column('contact', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('contact', sa.Column('idempotency_key', sa.String(length=200), nullable=True))
    op.add_column('contact', sa.Column('taken_by', sa.String(length=100), nullable=True))
    op.add_column('contact', sa.Column('caller_person_id', sa.BigInteger(), nullable=True))
    op.add_column('contact', sa.Column('location_id', sa.BigInteger(), nullable=True))
    op.add_column('contact', sa.Column('location_text', sa.String(length=300), nullable=True))
    op.add_column('contact', sa.Column('rural', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('contact', sa.Column('injury', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('contact', sa.Column('weapons', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('contact', sa.Column('children_present', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('contact', sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.alter_column('contact', 'grade',
               existing_type=sa.VARCHAR(length=4),
               type_=sa.String(length=12),
               existing_nullable=True)
    # Contacts from before the control room: graded P1 to P4 by the old scheme, and long since dealt with.
    op.execute("UPDATE contact SET grade = CASE grade WHEN 'P1' THEN 'emergency' WHEN 'P2' THEN 'priority' "
               "WHEN 'P3' THEN 'scheduled' WHEN 'P4' THEN 'resolution' END, "
               "graded_at = CASE WHEN grade IS NOT NULL THEN received_at END, status = 'closed', "
               "closed_at = received_at")
    op.create_index(op.f('ix_contact_caller_person_id'), 'contact', ['caller_person_id'], unique=False)
    op.create_index(op.f('ix_contact_location_id'), 'contact', ['location_id'], unique=False)
    op.create_index('ix_contact_open', 'contact', ['force_id', 'status', 'received_at'], unique=False)
    op.create_unique_constraint('uq_contact_idempotency', 'contact', ['force_id', 'idempotency_key'])
    op.create_foreign_key(op.f('fk_contact_location_id_location'), 'contact', 'location', ['location_id'], ['id'])
    op.create_foreign_key(op.f('fk_contact_caller_person_id_person'), 'contact', 'person', ['caller_person_id'], ['id'])
    op.create_check_constraint("grade_known", "contact",
                               "grade IS NULL OR grade IN ('emergency', 'priority', 'scheduled', 'resolution')")
    op.create_check_constraint("status_known", "contact", "status IN ('open', 'closed')")
    for table in FORCE_OWNED:
        for statement in force_policy_sql(table):
            op.execute(statement)
    op.execute(BOARD_NOTIFY)
    # Only open contacts concern the board, so a bulk load of past (closed) contacts sends nothing.
    op.execute("CREATE TRIGGER contact_board_insert AFTER INSERT ON contact FOR EACH ROW "
               "WHEN (NEW.status = 'open') EXECUTE FUNCTION contact_board_notify()")
    op.execute("CREATE TRIGGER contact_board_update AFTER UPDATE ON contact FOR EACH ROW "
               "WHEN (OLD.status = 'open' OR NEW.status = 'open') EXECUTE FUNCTION contact_board_notify()")
    for table in ("contact_grade", "specialist_advice", "aml_fix"):
        op.execute(f"CREATE TRIGGER {table}_board AFTER INSERT OR UPDATE ON {table} FOR EACH ROW "
                   f"WHEN (NEW.contact_id IS NOT NULL) EXECUTE FUNCTION contact_board_notify()")


def downgrade() -> None:
    for table in ("contact_grade", "specialist_advice", "aml_fix"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_board ON {table}")
    op.execute("DROP TRIGGER IF EXISTS contact_board_update ON contact")
    op.execute("DROP TRIGGER IF EXISTS contact_board_insert ON contact")
    op.execute("DROP FUNCTION IF EXISTS contact_board_notify()")
    for table in FORCE_OWNED:
        for statement in drop_force_policy_sql(table):
            op.execute(statement)
    op.drop_constraint("status_known", "contact", type_="check")
    op.drop_constraint("grade_known", "contact", type_="check")
    op.execute("UPDATE contact SET grade = CASE grade WHEN 'emergency' THEN 'P1' WHEN 'priority' THEN 'P2' "
               "WHEN 'scheduled' THEN 'P3' WHEN 'resolution' THEN 'P4' END")
    op.drop_constraint(op.f('fk_contact_caller_person_id_person'), 'contact', type_='foreignkey')
    op.drop_constraint(op.f('fk_contact_location_id_location'), 'contact', type_='foreignkey')
    op.drop_constraint('uq_contact_idempotency', 'contact', type_='unique')
    op.drop_index('ix_contact_open', table_name='contact')
    op.drop_index(op.f('ix_contact_location_id'), table_name='contact')
    op.drop_index(op.f('ix_contact_caller_person_id'), table_name='contact')
    op.alter_column('contact', 'grade',
               existing_type=sa.String(length=12),
               type_=sa.VARCHAR(length=4),
               existing_nullable=True)
    op.drop_column('contact', 'report')
    op.drop_column('contact', 'children_present')
    op.drop_column('contact', 'weapons')
    op.drop_column('contact', 'injury')
    op.drop_column('contact', 'rural')
    op.drop_column('contact', 'location_text')
    op.drop_column('contact', 'location_id')
    op.drop_column('contact', 'caller_person_id')
    op.drop_column('contact', 'taken_by')
    op.drop_column('contact', 'idempotency_key')
    op.drop_column('contact', 'closed_at')
    op.drop_column('contact', 'status')
    op.drop_column('contact', 'graded_at')
    op.drop_index(op.f('ix_specialist_advice_given_at'), table_name='specialist_advice')
    op.drop_index(op.f('ix_specialist_advice_force_id'), table_name='specialist_advice')
    op.drop_index(op.f('ix_specialist_advice_contact_id'), table_name='specialist_advice')
    op.drop_table('specialist_advice')
    op.drop_index(op.f('ix_contact_grade_force_id'), table_name='contact_grade')
    op.drop_index(op.f('ix_contact_grade_contact_id'), table_name='contact_grade')
    op.drop_table('contact_grade')
    op.drop_index('ix_aml_fix_number_time', table_name='aml_fix')
    op.drop_index(op.f('ix_aml_fix_force_id'), table_name='aml_fix')
    op.drop_index(op.f('ix_aml_fix_contact_id'), table_name='aml_fix')
    op.drop_table('aml_fix')
    op.drop_index(op.f('ix_aml_quarantine_force_id'), table_name='aml_quarantine')
    op.drop_table('aml_quarantine')
