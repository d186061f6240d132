"""sessions côté serveur: one row per login, revoked on logout and password change

Revision ID: 0009_sessions
Revises: 0008_notes
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base


revision = '0009_sessions'
down_revision = '0008_notes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'session_utilisateur',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_session_utilisateur_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_utilisateur')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_session_utilisateur_token_hash')),
    )
    with op.batch_alter_table('session_utilisateur', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_utilisateur_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('session_utilisateur', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_utilisateur_user_id'))
    op.drop_table('session_utilisateur')
