"""The plugin guide (docs/plugins.md) cannot drift from the code.

(a) Every hook in ``shequ_sdk.hookspecs`` has a section whose heading is its exact signature,
    and the section names every field of the dataclasses the hook deals in.
(b) The examples run. The guide's markers (documented in its "How the examples are tested"):
    ``<!-- guide: plugin -->`` blocks build the module ``shequ_plugin_water`` cumulatively;
    ``<!-- guide: setup -->`` runs before each section's ``<!-- guide: run -->`` blocks, in a
    fresh directory, with the plugin as built up to that section registered as ``water``;
    ``<!-- guide: file PATH -->`` blocks are further files of the distribution, which is then
    installed in a temporary site directory and tested with pytest in a separate process.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
import types
from functools import cache
from pathlib import Path

import pytest

from shequ_sdk import hookspecs, plugins
from shequ_sdk.api import Shequ

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
MODULE = "shequ_plugin_water"
PLUGIN_NAME = "water"
MARKER = re.compile(r"^<!--\s*guide:\s*(plugin|setup|run|file)\s*(\S*)\s*-->$")


@dataclasses.dataclass
class Block:
    kind: str | None  # plugin, setup, run, file or None (an unmarked block)
    arg: str  # the path for "file"
    lang: str
    code: str
    line: int  # first line of the code in the guide (1-based)


@dataclasses.dataclass
class Section:
    heading: str
    line: int
    text: str = ""
    blocks: list[Block] = dataclasses.field(default_factory=list)

    def of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]


@cache
def sections() -> tuple[Section, ...]:
    """The guide split at ``## `` headings (the part before the first is the introduction)."""
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    out = [Section("(introduction)", 1)]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            out.append(Section(line[3:].strip(), i + 1))
        elif line.startswith("```") and len(line) > 3:
            lang = line[3:].strip()
            start = i + 1
            i += 1
            while not lines[i].startswith("```"):
                i += 1
            prev = next((lines[j].strip() for j in range(start - 2, -1, -1) if lines[j].strip()), "")
            m = MARKER.match(prev)
            out[-1].blocks.append(Block(m.group(1) if m else None, m.group(2) if m else "", lang,
                                        "\n".join(lines[start:i]), start + 1))
        out[-1].text += line + "\n"
        i += 1
    return tuple(out)


def hooks() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(fn, "shequ_sdk_spec")}


def section_for(hook: str) -> Section:
    return next(s for s in sections() if re.match(rf"{hook}\(", s.heading))


# -- (a) the guide documents every hook with its exact signature -----------------------------------------

def test_every_hook_has_a_section_with_its_exact_signature():
    specs = hooks()
    assert len(specs) >= 8 and "register_tables" in specs
    headings = {s.heading for s in sections()}
    for name, sig in specs.items():
        assert f"{name}{sig}" in headings, f"docs/plugins.md needs a section headed '## {name}{sig}'"


def test_no_section_documents_a_hook_that_does_not_exist():
    specs = hooks()
    for s in sections():
        m = re.fullmatch(r"(\w+)\((.*)\)", s.heading)
        if m:
            assert m.group(1) in specs, f"'## {s.heading}' (line {s.line}) documents no hook in hookspecs.py"
            assert s.heading == f"{m.group(1)}{specs[m.group(1)]}", f"'## {s.heading}' differs from the hookspec signature"


def _public_members(cls) -> set[str]:
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    names |= {n for n, v in vars(cls).items() if isinstance(v, property) or inspect.isfunction(v)}
    return {n for n in names if not n.startswith("_")}


def _documented_members():
    from shequ_sdk.demo import PopulateContext
    from shequ_sdk.errors import Problem
    from shequ_sdk.fields import field
    from shequ_sdk.indicators import IndicatorQuery
    from shequ_sdk.records import RowContext

    out = {hook: {cls.__name__: {f.name for f in dataclasses.fields(cls)}}
           for kind, (hook, cls) in plugins.REGISTER_HOOKS.items()}
    out["register_tables"]["field()"] = set(inspect.signature(field).parameters)
    out["register_indicators"]["IndicatorQuery"] = _public_members(IndicatorQuery)
    out["register_rules"]["RowContext"] = _public_members(RowContext)
    out["register_rules"]["Problem"] = {f.name for f in dataclasses.fields(Problem)}
    out["populate"] = {"PopulateContext": _public_members(PopulateContext)}
    return out


@pytest.mark.parametrize("hook", sorted(_documented_members()))
def test_each_hook_section_names_every_field(hook):
    section = section_for(hook)
    for owner, names in _documented_members()[hook].items():
        missing = sorted(n for n in names if not re.search(rf"`(?:[\w.]*\.)?{re.escape(n)}\b", section.text))
        assert not missing, f"'## {section.heading}' does not mention {owner} member(s) {missing}"


def test_every_hook_section_has_an_example_that_runs():
    for name in hooks():
        section = section_for(name)
        assert section.of("run"), f"'## {section.heading}' has no <!-- guide: run --> example"


