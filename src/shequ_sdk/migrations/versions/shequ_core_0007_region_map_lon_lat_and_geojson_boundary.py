"""Region map: lon, lat and GeoJSON boundary on region (shequ regions import-geo)

Revision ID: shequ_core_0007
Revises: shequ_core_0006
Create Date: 2026-12-05 12:17:54.177068
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0007'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('boundary', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('boundary')
        batch_op.drop_column('lat')
        batch_op.drop_column('lon')
