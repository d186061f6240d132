"""civilite: the assuré's civility (« M. », « Mme ») shown in the identity block

Revision ID: 0005_civilite
Revises: 0004_parcours
Create Date: 2026-12-06 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_civilite'
down_revision = '0004_parcours'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('civilite', sa.String(length=10), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('civilite')
