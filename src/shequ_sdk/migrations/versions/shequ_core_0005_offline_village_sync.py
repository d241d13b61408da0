"""Offline villages: the sync state tables (sync_identity, sync_peer, sync_package, sync_map)

Revision ID: shequ_core_0005
Revises: shequ_core_0003
Create Date: 2026-12-05 08:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0005'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sync_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('private_key', sa.String(), nullable=False),
    sa.Column('public_key', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sync_peer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('public_key', sa.String(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('in_seq', sa.Integer(), nullable=False),
    sa.Column('out_seq', sa.Integer(), nullable=False),
    sa.Column('peer_has', sa.Integer(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id')
    )
    op.create_table('sync_package',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_region_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('from_seq', sa.Integer(), nullable=False),
    sa.Column('to_seq', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('local_from', sa.Integer(), nullable=True),
    sa.Column('local_to', sa.Integer(), nullable=True),
    sa.Column('counts', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['peer_region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_package_peer_region_id'), ['peer_region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_package_sha256'), ['sha256'], unique=False)
    op.create_table('sync_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_region_id', sa.Integer(), nullable=False),
    sa.Column('table_key', sa.String(), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.Integer(), nullable=False),
    sa.Column('remote_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['peer_region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('peer_region_id', 'table_key', 'local_id', name='uq_sync_map_local'),
    sa.UniqueConstraint('peer_region_id', 'table_key', 'remote_id', name='uq_sync_map_remote')
    )


def downgrade() -> None:
    op.drop_table('sync_map')
    with op.batch_alter_table('sync_package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_package_sha256'))
        batch_op.drop_index(batch_op.f('ix_sync_package_peer_region_id'))
    op.drop_table('sync_package')
    op.drop_table('sync_peer')
    op.drop_table('sync_identity')
