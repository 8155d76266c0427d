"""Initial schema: residents, their accounts and consents, dialogue sessions, survey responses and answers.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dialogue_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('agenda', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_sessions')),
    sa.UniqueConstraint('period', name=op.f('uq_dialogue_sessions_period'))
    )
    op.create_table('residents',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_accounts_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_accounts_channel_external_id'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_resident_id'), ['resident_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('notice_version', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_consents_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_resident_id'), ['resident_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.String(length=32), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('procedure', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('position', sa.String(length=16), nullable=True),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_survey_responses_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_survey_responses_session_id_dialogue_sessions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('resident_id', 'session_id', 'field', 'status', name=op.f('uq_survey_responses_resident_id_session_id_field_status'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_session_id'), ['session_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('response_id', 'question', name=op.f('uq_survey_answers_response_id_question'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))

    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_session_id'))
        batch_op.drop_index(batch_op.f('ix_survey_responses_resident_id'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_resident_id'))

    op.drop_table('consents')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_resident_id'))

    op.drop_table('accounts')
    op.drop_table('residents')
    op.drop_table('dialogue_sessions')
