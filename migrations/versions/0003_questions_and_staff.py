"""Questions and recommendations with their attachments and tracking-code counters; staff and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_telegram_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('code_counters',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_code_counters'))
    )
    op.create_table('staff_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('uq_staff_members_telegram_user_id'))
    )
    op.create_table('resident_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('resident_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('complaint_flag', sa.Boolean(), nullable=False),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('answer_text', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_role', sa.String(length=16), nullable=True),
    sa.Column('answer_rating', sa.String(length=16), nullable=True),
    sa.Column('rating_reason', sa.Text(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('received', 'assigned', 'answered', 'conference', 'closed')", name=op.f('ck_resident_questions_status')),
    sa.CheckConstraint('named OR (contact_name IS NULL AND contact_phone IS NULL)', name=op.f('ck_resident_questions_contact')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_resident_questions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answered_by'], ['staff_members.id'], name=op.f('fk_resident_questions_answered_by_staff_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assigned_to'], ['staff_members.id'], name=op.f('fk_resident_questions_assigned_to_staff_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_questions_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_resident_questions_session_id_dialogue_sessions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_questions')),
    sa.UniqueConstraint('code', name=op.f('uq_resident_questions_code'))
    )
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_questions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_field'), ['field'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_questions_session_id'), ['session_id'], unique=False)

    op.create_table('question_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('telegram_file_id', sa.String(length=256), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('mime', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['resident_questions.id'], name=op.f('fk_question_attachments_question_id_resident_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_attachments'))
    )
    with op.batch_alter_table('question_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_attachments_question_id'), ['question_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_attachments_question_id'))

    op.drop_table('question_attachments')
    with op.batch_alter_table('resident_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_questions_session_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_resident_id'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_field'))
        batch_op.drop_index(batch_op.f('ix_resident_questions_account_id'))

    op.drop_table('resident_questions')
    op.drop_table('staff_members')
    op.drop_table('code_counters')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
