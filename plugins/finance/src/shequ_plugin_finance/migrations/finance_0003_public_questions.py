"""Residents' questions from the public portal: the posting asked about, the asker's phone, the
public reply and township moderation

A query asked on a village's public page (村民质询, :mod:`shequ_sdk.public`) names the posting it is
about (``posting_id``, a plain integer like the obligations' sources) and may carry a phone number (``asker_phone``, masked wherever shown). The
village publishes its reply (``reply_public``); township staff may hide a question from the public
pages with a reason (``hidden_reason``, ``hidden_by``, ``hidden_at``; audit-logged). Existing
queries keep every value; the new columns start empty (not public, not hidden).

Revision ID: finance_0003
Revises: finance_0002
Create Date: 2026-12-04
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "finance_0003"
down_revision: Union[str, Sequence[str], None] = "finance_0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild on SQLite); reply_public keeps its server default, so rows
    # written by older code read as "not public"
    op.add_column("finance_query", sa.Column("posting_id", sa.Integer(), nullable=True))
    op.add_column("finance_query", sa.Column("asker_phone", sa.String(), nullable=True))
    op.add_column("finance_query", sa.Column("reply_public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("finance_query", sa.Column("hidden_reason", sa.String(), nullable=True))
    op.add_column("finance_query", sa.Column("hidden_by", sa.String(), nullable=True))
    op.add_column("finance_query", sa.Column("hidden_at", sa.DateTime(), nullable=True))
    op.create_index("ix_finance_query_posting_id", "finance_query", ["posting_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finance_query", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_query_posting_id")
        for c in ("hidden_at", "hidden_by", "hidden_reason", "reply_public", "asker_phone", "posting_id"):
            batch_op.drop_column(c)
