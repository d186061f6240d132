"""notes internes: what the back office writes on a dossier (never shown to the assuré)

Revision ID: 0008_notes
Revises: 0007_commissions
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base


revision = '0008_notes'
down_revision = '0007_commissions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'note_interne',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('auteur_id', sa.Integer(), nullable=False),
        sa.Column('texte', sa.Text(), nullable=False),
        sa.Column('medicale', sa.Boolean(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'],
                                name=op.f('fk_note_interne_dossier_id_dossier')),
        sa.ForeignKeyConstraint(['auteur_id'], ['app_user.id'],
                                name=op.f('fk_note_interne_auteur_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_interne')),
    )
    with op.batch_alter_table('note_interne', schema=None) as batch_op:
        batch_op.create_index('ix_note_interne_dossier', ['dossier_id', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('note_interne', schema=None) as batch_op:
        batch_op.drop_index('ix_note_interne_dossier')
    op.drop_table('note_interne')
