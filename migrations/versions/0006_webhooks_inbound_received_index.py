"""Deliveries already handled are kept for a while only: an index to find the old ones.

Revision ID: 0006_webhooks
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = '0006_webhooks'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_received_at'))
