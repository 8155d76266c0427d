"""The web console and the web chat: staff sign-in sessions, one-time sign-in codes, wrong-try
counts, staff passwords, and messages waiting for web-chat residents (see models/web.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_web_sessions_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_staff_id"), "web_sessions", ["staff_id"])
    op.create_table(
        "web_sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_web_sign_in_codes_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_codes")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_sign_in_codes_digest")),
    )
    op.create_index(op.f("ix_web_sign_in_codes_staff_id"), "web_sign_in_codes", ["staff_id"])
    op.create_table(
        "web_sign_in_failures",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_sign_in_failures")),
    )
    op.create_table(
        "web_chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_chat_messages")),
    )
    op.create_index(op.f("ix_web_chat_messages_chat_id"), "web_chat_messages", ["chat_id"])
    # A nullable column is added in place on SQLite: no table copy, so no cascade (see 0009).
    op.add_column("staff_members", sa.Column("password_hash", sa.String(length=255)))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("staff_members", "password_hash")
    else:
        op.execute("ALTER TABLE staff_members DROP COLUMN password_hash")
    op.drop_index(op.f("ix_web_chat_messages_chat_id"), table_name="web_chat_messages")
    op.drop_table("web_chat_messages")
    op.drop_table("web_sign_in_failures")
    op.drop_index(op.f("ix_web_sign_in_codes_staff_id"), table_name="web_sign_in_codes")
    op.drop_table("web_sign_in_codes")
    op.drop_index(op.f("ix_web_sessions_staff_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
