"""Stored indicator cells: each part's value per region and period, totals per township and county, what was built, what is stale, what each part reads

Revision ID: shequ_core_0009
Revises: shequ_core_0008
Create Date: 2026-12-06 04:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0009'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('indicator_cell',
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('period', 'part', 'region_id')
    )
    with op.batch_alter_table('indicator_cell', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_cell_region_id'), ['region_id'], unique=False)
    op.create_table('indicator_total',
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('period', 'part', 'region_id')
    )
    op.create_table('indicator_built',
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('period', 'part')
    )
    op.create_table('indicator_dirty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('indicator_dirty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_dirty_part'), ['part'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_dirty_region_id'), ['region_id'], unique=False)
    op.create_table('indicator_part',
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('tables', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('part')
    )


def downgrade() -> None:
    op.drop_table('indicator_part')
    with op.batch_alter_table('indicator_dirty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_dirty_region_id'))
        batch_op.drop_index(batch_op.f('ix_indicator_dirty_part'))
    op.drop_table('indicator_dirty')
    op.drop_table('indicator_built')
    op.drop_table('indicator_total')
    with op.batch_alter_table('indicator_cell', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_cell_region_id'))
    op.drop_table('indicator_cell')
