"""courriers: a letter is data (template, version, values, hash); its PDF is made after commit (outbox)

The `courrier` table holds each letter a step wrote, with the outbox columns (status,
attempts, last error, retry time); `document.stored_name` becomes nullable: a letter's
document row exists from the step on and gets its file once the PDF is made.

On SQLite the column change rebuilds the `document` table (batch mode: copy, drop, rename),
which other tables point at: foreign keys are off for that rebuild only (see
`_document_stored_name`).

Revision ID: 0010_courriers
Revises: 0009_sessions
Create Date: 2026-12-06 15:00:00
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0010_courriers'
down_revision = '0009_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'courrier',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('modele', sa.String(length=60), nullable=False),
        sa.Column('version_modele', sa.String(length=64), nullable=False),
        sa.Column('valeurs', sa.Text(), nullable=False),
        sa.Column('empreinte', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('retry_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('rendered_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_courrier_document_id_document')),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_courrier_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_courrier')),
        sa.UniqueConstraint('document_id', name=op.f('uq_courrier_document_id')),
    )
    with op.batch_alter_table('courrier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courrier_instance_id'), ['instance_id'],
                              unique=False)
        batch_op.create_index('ix_courrier_a_rendre', ['status', 'retry_at'], unique=False)
    _document_stored_name(nullable=True)


def downgrade() -> None:
    # Letters whose PDF was never made cannot keep a document row without a file: their
    # message keeps its text, without the download link.
    op.execute("UPDATE message SET document_id = NULL WHERE document_id IN "
               "(SELECT id FROM document WHERE stored_name IS NULL)")
    op.drop_table('courrier')
    op.execute("DELETE FROM document WHERE stored_name IS NULL")
    _document_stored_name(nullable=False)


def _document_stored_name(nullable: bool) -> None:
    """SQLite rebuilds `document` by copy, drop and rename: with foreign keys on, dropping a
    table other rows point at fails. `PRAGMA foreign_keys` is a no-op inside a transaction,
    hence the commit around the rebuild; the copy keeps every id, so the references hold
    again once it is renamed (checked before they are turned back on)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys("OFF")
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('stored_name', existing_type=sa.String(length=100),
                              nullable=nullable)
    if sqlite:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"références cassées après la reconstruction : {broken[:5]}")
        _sqlite_foreign_keys("ON")


def _sqlite_foreign_keys(state: str) -> None:
    # Below SQLAlchemy's transaction (the app's engine issues BEGIN IMMEDIATE itself, see
    # app/db.py): commit what this migration did so far, switch, and begin again.
    driver = op.get_bind().connection.driver_connection
    driver.commit()
    driver.execute(f"PRAGMA foreign_keys = {state}")
    driver.execute("BEGIN IMMEDIATE")
