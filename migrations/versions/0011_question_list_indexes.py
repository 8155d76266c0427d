"""Indexes for the staff's list of questions (the console's Questions page and /questions):
newest first, a page at a time, for all fields or one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident_questions", schema=None) as batch_op:
        batch_op.create_index("ix_resident_questions_newest", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_resident_questions_field_newest", ["field", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("resident_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_resident_questions_field_newest")
        batch_op.drop_index("ix_resident_questions_newest")
