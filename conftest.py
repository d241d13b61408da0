# shequ_sdk.testing arrives through its pytest11 entry point (pyproject.toml); an environment
# installed before that entry point existed loads it here instead — never both (pytest refuses
# to register one plugin twice).
import importlib.metadata as _md

if not any(ep.value == "shequ_sdk.testing" for ep in _md.entry_points(group="pytest11")):
    pytest_plugins = ["shequ_sdk.testing"]
