"""``shequ export --format parquet`` as a user runs it: a separate process on a small generated
county, as an analyst signed in with ``--user``; bad input gets one bilingual line and exit 2."""

from __future__ import annotations

import json
import subprocess

import pyarrow.dataset as ds
import pytest

from tests.conftest import shequ_command

GEN = ["--townships", "1", "--villages-per-township", "2", "--households-per-village", "15", "--years", "1", "--last-year", "2020", "--no-cells"]
PASSWORD = "analyst-pass-123"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("export_cli")
    db = base / "county.db"
    subprocess.run([*shequ_command(), "generate", "--db", str(db), "--quiet", *GEN], check=True, capture_output=True, cwd=base)
    subprocess.run([*shequ_command(), "user", "add", "an", "--role", "analyst", "--password-stdin", "--db", str(db)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=base)
    return db


def test_export_parquet_as_an_analyst_then_incrementally(county, shequ, tmp_path):
    out = tmp_path / "pq"
    args = ["export", "--format", "parquet", "--db", str(county), "--out", str(out), "--tables", "household,sanitation_collection_run,indicator_values",
            "--years", "2020", "--user", "an"]
    first = shequ(*args, env={"SHEQU_PASSWORD": PASSWORD})
    assert first.returncode == 0, first.stderr
    assert "已导出 / exported" in first.stdout and "写入 written" in first.stdout
    assert "导出 / exporting" in first.stderr  # the progress bar
    households = ds.dataset(out / "household", format="parquet", partitioning="hive").to_table().to_pandas()
    assert len(households) > 15 and households["head_id_number"].str.contains(r"\*{8}").all()  # masked for the analyst
    runs = ds.dataset(out / "sanitation_collection_run", format="parquet", partitioning="hive").to_table()
    assert {str(x) for x in runs.column("county").unique().to_pylist()} == {"439901"}
    assert sorted(p.name for p in (out / "indicator_values" / "county=439901").iterdir()) == ["year=2020"]  # --years
    schema = json.loads((out / "_schema.json").read_text(encoding="utf-8"))
    assert schema["user"] == "an" and schema["tables"]["household"]["columns"]["head_id_number"]["masked"] is True

    again = shequ(*args, "--incremental", "--quiet", env={"SHEQU_PASSWORD": PASSWORD})
    assert again.returncode == 0 and "写入 written 0 ·" in again.stdout and again.stderr == ""


@pytest.mark.parametrize("extra, words", [
    (["--tables", "nosuch"], "没有数据表 'nosuch'"),
    (["--period", "2020"], "--period"),
    (["--years", "20x"], "2019-2020"),
    (["--region", "不存在的县"], "找不到地区"),
])
def test_bad_input_is_one_line_and_exit_2(county, shequ, tmp_path, extra, words):
    result = shequ("export", "--format", "parquet", "--db", str(county), "--out", str(tmp_path / "pq"), *extra)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "/" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "pq").exists()


def test_out_must_be_a_directory_for_parquet(county, shequ, tmp_path):
    result = shequ("export", "--format", "parquet", "--db", str(county))
    assert result.returncode == 2 and "--out" in result.stderr
    result = shequ("export", "--format", "parquet", "--db", str(county), "--out", str(county))
    assert result.returncode == 2 and "不是目录" in result.stderr and "not a directory" in result.stderr
