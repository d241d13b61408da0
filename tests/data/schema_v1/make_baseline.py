"""Write the baseline revision (``<branch>_0001``) of every branch from the schema of the code
on ``sys.path``: run with the code of commit 88ac53e first on PYTHONPATH (see README.md here).

    python make_baseline.py /path/to/checkout   # writes the revision files into that checkout
"""
import sys
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from shequ_sdk.db import all_tables
from shequ_sdk.plugins import registry

OUT = Path(sys.argv[1])  # /work/main
reg = registry()
owner = {}
for t in all_tables():
    owner[t.name] = reg.owner.get(("tables", t.name), "core")
branches = {}
for name, plugin in owner.items():
    branches.setdefault(plugin, []).append(name)
engine = create_engine("sqlite://")


def render_item(type_, obj, autogen_context):
    from sqlmodel.sql.sqltypes import AutoString
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String({obj.length})" if obj.length else "sa.String()"
    return False

TEMPLATE = '''"""{message}

Revision ID: {rev}
Revises:{down_txt}
Create Date: 2026-11-28 (schema of commit 88ac53e)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
{imports}

# revision identifiers, used by Alembic.
revision: str = {rev!r}
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = {labels!r}
depends_on: Union[str, Sequence[str], None] = {depends!r}


def upgrade() -> None:
{up}


def downgrade() -> None:
{down}
'''
for plugin, names in branches.items():
    from sqlmodel import SQLModel
    md = SQLModel.metadata  # not copies: to_metadata() re-creates the region_id indexes the registry dropped
    # FK targets of other branches: keep them resolvable without creating them
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": lambda o, n, type_, r, c: (n in names if type_ == "table" else o.table.name in names),
                                                     "render_as_batch": True, "render_item": render_item})
        mig = produce_migrations(ctx, md)
        imports = set()
        up = render_python_code(mig.upgrade_ops, render_as_batch=True, imports=imports, migration_context=ctx, render_item=render_item)
        down = render_python_code(mig.downgrade_ops, render_as_batch=True, imports=imports, migration_context=ctx, render_item=render_item)
    branch = "shequ_core" if plugin == "core" else plugin
    rev = f"{branch}_0001"
    depends = None  # shequ migrate upgrades the core first, so plugin branches need no depends_on
    if plugin == "core":
        target = OUT / "src/shequ_sdk/migrations/versions"
        message = "Baseline: the core tables as of shequ-sdk 0.1.0 (commit 88ac53e)"
    else:
        target = OUT / f"plugins/{plugin}/src/shequ_plugin_{plugin}/migrations"
        message = f"Baseline: the {plugin} tables as of shequ-plugin-{plugin.replace('_', '-')} 0.1.0 (commit 88ac53e)"
    target.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.format(message=message, rev=rev, down_txt="", imports="\n".join(sorted(imports)),
                           labels=(branch,), depends=depends, up='    ' + up.strip(), down='    ' + down.strip())
    (target / f"{rev}_baseline.py").write_text(text, encoding="utf-8")
    print(plugin, len(names), target / f"{rev}_baseline.py")
