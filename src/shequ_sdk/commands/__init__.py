"""Built-in ``shequ`` sub-commands that live outside ``cli.py``.

Each module registers its commands on ``shequ_sdk.cli.app`` when imported; ``cli.py`` imports
them at its end.
"""
