"""``shequ new-plugin`` end to end, as an outside author works: the scaffold in a folder outside
the repository, a fresh virtual environment with the built shequ-sdk wheel and the new plugin,
its own tests, ``shequ plugins check`` and ``shequ demo``. Also the scaffold's bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shequ_sdk.testing import need

ROOT = Path(__file__).resolve().parents[1]


def uv() -> list[str] | None:
    """uv as the Makefile finds it: on PATH, else as a module of this or the system interpreter."""
    found = shutil.which("uv")
    if found:
        return [found]
    for python in filter(None, (sys.executable, shutil.which("python3"))):
        try:
            subprocess.run([python, "-m", "uv", "--version"], check=True, capture_output=True)
            return [python, "-m", "uv"]
        except (subprocess.CalledProcessError, OSError):
            continue
    return None


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHEQU_LOAD", "SHEQU_TRACE", "SHEQU_DATABASE", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT"))}
    env.update(UV_PYTHON_DOWNLOADS="never", **extra)
    return env


def run(cmd, cwd, timeout=600, **env) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=clean_env(**env), timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    """What ``make dist`` builds — wheels and sdists of shequ-sdk and every plugin — once per session."""
    tool = uv()
    need(tool is not None, "uv is not installed (make sync bootstraps it)")
    out = tmp_path_factory.mktemp("dist")
    run([*tool, "build", "--all-packages", "--out-dir", out], ROOT)
    return tool, out


@pytest.fixture(scope="session")
def sdk_wheel(dist):
    """The shequ-sdk wheel and the locked versions of its dependencies as constraints (so a
    fresh environment resolves to what the lock file tested)."""
    tool, out = dist
    (wheel,) = out.glob("shequ_sdk-*.whl")
    constraints = out / "constraints.txt"
    run([*tool, "export", "--frozen", "--no-hashes", "--no-emit-workspace", "--all-packages", "--quiet", "--output-file", constraints], ROOT)
    return tool, wheel, constraints


@pytest.mark.slow
def test_scaffold_to_passing_tests_outside_the_repository(sdk_wheel, tmp_path, shequ):
    tool, wheel, constraints = sdk_wheel
    assert not tmp_path.resolve().is_relative_to(ROOT)
    started = time.perf_counter()
    made = shequ("new-plugin", "hongbai", "--title-zh", "红白理事会", "--title-en", "Weddings and funerals council", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    plugin = tmp_path / "shequ-plugin-hongbai"
    assert f"plugin created: {plugin}" in made.stdout
    assert (plugin / "src/shequ_plugin_hongbai/migrations/hongbai_0001_baseline.py").is_file()

    venv = tmp_path / "venv"
    run([*tool, "venv", "--quiet", "--python", sys.executable, venv], tmp_path)
    python = venv / "bin" / "python"
    # a user's install: the SDK from its wheel file, the plugin from its folder (built, not editable)
    run([*tool, "pip", "install", "--quiet", "--python", python, "--constraint", constraints, wheel, plugin, "pytest"], tmp_path)
    installed = time.perf_counter()

    tested = run([venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider"], plugin)
    assert " passed" in tested.stdout and "failed" not in tested.stdout
    if os.environ.get("SHEQU_TEST_PG_URL"):
        assert "skipped" not in tested.stdout, tested.stdout[-2000:]
    passing = time.perf_counter()

    checked = run([venv / "bin" / "shequ", "plugins", "check", "hongbai"], tmp_path)
    assert "plugin hongbai passes the contract check" in checked.stdout

    run([venv / "bin" / "shequ", "demo", "--db", tmp_path / "demo.db"], tmp_path)
    values = run([venv / "bin" / "shequ", "indicators", "--db", tmp_path / "demo.db", "--region", "太台村", "--period", "2010", "--json"], tmp_path)
    assert '"hongbai.events": 12' in values.stdout and '"hongbai.household_rate"' in values.stdout
    listed = run([venv / "bin" / "shequ", "plugins", "--json"], tmp_path)
    assert '"distribution": "shequ-plugin-hongbai"' in listed.stdout
    print(f"\nscaffold → installed: {installed - started:.1f} s; → own tests passing: {passing - started:.1f} s; "
          f"with check and demo: {time.perf_counter() - started:.1f} s")


@pytest.mark.parametrize("args, message", [
    (["Hong-Bai", "--title-zh", "红白理事会", "--title-en", "Council"], "invalid plugin name 'Hong-Bai'"),
    (["finance", "--title-zh", "财务", "--title-en", "Finance"], "the plugin name 'finance' is taken"),
    (["hongbai", "--title-zh", "Council", "--title-en", "Council"], "--title-zh must be a Chinese name, got 'Council'"),
    (["hongbai", "--title-zh", "红白理事会", "--title-en", "红白"], "--title-en must be an English name, got '红白'"),
])
def test_bad_input_is_one_line(cli, tmp_path, args, message):
    code, out, err = cli("new-plugin", *args, "--dir", str(tmp_path))
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(cli, tmp_path):
    (tmp_path / "shequ-plugin-hongbai").mkdir()
    (tmp_path / "shequ-plugin-hongbai" / "mine.txt").write_text("keep")
    code, out, err = cli("new-plugin", "hongbai", "--title-zh", "红白理事会", "--title-en", "Council", "--dir", str(tmp_path))
    assert code == 2 and "exists and is not empty" in err
    assert [p.name for p in (tmp_path / "shequ-plugin-hongbai").iterdir()] == ["mine.txt"]


def test_the_template_ships_in_the_wheel(sdk_wheel):
    import zipfile

    _, wheel, _ = sdk_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "shequ_sdk/scaffold/copier.yml" in names
    assert "shequ_sdk/scaffold/template/src/{{ package }}/migrations/{{ name }}_0001_baseline.py.jinja" in names
    assert "shequ_sdk/scaffold/template/tests/test_{{ name }}.py.jinja" in names


def test_make_dist_builds_every_distribution_with_its_version(dist):
    """A wheel and an sdist per pyproject (the SDK and each plugin), carrying its version and
    Requires-Python; each plugin wheel has its entry point and its migration revisions."""
    import tomllib
    import zipfile
    from email.parser import Parser

    _, out = dist
    projects = [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]
    workspace = set(tomllib.loads(projects[0].read_text(encoding="utf-8"))["tool"]["uv"]["sources"])
    assert {tomllib.loads(p.read_text(encoding="utf-8"))["project"]["name"] for p in projects[1:]} == workspace  # every plugin of the workspace
    for path in projects:
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        stem = f"{project['name'].replace('-', '_')}-{project['version']}"
        wheel = out / f"{stem}-py3-none-any.whl"
        assert wheel.is_file() and (out / f"{stem}.tar.gz").is_file(), stem
        with zipfile.ZipFile(wheel) as z:
            meta = Parser().parsestr(z.read(f"{stem}.dist-info/METADATA").decode())
            assert (meta["Name"], meta["Version"], meta["Requires-Python"]) == (project["name"], project["version"], project["requires-python"])
            names = z.namelist()
            entry_points = z.read(f"{stem}.dist-info/entry_points.txt").decode()
        if project["name"] == "shequ-sdk":
            assert "[pytest11]\nshequ_sdk = shequ_sdk.testing" in entry_points and "shequ = shequ_sdk.launch:main" in entry_points
            continue
        (plugin,) = project["entry-points"]["shequ_sdk"]
        assert f"[shequ_sdk]\n{plugin} = " in entry_points
        assert any(n.endswith("_0001_baseline.py") and "/migrations/" in n for n in names), f"{stem} ships no migration baseline"
        assert "shequ-sdk" in meta.get_all("Requires-Dist")
