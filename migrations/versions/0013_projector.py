"""The projector page's read-only link: the digest of its token on the session's conference
row (never the token itself).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (no batch copy), as 0012 did: a nullable column needs no default.
    op.add_column("conferences", sa.Column("projector_digest", sa.String(length=64)))
    op.create_index(
        op.f("ix_conferences_projector_digest"), "conferences", ["projector_digest"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_conferences_projector_digest"), table_name="conferences")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE conferences DROP COLUMN projector_digest")
    else:
        op.drop_column("conferences", "projector_digest")
