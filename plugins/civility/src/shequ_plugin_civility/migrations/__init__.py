"""Schema migrations of the civility plugin (Alembic branch ``civility``): one revision file per change."""

from pathlib import Path

from shequ_sdk import hookimpl
from shequ_sdk.registry import Migrations


@hookimpl
def register_migrations(register):
    register(Migrations(branch="civility", path=Path(__file__).parent))