def test_every_python_block_is_marked():
    for s in sections():
        for b in s.blocks:
            if b.lang == "python":
                assert b.kind is not None, f"docs/plugins.md line {b.line}: a python block without a <!-- guide: … --> marker"
            if b.kind == "file":
                assert b.arg, f"docs/plugins.md line {b.line}: <!-- guide: file --> needs a path"


def test_the_pyproject_declares_the_entry_point():
    (block,) = [b for s in sections() for b in s.of("file") if b.arg == "pyproject.toml"]
    project = tomllib.loads(block.code)["project"]
    assert project["entry-points"][plugins.ENTRY_POINT_GROUP] == {PLUGIN_NAME: MODULE}
    assert "shequ-sdk" in project["dependencies"]


def test_the_guide_mentions_the_entry_point_group_and_environment():
    text = GUIDE.read_text(encoding="utf-8")
    for needle in (f"entry-point group `{plugins.ENTRY_POINT_GROUP}`", "SHEQU_LOAD_PLUGINS", "SHEQU_TRACE_HOOKS", "shequ_sdk.testing",
                   "SHEQU_TEST_PG_URL", "SHEQU_TEST_STRICT", "mask(", "PluginError"):
        assert needle in text, needle


_CALL = re.compile(r"^`(?P<name>\w+)(?:\((?P<params>[^`]*)\))?`$")


def _param_names(params: str) -> list[str]:
    return re.findall(r"(?:^|,)\s*\**(\w+)", params)


def _signature_names(fn) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


def test_the_store_reference_matches_the_store():
    """'## The view-side store' documents exactly ``PLUGIN_API``, each method with its parameters."""
    from shequ_sdk.ui.store import PLUGIN_API, DataStore

    (section,) = [s for s in sections() if s.heading == "The view-side store"]
    rows = [line.split("|")[1].strip() for line in section.text.splitlines() if line.startswith("| `")]
    documented = {}
    for cell in rows:
        m = _CALL.match(cell)
        assert m, f"store reference: cannot read {cell!r}"
        documented[m.group("name")] = m.group("params")
    assert list(documented) == list(PLUGIN_API), "the store reference and shequ_sdk.ui.store.PLUGIN_API list different names"
    for name, params in documented.items():
        member = inspect.getattr_static(DataStore, name, None)
        assert member is not None, f"DataStore has no {name}"
        if name in DataStore.param:
            assert params is None, f"store.{name} is a parameter, documented as a method"
        elif isinstance(member, property):
            assert params is None, f"store.{name} is a property, documented as a method"
        else:
            assert params is not None, f"store.{name} is a method: document its parameters"
            assert _param_names(params) == _signature_names(member), f"store.{name}({params}) differs from {inspect.signature(member)}"


def test_the_entry_forms_reference_matches_the_forms_module():
    """'## Entry views' documents names of shequ_sdk.ui.forms that exist (and methods of them that
    exist), and the parameters it gives for RecordForm and BatchForm are theirs."""
    import param

    from shequ_sdk.ui import forms

    (section,) = [s for s in sections() if s.heading.startswith("Entry views")]
    rows = [line.split("|")[1].strip() for line in section.text.splitlines() if line.startswith("| `")]
    assert rows, "the entry forms reference lists nothing"
    for cell in rows:
        m = re.match(r"^`(?P<name>\w+)(?:\.(?P<attr>\w+))?(?:\((?P<params>[^`]*)\))?`$", cell)
        assert m, f"entry forms reference: cannot read {cell!r}"
        member = getattr(forms, m.group("name"), None)
        assert member is not None, f"shequ_sdk.ui.forms has no {m.group('name')}"
        if m.group("attr"):  # a method a subclass overrides (BatchForm.footer)
            member = getattr(member, m.group("attr"), None)
            assert callable(member), f"shequ_sdk.ui.forms.{m.group('name')} has no method {m.group('attr')}"
        if m.group("params") is None:
            continue
        named = re.findall(r"(\w+)=", m.group("params"))
        if isinstance(member, type) and issubclass(member, param.Parameterized):
            missing = [n for n in named if n not in member.param]
        else:
            missing = [n for n in re.findall(r"(\w+)", m.group("params")) if n not in inspect.signature(member).parameters]
        assert not missing, f"{m.group('name')} documents parameters it does not have: {missing}"


def test_the_fixture_list_matches_the_pytest_plugin():
    """'## Testing a plugin' lists exactly the fixtures of shequ_sdk.testing, with render_view's signature."""
    import shequ_sdk.testing as testing

    fixtures = {n for n, v in vars(testing).items() if type(v).__name__ == "FixtureFunctionDefinition" or hasattr(v, "_pytestfixturefunction")}
    (section,) = [s for s in sections() if s.heading == "Testing a plugin"]
    listed = set(re.findall(r"^- `(\w+)` —", section.text, re.MULTILINE))
    assert listed == fixtures, f"documented {sorted(listed)}, defined {sorted(fixtures)}"
    m = re.search(r"`render_view\((.*?)\)`", section.text)
    assert m and _param_names(m.group(1)) == _signature_names(testing.render_registered_view)
    assert "pytest11" in section.text and "conftest" in section.text  # says why no conftest is needed


