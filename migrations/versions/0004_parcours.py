"""parcours: the journey a process version is the entry point of (diagram property)

Revision ID: 0004_parcours
Revises: 0003_instruction, 0003_studio
Create Date: 2026-12-06 11:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_parcours'
down_revision = ('0003_instruction', '0003_studio')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parcours', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_version_parcours'), ['parcours'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_version_parcours'))
        batch_op.drop_column('parcours')
