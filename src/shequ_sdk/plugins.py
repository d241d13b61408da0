"""Plugin loading: the SDK's defaults, then installed distributions through entry points.

Loading is lazy (nothing happens on ``import shequ_sdk``) and observable:
- ``SHEQU_LOAD_PLUGINS=finance,elderly`` loads only those entry points (empty: none);
- ``SHEQU_TRACE_HOOKS=1`` prints every hook call and result, every hook error and every
  plugin that fails to import to stderr;
- a plugin that fails to import, or whose hook raises, is recorded in ``failures`` with its
  error (``shequ plugins`` shows it) and the rest keep working.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .registry import AssociationType, BoardType, Indicator, Migrations, Registry, RecordTable, Rule, Setting, Verifier, View, make_register

ENTRY_POINT_GROUP = "shequ_sdk"
DEFAULT_PLUGINS = ("shequ_sdk.default_plugins.core",)

REGISTER_HOOKS = {
    "association_types": ("register_association_types", AssociationType),
    "tables": ("register_tables", RecordTable),
    "indicators": ("register_indicators", Indicator),
    "rules": ("register_rules", Rule),
    "settings": ("register_settings", Setting),
    "views": ("register_views", View),
    "migrations": ("register_migrations", Migrations),
    "verifiers": ("register_verifiers", Verifier),
    "boards": ("register_boards", BoardType),
}


@dataclass
class PluginInfo:
    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False


@dataclass
class PluginState:
    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    registry: Registry | None = None


_state: PluginState | None = None
_lock = threading.RLock()


def _trace(msg: str) -> None:
    print(f"[shequ hooks] {msg}", file=sys.stderr)


def _new_pm() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("shequ_sdk")
    pm.add_hookspecs(hookspecs)
    if os.environ.get("SHEQU_TRACE_HOOKS"):
        pm.add_hookcall_monitoring(
            lambda name, impls, kwargs: _trace(f"call {name} -> {[i.plugin_name for i in impls]}"),
            lambda outcome, name, impls, kwargs: _trace(f"done {name}: {outcome.exception or 'ok'}"),
        )
    return pm


def _allowed() -> set[str] | None:
    raw = os.environ.get("SHEQU_LOAD_PLUGINS")
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def state() -> PluginState:
    """The loaded plugin state, loading plugins on first use."""
    global _state
    with _lock:
        if _state is None:
            _state = _load()
        return _state


def _load(entry_points: bool = True) -> PluginState:
    st = PluginState(pm=_new_pm())
    for modname in DEFAULT_PLUGINS:
        mod = importlib.import_module(modname)
        name = modname.rsplit(".", 1)[-1]
        st.pm.register(mod, name=name)
        st.plugins[name] = PluginInfo(name=name, module=modname, distribution="shequ-sdk", version=_version("shequ-sdk"), builtin=True)
    if entry_points and not getattr(sys, "_shequ_no_entry_points", False):
        allowed = _allowed()
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allowed is not None and ep.name not in allowed:
                continue
            dist = ep.dist.name if ep.dist else None
            try:
                plugin = ep.load()
                st.pm.register(plugin, name=ep.name)
            except Exception as exc:  # a broken plugin must not take the others down
                st.failures[ep.name] = _describe(exc)
                if os.environ.get("SHEQU_TRACE_HOOKS"):
                    _trace(f"error importing {ep.name} ({ep.value}): {st.failures[ep.name]}")
                continue
            st.plugins[ep.name] = PluginInfo(
                name=ep.name, module=ep.value, distribution=dist, version=ep.dist.version if ep.dist else None
            )
    return st


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def reset(*, entry_points: bool = True, extra: tuple[Any, ...] = ()) -> PluginState:
    """Reload plugins from scratch (tests use this with ``entry_points=False`` and ``extra``)."""
    global _state
    with _lock:
        _state = _load(entry_points=entry_points)
        for plugin in extra:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            name = name.rsplit(".", 1)[-1]
            _state.pm.register(plugin, name=name)
            _state.plugins[name] = PluginInfo(name=name, module=str(name))
        return _state


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object at run time (an in-test plugin, or a notebook experiment)."""
    st = state()
    with _lock:
        name = name or getattr(plugin, "__name__", type(plugin).__name__)
        st.pm.register(plugin, name=name)
        st.plugins[name] = PluginInfo(name=name, module=name)
        st.registry = None


