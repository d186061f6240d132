"""commissions: appeal tasks apart from the deciders (human_task.decision / recours); the open
tasks of the commissions' lanes move to the new roles cra / cmra

Revision ID: 0007_commissions
Revises: 0006_messagerie
Create Date: 2026-12-08 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_commissions'
down_revision = '0006_messagerie'
branch_labels = None
depends_on = None

# The tasks of the diagrams deployed before these properties existed: the decision tasks of
# the instruction and the commissions' examinations (their `decision` / `recours` property
# in processes/ from now on).
DECISIONS = ('verification_administrative', 'examiner_assure', 'valider_refus_medical',
             'valider_attribution')
RECOURS = ('examen_cra', 'examen_cmra')
LANES = {'Commission de recours amiable': 'cra',
         'Commission médicale de recours amiable': 'cmra'}


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('recours', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    task = sa.table('human_task', sa.column('element_id', sa.String), sa.column('lane', sa.String),
                    sa.column('role', sa.String), sa.column('status', sa.String),
                    sa.column('decision', sa.Boolean), sa.column('recours', sa.Boolean))
    op.execute(task.update().where(task.c.element_id.in_(DECISIONS))
               .values(decision=sa.true()))
    op.execute(task.update().where(task.c.element_id.in_(RECOURS)).values(recours=sa.true()))
    # Claims waiting in the agents' or médecins-conseils' inboxes go to the commissions.
    for lane, role in LANES.items():
        op.execute(task.update().where(task.c.lane == lane, task.c.status == 'open')
                   .values(role=role))


def downgrade() -> None:
    task = sa.table('human_task', sa.column('role', sa.String), sa.column('status', sa.String))
    op.execute(task.update().where(task.c.role == 'cra', task.c.status == 'open')
               .values(role='agent'))
    op.execute(task.update().where(task.c.role == 'cmra', task.c.status == 'open')
               .values(role='medecin_conseil'))
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('recours')
        batch_op.drop_column('decision')
