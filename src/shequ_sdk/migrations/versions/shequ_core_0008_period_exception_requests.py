"""Period-lock exception requests: a village asks, the township grants or refuses (period_exception_request)

Revision ID: shequ_core_0008
Revises: shequ_core_0007
Create Date: 2026-12-05 19:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0008'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('period_exception_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('requested_by', sa.String(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('decided_by', sa.String(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(), nullable=True),
    sa.Column('exception_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['exception_id'], ['period_exception.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('period_exception_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_period_exception_request_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_period_exception_request_region_id'), ['region_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('period_exception_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_period_exception_request_region_id'))
        batch_op.drop_index(batch_op.f('ix_period_exception_request_period'))

    op.drop_table('period_exception_request')
