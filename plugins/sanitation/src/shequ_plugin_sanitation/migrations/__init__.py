"""Schema migrations of the sanitation plugin (Alembic branch ``sanitation``): one revision file per change."""

from pathlib import Path

from shequ_sdk import hookimpl
from shequ_sdk.registry import Migrations


@hookimpl
def register_migrations(register):
    register(Migrations(branch="sanitation", path=Path(__file__).parent))
