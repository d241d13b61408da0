"""Schema migrations of the culture_sports plugin (Alembic branch ``culture_sports``): one revision file per change."""

from pathlib import Path

from shequ_sdk import hookimpl
from shequ_sdk.registry import Migrations


@hookimpl
def register_migrations(register):
    register(Migrations(branch="culture_sports", path=Path(__file__).parent))
