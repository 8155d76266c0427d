"""Paper forms: the form number, unique within a session, so a form cannot be imported twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_no', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_survey_responses_session_id_form_no'), ['session_id', 'form_no'])


def downgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_responses_session_id_form_no'), type_='unique')
        batch_op.drop_column('form_no')