def test_documented_calls_match_their_signatures():
    """Calls the guide spells out with their parameters match the code."""
    from shequ_sdk.demo import PopulateContext
    from shequ_sdk.plugin_check import render_for, store_for

    text = GUIDE.read_text(encoding="utf-8")
    for call, fn in (("ctx.days", PopulateContext.days), ("store_for", store_for), ("render_for", render_for)):
        found = re.findall(rf"{re.escape(call)}\(([^()]*)\)", text)
        assert found, f"the guide no longer shows {call}(…)"
        for params in found:
            keywords = re.findall(r"(\w+)\s*=", params)
            positional = [p for p in params.split(",") if p.strip() and "=" not in p]
            signature = _signature_names(fn)
            assert set(keywords) <= set(signature) and len(positional) <= len(signature), \
                f"{call}({params}) does not match {inspect.signature(fn)}"


def test_the_guide_starts_with_the_scaffold():
    first = next(s for s in sections() if s.heading != "(introduction)")
    assert first.heading == "Start here: `shequ new-plugin`" and "shequ new-plugin" in first.text


# -- (b) the examples run ---------------------------------------------------------------------------------

def _compile(block: Block):
    # pad so tracebacks point at the guide's own line numbers
    return compile("\n" * (block.line - 1) + block.code, str(GUIDE), "exec")


@cache
def plugin_states() -> tuple[types.ModuleType, ...]:
    """The plugin module as it stands after each section: executed once per process (its
    table classes can be defined only once), one snapshot per section."""
    module = types.ModuleType(MODULE)
    module.__file__ = str(GUIDE)
    saved = sys.modules.get(MODULE)
    sys.modules[MODULE] = module
    states = []
    try:
        for s in sections():
            for block in s.of("plugin"):
                exec(_compile(block), module.__dict__)
            snapshot = types.ModuleType(MODULE)
            snapshot.__dict__.update(module.__dict__)
            states.append(snapshot)
    finally:
        if saved is None:
            sys.modules.pop(MODULE, None)
        else:
            sys.modules[MODULE] = saved
    return tuple(states)


RUNNABLE = [i for i, s in enumerate(sections()) if s.of("run")]


@pytest.mark.parametrize("index", RUNNABLE, ids=[re.sub(r"\W+", "_", sections()[i].heading).strip("_") for i in RUNNABLE])
def test_guide_examples_run(index, only_plugins, monkeypatch, tmp_path):
    snapshot = plugin_states()[index]
    only_plugins()  # the SDK's defaults and nothing else
    plugins.register_plugin(snapshot, name=PLUGIN_NAME)
    monkeypatch.setitem(sys.modules, MODULE, snapshot)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__guide__"}
    try:
        for s in sections():
            for block in s.of("setup"):
                exec(_compile(block), namespace)
        for block in sections()[index].of("run"):
            exec(_compile(block), namespace)
        assert PLUGIN_NAME not in plugins.state().failures, plugins.state().failures[PLUGIN_NAME]
    finally:
        for value in namespace.values():
            if isinstance(value, Shequ):
                value.close()


def _files() -> dict[str, str]:
    return {b.arg: b.code for s in sections() for b in s.of("file")}


def _install(site: Path) -> None:
    """Install the guide's distribution into ``site``: its package and a dist-info with the
    entry point from its pyproject.toml, which is all importlib.metadata looks at."""
    project = tomllib.loads(_files()["pyproject.toml"])["project"]
    package = site / MODULE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("\n\n\n".join(b.code for s in sections() for b in s.of("plugin")) + "\n", encoding="utf-8")
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8")
    eps = project["entry-points"][plugins.ENTRY_POINT_GROUP]
    (info / "entry_points.txt").write_text(
        f"[{plugins.ENTRY_POINT_GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()), encoding="utf-8")


def test_guide_distribution_is_found_and_its_tests_pass(tmp_path):
    """The guide's plugin as a real installed distribution: found through its entry point by
    ``shequ plugins``, and its own test file passes on both backends."""
    site, dist = tmp_path / "site", tmp_path / "shequ-plugin-water"
    _install(site)
    for path, code in _files().items():
        target = dist / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEQU_TRACE", "PYTEST_"))}
    env.update(PYTHONPATH=str(site), SHEQU_LOAD_PLUGINS=PLUGIN_NAME)

    listed = subprocess.run([sys.executable, "-m", "shequ_sdk.cli", "plugins", "--json"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    found = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}
    water = found[PLUGIN_NAME]
    assert water["error"] is None and water["distribution"] == "shequ-plugin-water" and water["version"] == "0.1.0"
    assert water["tables"] == ["water_fee_payment"] and water["association_types"] == ["water_users"]
    assert water["indicators"] == ["water.fees_collected", "water.paying_households", "water.payment_rate"]
    assert water["views"] == ["water.fee_summary"] and water["settings"] == ["water.fee_per_person_fen"]

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], capture_output=True,
                            text=True, env=env, cwd=dist, timeout=600, stdin=subprocess.DEVNULL)
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    if os.environ.get("SHEQU_TEST_PG_URL"):
        assert "skipped" not in tested.stdout, tested.stdout[-2000:]
