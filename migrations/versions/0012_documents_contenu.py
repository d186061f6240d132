"""documents_contenu: uploaded documents stored in PostgreSQL when DATABASE_URL points at it

The table exists on SQLite too (same schema everywhere), where the local folder stays the
default store and the table stays empty.

Revision ID: 0012_documents_contenu
Revises: 0011_minuteurs
Create Date: 2026-12-06 15:00:00
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0012_documents_contenu'
down_revision = '0011_minuteurs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_contenu',
        sa.Column('stored_name', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('contenu', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('stored_name', name=op.f('pk_document_contenu')),
    )


def downgrade() -> None:
    op.drop_table('document_contenu')
