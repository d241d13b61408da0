"""Stale-cell marks never reuse an id (SQLite: indicator_dirty with AUTOINCREMENT)

A refresh deletes, when it is done, the marks it read. SQLite gives a new row the largest id
plus one, so after another refresh had emptied the table a new mark could take the id of one
the first refresh read, and be deleted with it, its cells left stale. PostgreSQL's sequence
never hands out an id twice: nothing to do there. The marks are kept.

Revision ID: shequ_core_0010
Revises: shequ_core_0009
Create Date: 2026-12-07 11:20:00.000000
"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'shequ_core_0010'
down_revision: Union[str, Sequence[str], None] = 'shequ_core_0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('indicator_dirty', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
