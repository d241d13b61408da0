"""Schema migrations of the family_planning plugin (Alembic branch ``family_planning``): one revision file per change."""

from pathlib import Path

from shequ_sdk import hookimpl
from shequ_sdk.registry import Migrations


@hookimpl
def register_migrations(register):
    register(Migrations(branch="family_planning", path=Path(__file__).parent))
