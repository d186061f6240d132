"""messagerie: conversations between an assuré and a service of their caisse, attachments

Revision ID: 0006_messagerie
Revises: 0005_civilite
Create Date: 2026-12-06 13:00:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base


revision = '0006_messagerie'
down_revision = '0005_civilite'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('caisse_code', sa.String(length=20), nullable=False),
        sa.Column('assure_id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('service', sa.String(length=20), nullable=False),
        sa.Column('objet', sa.String(length=255), nullable=False),
        sa.Column('statut', sa.String(length=20), nullable=False),
        sa.Column('assigned_to_id', sa.Integer(), nullable=True),
        sa.Column('unread_by_staff', sa.Boolean(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_activity_at', app.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['caisse_code'], ['caisse.code'],
                                name=op.f('fk_conversation_caisse_code_caisse')),
        sa.ForeignKeyConstraint(['assure_id'], ['app_user.id'],
                                name=op.f('fk_conversation_assure_id_app_user')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'],
                                name=op.f('fk_conversation_dossier_id_dossier')),
        sa.ForeignKeyConstraint(['assigned_to_id'], ['app_user.id'],
                                name=op.f('fk_conversation_assigned_to_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation')),
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_inbox', ['caisse_code', 'service', 'statut',
                                                        'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_assure_id'), ['assure_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_dossier_id'), ['dossier_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_assigned_to_id'),
                              ['assigned_to_id'], unique=False)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('recipient_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('texte', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('conversation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('author_kind', sa.String(length=10), nullable=False,
                                      server_default='system'))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_conversation_id_conversation'),
                                    'conversation', ['conversation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_message_author_id_app_user'),
                                    'app_user', ['author_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_message_conversation_id'), ['conversation_id'],
                              unique=False)

    op.create_table(
        'piece_jointe',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['message.id'],
                                name=op.f('fk_piece_jointe_message_id_message')),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_piece_jointe_document_id_document')),
        sa.PrimaryKeyConstraint('message_id', 'document_id', name=op.f('pk_piece_jointe')),
        sa.UniqueConstraint('document_id', name=op.f('uq_piece_jointe_document_id')),
    )


def downgrade() -> None:
    op.drop_table('piece_jointe')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_conversation_id'))
        batch_op.drop_constraint(batch_op.f('fk_message_author_id_app_user'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_conversation_id_conversation'),
                                 type_='foreignkey')
        batch_op.drop_column('author_id')
        batch_op.drop_column('author_kind')
        batch_op.drop_column('conversation_id')
        batch_op.drop_column('texte')
    # Messages written by the assuré have no recipient: they go with the conversations.
    op.execute("DELETE FROM message WHERE recipient_id IS NULL")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('recipient_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_assigned_to_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_assure_id'))
        batch_op.drop_index('ix_conversation_inbox')
    op.drop_table('conversation')
