"""shequ-sdk (社区 SDK): records, indicators and dashboards for village and community
self-governance associations.

Plugins import what they need from here::

    from shequ_sdk import hookimpl, Record, RecordTable, Indicator, Rule, Setting, View, field
"""

from .errors import BatchError, ConflictError, InputError, NotFoundError, PermissionDenied, PluginError, Problem, SessionEnded, ShequError
from .fields import field
from .hookspecs import hookimpl
from .models import Association, AssociationMember, Honour, Household, Record, Region, Resident
from .period import Period
from .registry import AssociationType, Indicator, Migrations, RecordTable, Rule, Setting, Verifier, View

__version__ = "0.1.0"

__all__ = [
    "hookimpl", "field", "Record", "RecordTable", "Indicator", "Rule", "Setting", "View", "AssociationType", "Migrations",
    "Verifier", "ConflictError", "Period", "Problem", "ShequError", "InputError", "NotFoundError", "BatchError", "PermissionDenied", "SessionEnded", "PluginError",
    "Region", "Household", "Resident", "Association", "AssociationMember", "Honour", "open", "registry",
]


def registry():
    """Everything the loaded plugins contributed (tables, indicators, rules, settings, views)."""
    from .plugins import registry as _registry

    return _registry()


def open(db=None, *, create: bool = False, role=None, user=None):  # noqa: A001 - mirrors sqlite3.connect/open
    """Open a shequ database by path or URL and return a :class:`shequ_sdk.api.Shequ`
    (``user``: an :class:`shequ_sdk.auth.Actor` whose scope every read and write keeps to)."""
    from .api import Shequ

    return Shequ(db, create=create, role=role, user=user)
