"""minuteurs: a partial index for the due-timer queue

The timer worker's query (app/engine/timers_batch.py) walks the instances due first. The old
index on (status, next_timer_at) held every instance, closed ones included, and each firing
rewrote its entries; this partial index holds only running instances waiting on a timer, out
of studio test runs, so it stays as small as the queue itself. Its predicate is repeated word
for word by the worker's query (and by app/models/instance.py), on both databases.

Revision ID: 0011_minuteurs
Revises: 0010_courriers
Create Date: 2026-12-06 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_minuteurs'
down_revision = '0010_courriers'
branch_labels = None
depends_on = None

QUEUE_PG = "status = 'running' AND sandbox = false AND next_timer_at IS NOT NULL"
QUEUE_SQLITE = "status = 'running' AND sandbox = 0 AND next_timer_at IS NOT NULL"


def upgrade() -> None:
    op.drop_index('ix_instance_timer_due', table_name='process_instance')
    op.create_index('ix_instance_due_queue', 'process_instance', ['next_timer_at'],
                    postgresql_where=sa.text(QUEUE_PG), sqlite_where=sa.text(QUEUE_SQLITE))


def downgrade() -> None:
    op.drop_index('ix_instance_due_queue', table_name='process_instance')
    op.create_index('ix_instance_timer_due', 'process_instance', ['status', 'next_timer_at'])
