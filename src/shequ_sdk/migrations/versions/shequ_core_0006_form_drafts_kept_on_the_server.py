"""Unsaved entry-form input kept on the server per user and form (shequ_form_draft)

Revision ID: shequ_core_0006
Revises: shequ_core_0005
Create Date: 2026-12-05 12:39:29.993833
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0006'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('shequ_form_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(), nullable=False),
    sa.Column('form_key', sa.String(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('values_json', sa.String(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_key', 'form_key', name='uq_form_draft')
    )
    with op.batch_alter_table('shequ_form_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shequ_form_draft_region_id'), ['region_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shequ_form_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shequ_form_draft_region_id'))

    op.drop_table('shequ_form_draft')