def unregister_plugin(name: str) -> None:
    st = state()
    with _lock:
        st.pm.unregister(name=name)
        st.plugins.pop(name, None)
        st.failures.pop(name, None)
        st.registry = None


def failed_plugins_warning() -> str | None:
    """One line naming the plugins that failed (import or hook), in both languages; ``None`` if none."""
    registry()  # a registration error is a failure too
    failed = sorted(state().failures)
    if not failed:
        return None
    names = ", ".join(failed)
    return (f"插件 {names} 加载失败，其数据和指标不可用（shequ plugins 查看原因）/ "
            f"plugin {names} failed to load; its data and indicators are missing (see shequ plugins)")


def pm() -> pluggy.PluginManager:
    return state().pm


def call_each(hook_name: str, **kwargs) -> list[tuple[str, Any]]:
    """Call every implementation of ``hook_name`` one by one, catching each plugin's errors.

    Returns ``(plugin_name, result)`` pairs for the implementations that succeeded; failures
    are recorded in ``state().failures``. Implementations run in pluggy's order (``tryfirst``
    and ``trylast`` respected), i.e. reversed registration order, like ``pm.hook`` calls.
    """
    st = state()
    caller = getattr(st.pm.hook, hook_name)
    out = []
    for impl in reversed(caller.get_hookimpls()):
        args = {k: kwargs[k] for k in impl.argnames}
        if os.environ.get("SHEQU_TRACE_HOOKS"):
            _trace(f"call {hook_name} in {impl.plugin_name}")
        try:
            out.append((impl.plugin_name, impl.function(**args)))
        except Exception as exc:
            st.failures[impl.plugin_name] = f"{hook_name}: {_describe(exc)}"
            if os.environ.get("SHEQU_TRACE_HOOKS"):
                _trace(f"error in {impl.plugin_name}.{hook_name}: {exc} ({type(exc).__name__})")
    return out


def notify_changed(session, table: str, region_ids) -> None:
    """Call every ``records_changed`` implementation (see the hookspec) for a write in
    ``session``. Unlike :func:`call_each` an exception propagates: it rolls back the write, so a
    plugin's derived rows never fall silently behind the records they derive from."""
    impls = state().pm.hook.records_changed.get_hookimpls()
    if not impls or session.info.get("shequ.populating"):
        return  # while plugins populate, each derives its own rows at the end of its populate
    ids = None if region_ids is None else sorted({r for r in region_ids if r is not None})
    for impl in reversed(impls):
        impl.function(**{k: {"session": session, "table": table, "region_ids": ids}[k] for k in impl.argnames})


def registry() -> Registry:
    """Build (once) and return the registry of everything the loaded plugins contributed."""
    st = state()
    with _lock:
        if st.registry is not None:
            return st.registry
        reg = Registry()
        # first registered wins a clash: the SDK's defaults, then entry points by name, then
        # run-time plugins — so a newcomer reusing a key is the one reported, never the core
        order = {name: i for i, (name, _) in enumerate(st.pm.list_name_plugin())}
        for kind, (hook_name, cls) in REGISTER_HOOKS.items():
            caller = getattr(st.pm.hook, hook_name)
            for impl in sorted(caller.get_hookimpls(), key=lambda i: order.get(i.plugin_name, len(order))):
                if impl.plugin_name in st.failures:
                    continue
                others = frozenset(st.plugins) - {impl.plugin_name}
                register = make_register(reg, kind, impl.plugin_name, cls, others)
                if os.environ.get("SHEQU_TRACE_HOOKS"):
                    _trace(f"call {hook_name} in {impl.plugin_name}")
                try:
                    impl.function(register=register)
                except Exception as exc:
                    st.failures[impl.plugin_name] = f"{hook_name}: {_describe(exc)}"
                    reg.errors.append((impl.plugin_name, st.failures[impl.plugin_name]))
                    if os.environ.get("SHEQU_TRACE_HOOKS"):
                        _trace(f"error in {impl.plugin_name}.{hook_name}: {exc} ({type(exc).__name__})")
        # a plugin that failed part-way contributes nothing, so the registry stays consistent
        failed = set(st.failures)
        for (kind, key), who in list(reg.owner.items()):
            if who in failed:
                getattr(reg, kind).pop(key, None)
                del reg.owner[(kind, key)]
        st.registry = reg
        return reg
