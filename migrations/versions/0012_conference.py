"""The conference day (issue 15): live state, agenda rows, delegates, supports, conclusions and
commitments (see models/conference.py); questions get their origin on the day and the office's
mark of a proposal to amend a rule.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "conferences",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("live_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_question_id", sa.Integer(), nullable=True),
        sa.Column("chair_name", sa.String(length=120), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("secretary_name", sa.String(length=120), nullable=True),
        sa.Column("secretary_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("conferences", "session_id", "dialogue_sessions", "CASCADE"),
        _fk("conferences", "current_question_id", "resident_questions", "SET NULL"),
        _fk("conferences", "chair_id", "staff_members", "SET NULL"),
        _fk("conferences", "secretary_id", "staff_members", "SET NULL"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_conferences")),
    )
    op.create_table(
        "conference_items",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("answerer_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('answered', 'later')", name=op.f("ck_conference_items_outcome")
        ),
        _fk("conference_items", "question_id", "resident_questions", "CASCADE"),
        _fk("conference_items", "session_id", "dialogue_sessions", "CASCADE"),
        _fk("conference_items", "answerer_id", "staff_members", "SET NULL"),
        _fk("conference_items", "answered_by", "staff_members", "SET NULL"),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_conference_items")),
    )
    op.create_index(op.f("ix_conference_items_session_id"), "conference_items", ["session_id"])
    op.create_table(
        "conference_delegates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("delegate_group", sa.String(length=16), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.String(length=16), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "delegate_group IN ('leaders', 'departments', 'front', 'groups', 'guests')",
            name=op.f("ck_conference_delegates_delegate_group"),
        ),
        sa.CheckConstraint(
            "reply IN ('coming', 'not_coming')", name=op.f("ck_conference_delegates_reply")
        ),
        _fk("conference_delegates", "session_id", "dialogue_sessions", "CASCADE"),
        _fk("conference_delegates", "staff_id", "staff_members", "SET NULL"),
        _fk("conference_delegates", "account_id", "accounts", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_delegates")),
    )
    op.create_index(
        op.f("ix_conference_delegates_session_id"), "conference_delegates", ["session_id"]
    )
    op.create_table(
        "question_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["resident_questions.id"],
            name=op.f("fk_question_supports_question_id_resident_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_question_supports_resident_id_residents"),
            ondelete="CASCADE",
        ),
        _fk("question_supports", "account_id", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_supports")),
        sa.UniqueConstraint(
            "question_id", "resident_id", name=op.f("uq_question_supports_question_id_resident_id")
        ),
    )
    op.create_index(op.f("ix_question_supports_question_id"), "question_supports", ["question_id"])
    op.create_index(op.f("ix_question_supports_resident_id"), "question_supports", ["resident_id"])
    op.create_table(
        "conference_conclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("conference_conclusions", "session_id", "dialogue_sessions", "CASCADE"),
        _fk("conference_conclusions", "created_by", "staff_members", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_conclusions")),
    )
    op.create_index(
        op.f("ix_conference_conclusions_session_id"), "conference_conclusions", ["session_id"]
    )
    op.create_table(
        "conference_commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("conclusion_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_conference_commitments_status")
        ),
        sa.CheckConstraint(
            "question_id IS NOT NULL OR conclusion_id IS NOT NULL",
            name=op.f("ck_conference_commitments_source"),
        ),
        _fk("conference_commitments", "session_id", "dialogue_sessions", "CASCADE"),
        _fk("conference_commitments", "question_id", "resident_questions", "CASCADE"),
        _fk("conference_commitments", "conclusion_id", "conference_conclusions", "CASCADE"),
        _fk("conference_commitments", "owner_id", "staff_members", "SET NULL"),
        _fk("conference_commitments", "closed_by", "staff_members", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_commitments")),
        sa.UniqueConstraint("question_id", name=op.f("uq_conference_commitments_question_id")),
        sa.UniqueConstraint("conclusion_id", name=op.f("uq_conference_commitments_conclusion_id")),
    )
    op.create_index(
        op.f("ix_conference_commitments_session_id"), "conference_commitments", ["session_id"]
    )
    op.create_index(
        op.f("ix_conference_commitments_owner_id"), "conference_commitments", ["owner_id"]
    )
    # Columns added in place (no batch copy: on SQLite that would drop the table and cascade
    # to every attachment, see 0009). A NOT NULL column needs its default for existing rows.
    op.add_column("resident_questions", sa.Column("origin", sa.String(length=8)))
    op.add_column(
        "resident_questions",
        sa.Column("proposal", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE resident_questions DROP COLUMN proposal")
        op.execute("ALTER TABLE resident_questions DROP COLUMN origin")
    else:
        op.drop_column("resident_questions", "proposal")
        op.drop_column("resident_questions", "origin")
    for table, indexes in (
        ("conference_commitments", ("owner_id", "session_id")),
        ("conference_conclusions", ("session_id",)),
        ("question_supports", ("resident_id", "question_id")),
        ("conference_delegates", ("session_id",)),
        ("conference_items", ("session_id",)),
    ):
        for column in indexes:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.drop_table("conferences")
