"""Schema migrations of the decisions plugin (Alembic branch ``decisions``): one revision file per change."""

from pathlib import Path

from shequ_sdk import hookimpl
from shequ_sdk.registry import Migrations


@hookimpl
def register_migrations(register):
    register(Migrations(branch="decisions", path=Path(__file__).parent))
