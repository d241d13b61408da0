"""shequ-sdk (社区 SDK): records, indicators and dashboards for village and community
self-governance associations.

Plugins import what they need from here::

    from shequ_sdk import hookimpl, Record, RecordTable, Indicator, Rule, Setting, View, field

The names are loaded on first use (PEP 562), so ``import shequ_sdk`` — and with it the ``shequ``
command line, whose ``--help`` must answer at once — does not pull in SQLAlchemy or SQLModel
until something asks for a model or a registry type.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import BatchError, ConflictError, InputError, NotFoundError, PermissionDenied, PluginError, Problem, SessionEnded, ShequError
from .period import Period

__version__ = "0.1.0"

# public name -> the module that defines it, imported when the name is first used
_LAZY = {
    "field": ".fields",
    "hookimpl": ".hookspecs",
    **{name: ".models" for name in ("Association", "AssociationMember", "Honour", "Household", "Record", "Region", "Resident")},
    **{name: ".registry" for name in ("AssociationType", "BoardType", "Indicator", "Migrations", "RecordTable", "Rule", "Setting",
                                       "Verifier", "View")},
}

__all__ = [
    "hookimpl", "field", "Record", "RecordTable", "Indicator", "Rule", "Setting", "View", "AssociationType", "Migrations",
    "Verifier", "BoardType", "ConflictError", "Period", "Problem", "ShequError", "InputError", "NotFoundError", "BatchError", "PermissionDenied", "SessionEnded", "PluginError",
    "Region", "Household", "Resident", "Association", "AssociationMember", "Honour", "open", "registry",
]

if TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
    from .fields import field
    from .hookspecs import hookimpl
    from .models import Association, AssociationMember, Honour, Household, Record, Region, Resident
    from .registry import AssociationType, BoardType, Indicator, Migrations, RecordTable, Rule, Setting, Verifier, View


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'shequ_sdk' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def registry():
    """Everything the loaded plugins contributed (tables, indicators, rules, settings, views)."""
    from .plugins import registry as _registry

    return _registry()


def open(db=None, *, create: bool = False, role=None, user=None):  # noqa: A001 - mirrors sqlite3.connect/open
    """Open a shequ database by path or URL and return a :class:`shequ_sdk.api.Shequ`
    (``user``: an :class:`shequ_sdk.auth.Actor` whose scope every read and write keeps to)."""
    from .api import Shequ

    return Shequ(db, create=create, role=role, user=user)


class _Package(types.ModuleType):
    """``shequ_sdk.registry`` is the function above, although a submodule has the same name:
    importing ``shequ_sdk.registry`` (the module) sets the package attribute, and with lazy
    names that can happen at any time, so the attribute ignores that assignment."""

    @property
    def registry(self):
        return registry

    @registry.setter
    def registry(self, value) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("shequ_sdk.registry is a function and cannot be replaced")


sys.modules[__name__].__class__ = _Package
