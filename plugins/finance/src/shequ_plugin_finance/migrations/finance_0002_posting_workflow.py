"""Posting workflow: who/when of review, approval and publication; versions; fingerprints

The natural key of a posting becomes (region, board, period, title, version). Postings stored
before this revision were entered as published: they become version 1, reviewed by their
``reviewer_name`` on ``review_date`` and published on ``posted_on``; the approval and publication
were not recorded then, which ``approved_by``/``published_by`` say. Their fingerprints are
computed from the stored content. Any other status is kept as it was.

Revision ID: finance_0002
Revises: finance_0001
Create Date: 2026-11-28
"""
import datetime as dt
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "finance_0002"
down_revision: Union[str, Sequence[str], None] = "finance_0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_RECORDED = "迁移前未记录"  # "not recorded before the migration"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def upgrade() -> None:
    with op.batch_alter_table("finance_posting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("published_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        batch_op.drop_constraint("uq_finance_posting", type_="unique")
        batch_op.create_unique_constraint("uq_finance_posting", ["region_id", "board", "period", "title", "version"])
        batch_op.create_foreign_key("fk_finance_posting_supersedes", "finance_posting", ["supersedes_id"], ["id"])
        batch_op.create_index("ix_finance_posting_fingerprint", ["fingerprint"], unique=False)
    with op.batch_alter_table("finance_posting", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)
    _backfill_published(op.get_bind())


def _backfill_published(conn) -> None:
    from shequ_plugin_finance.workflow import fingerprint_of

    posting = sa.table("finance_posting", *(sa.column(c) for c in (
        "id", "region_id", "board", "period", "kind", "title", "status", "reviewer_name", "review_date", "posted_on",
        "reviewed_by", "reviewed_at", "approved_by", "approved_at", "published_by", "published_at", "fingerprint")))
    item = sa.table("finance_posting_item", *(sa.column(c) for c in (
        "posting_id", "line_no", "title", "content", "amount_fen", "direction", "account_code")))
    rows = conn.execute(sa.select(posting).where(posting.c.status == "published")).mappings().all()
    items: dict = {}
    for it in conn.execute(sa.select(item).where(item.c.posting_id.in_(sa.select(posting.c.id).where(posting.c.status == "published")))).mappings():
        items.setdefault(it["posting_id"], []).append(dict(it))
    updates = []
    for r in rows:
        def at(day, hour):
            if day is None:
                return None
            local = dt.datetime.combine(_date(day), dt.time(hour, 0, tzinfo=BEIJING))
            return local.astimezone(dt.timezone.utc).replace(tzinfo=None)  # stored as naive UTC

        reviewed = at(r["review_date"], 9)
        published = at(r["posted_on"], 15)
        updates.append({"_id": r["id"], "v_reviewed_by": r["reviewer_name"] or NOT_RECORDED, "v_reviewed_at": reviewed or published,
                        "v_approved_by": NOT_RECORDED, "v_approved_at": reviewed or published, "v_published_by": NOT_RECORDED,
                        "v_published_at": published, "v_fingerprint": fingerprint_of(dict(r), items.get(r["id"], []))})
    cols = ("reviewed_by", "reviewed_at", "approved_by", "approved_at", "published_by", "published_at", "fingerprint")
    for i in range(0, len(updates), 500):
        conn.execute(sa.update(posting).where(posting.c.id == sa.bindparam("_id")).values({c: sa.bindparam(f"v_{c}") for c in cols}),
                     updates[i:i + 500])


def _date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def downgrade() -> None:
    # the old key has no version: corrected postings cannot be represented, and their history is not dropped silently
    conn = op.get_bind()
    corrected = conn.execute(sa.text("SELECT COUNT(*) FROM finance_posting WHERE version > 1")).scalar()
    if corrected:
        raise RuntimeError(f"finance_posting holds {corrected} corrected versions (version > 1); the schema before "
                           "finance_0002 cannot keep them. Export them first (shequ excel export) and remove them by hand.")
    with op.batch_alter_table("finance_posting", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_posting_fingerprint")
        batch_op.drop_constraint("fk_finance_posting_supersedes", type_="foreignkey")
        batch_op.drop_constraint("uq_finance_posting", type_="unique")
        batch_op.create_unique_constraint("uq_finance_posting", ["region_id", "board", "period", "title"])
        for c in ("fingerprint", "correction_reason", "supersedes_id", "version", "published_at", "published_by",
                  "approved_at", "approved_by", "reviewed_at", "reviewed_by"):
            batch_op.drop_column(c)
