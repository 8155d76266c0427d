"""Paper imports: a large paper file is stored in short transactions, its forms linked to an
import row that says whether the file is stored whole (see models/paper_imports.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FK = "fk_survey_responses_paper_import_id_paper_imports"
INDEX = "ix_survey_responses_paper_import_id"


def upgrade() -> None:
    op.create_table(
        "paper_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("forms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["dialogue_sessions.id"],
            name=op.f("fk_paper_imports_session_id_dialogue_sessions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_imports")),
    )
    with op.batch_alter_table("paper_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_imports_session_id"), ["session_id"], unique=False
        )

    # Not a batch operation: on SQLite that copies the table and drops the old one, and the
    # drop cascades to every answer (foreign keys are enforced). SQLite adds a nullable column
    # with its reference in place (and drops it in place, from 3.35). No ON DELETE: an import
    # row is deleted only once its forms are (and SQLite would not reflect it here).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE survey_responses ADD COLUMN paper_import_id INTEGER "
            "REFERENCES paper_imports (id)"
        )
    else:
        op.add_column("survey_responses", sa.Column("paper_import_id", sa.Integer()))
        op.create_foreign_key(FK, "survey_responses", "paper_imports", ["paper_import_id"], ["id"])
    op.create_index(INDEX, "survey_responses", ["paper_import_id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="survey_responses")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "survey_responses", type_="foreignkey")
    op.drop_column("survey_responses", "paper_import_id")

    with op.batch_alter_table("paper_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_imports_session_id"))

    op.drop_table("paper_imports")
