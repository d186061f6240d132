"""version_attendue: a PostgreSQL function that makes a stale step fail inside its transaction

A step on PostgreSQL sends its writes and its COMMIT in one round trip (a psycopg pipeline,
app/engine/step_writes.py). The optimistic check of the instance (`lock_version`) cannot then
be read by the client before the COMMIT: the instance's UPDATE calls this function with the
number of rows it wrote, and anything but one aborts the transaction (SQLSTATE 40001, as
PostgreSQL's own « could not serialize access »), so nothing of the step is committed.
Nothing on SQLite (its steps check the row count in process).

Revision ID: 0013_version_attendue
Revises: 0012_documents_contenu
Create Date: 2026-12-07 00:30:00
"""
from alembic import op

revision = '0013_version_attendue'
down_revision = '0012_documents_contenu'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION version_attendue(ecrites bigint, instance integer)
        RETURNS integer LANGUAGE plpgsql AS $$
        BEGIN
            IF ecrites <> 1 THEN
                RAISE EXCEPTION 'instance % modifiée en même temps par une autre étape', instance
                    USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN ecrites;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS version_attendue(bigint, integer)")
