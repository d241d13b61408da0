"""Reminders (催办): a township's reminder to a village whose quarterly boards are missing or late

Revision ID: finance_0004
Revises: finance_0003
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'finance_0004'
down_revision: Union[str, Sequence[str], None] = 'finance_0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('finance_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('period', sa.String(10), nullable=False),
    sa.Column('boards', sa.String(60), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=False),
    sa.Column('reminded_by', sa.String(60), nullable=False),
    sa.Column('respond_by', sa.Date(), nullable=True),
    sa.Column('note', sa.String(500), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id', 'period', 'reminded_on', name='uq_finance_reminder')
    )
    with op.batch_alter_table('finance_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_finance_reminder_region_id_period', ['region_id', 'period'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finance_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_reminder_region_id_period')

    op.drop_table('finance_reminder')
