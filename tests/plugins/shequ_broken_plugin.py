"""A throwaway plugin that cannot be imported: it needs a dependency nobody installed.

tests/test_plugin_loading.py installs it through a temporary dist-info with an entry point
and checks that ``shequ`` names it, shows the error, and keeps the other plugins working.
"""

import shequ_test_missing_dependency  # noqa: F401 - the failure under test

from shequ_sdk import hookimpl


@hookimpl
def register_association_types(register):
    raise AssertionError("never reached: the import above fails")
