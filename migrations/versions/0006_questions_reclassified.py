"""Questions staff reclassify as a complaint, denunciation or crime report: a status of their
own, out of the dialogue's queue and figures, and what they were found to be.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD = "status IN ('received', 'assigned', 'answered', 'conference', 'closed')"
NEW = "status IN ('received', 'assigned', 'answered', 'conference', 'closed', 'reclassified')"


def upgrade() -> None:
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reclassified_as', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_resident_questions_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_resident_questions_status'), NEW)


def downgrade() -> None:
    # Reclassified questions go back to the dialogue as closed ones.
    op.execute(
        "UPDATE resident_questions SET status = 'closed' WHERE status = 'reclassified'"
    )
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_resident_questions_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_resident_questions_status'), OLD)
        batch_op.drop_column('reclassified_as')
