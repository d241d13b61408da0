"""Chunked frames, Arrow-backed dtypes and the Parquet export, on both backends.

- ``iter_frames`` yields the same rows, types, masks and labels as ``frame``, filters in SQL;
- ``dtype_backend="pyarrow"`` gives Arrow dtypes with the same values;
- the Parquet export round-trips (rows and money sums per table and partition equal the
  database's), stays masked for an analyst, and an incremental export after one new row
  rewrites exactly one partition.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from shequ_sdk import InputError
from shequ_sdk.auth import Actor

from .conftest import LEDGER, NAMES

TABLE = LEDGER


# -- chunks ---------------------------------------------------------------------------------------

def test_iter_frames_concatenated_equal_the_frame(ledger, statements):
    sdk, rows = ledger
    whole = sdk.frame(TABLE, region="甲镇", with_region=True, yuan=True)
    seen = statements(sdk.engine)
    chunks = list(sdk.iter_frames(TABLE, region="甲镇", with_region=True, yuan=True, chunksize=5))
    assert [len(c) for c in chunks] == [5, 5, 2] and len(whole) == 12
    joined = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole)
    assert all(c.attrs == whole.attrs for c in chunks)
    assert whole.attrs["masked"] == ["payee_name", "payee_phone"]
    assert set(joined["payee_name"]) <= {n[0] + "*" * (len(n) - 1) for n in NAMES}
    # keyset pagination: each chunk is one statement with the region filter and "id >" after the first
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT") and TABLE in s]
    assert len(selects) == 3 and all("region_id IN" in s for s in selects)
    assert "id >" in selects[1] and "LIMIT" in selects[0].upper()


def test_iter_frames_without_the_id_column_and_with_filters(ledger):
    sdk, rows = ledger
    args = dict(period="2010", columns=["entry_date", "amount_fen", "category"], where={"category": "银行转账"})
    whole = sdk.frame(TABLE, **args)
    chunks = list(sdk.iter_frames(TABLE, chunksize=2, **args))
    assert list(chunks[0].columns) == ["entry_date", "amount_fen", "category"]  # the paging id stays hidden
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert len(whole) == sum(1 for r in rows if r["category"] == "bank") > 2


def test_iter_frames_checks_arguments_before_the_first_chunk(ledger):
    sdk, _ = ledger
    with pytest.raises(InputError):
        sdk.iter_frames(TABLE, columns=["nope"])
    with pytest.raises(InputError):
        sdk.iter_frames(TABLE, chunksize=0)
    assert list(sdk.iter_frames(TABLE, region="乙一社区", period="2011")) == []


def test_pyarrow_backend_dtypes(ledger):
    sdk, _ = ledger
    plain = sdk.frame(TABLE, yuan=True)
    arrow = sdk.frame(TABLE, yuan=True, dtype_backend="pyarrow")
    expected = {"id": "int64[pyarrow]", "entry_date": "timestamp[ns][pyarrow]", "posted_at": "timestamp[ns][pyarrow]",
                "quarter": "string[pyarrow]", "amount_fen": "int64[pyarrow]", "amount_yuan": "decimal128(20, 2)[pyarrow]",
                "payee_name": "string[pyarrow]", "approved": "bool[pyarrow]", "note": "string[pyarrow]"}
    assert {c: str(arrow[c].dtype) for c in expected} == expected
    assert isinstance(arrow["category"].dtype, pd.CategoricalDtype)
    assert list(arrow["category"].cat.categories) == list(plain["category"].cat.categories)
    assert arrow.attrs == plain.attrs
    assert arrow["amount_fen"].sum() == plain["amount_fen"].sum()
    assert arrow["amount_yuan"].tolist() == plain["amount_yuan"].tolist()  # exact Decimals
    assert arrow["payee_name"].tolist() == plain["payee_name"].tolist()  # masked alike
    assert arrow["posted_at"].isna().sum() == plain["posted_at"].isna().sum() > 0
    with pytest.raises(InputError):
        sdk.frame(TABLE, dtype_backend="numpy")


# -- Parquet --------------------------------------------------------------------------------------

def _db_sums(sdk) -> dict[str, tuple[int, int]]:
    """``{year: (rows, Σ amount_fen)}`` of the ledger, by SQL."""
    with sdk.engine.connect() as c:
        year = "strftime('%Y', entry_date)" if sdk.engine.dialect.name == "sqlite" else "to_char(entry_date, 'YYYY')"
        return {str(y): (n, int(s)) for y, n, s in c.execute(text(f"SELECT {year}, count(*), sum(amount_fen) FROM {TABLE} GROUP BY 1"))}


def test_parquet_round_trip_per_partition_and_masked_for_an_analyst(ledger, tmp_path):
    sdk, rows = ledger
    analyst = sdk.as_user(Actor("an", "analyst"))
    report = analyst.export_parquet(tmp_path / "pq", unmasked=True)  # asking for clear columns: an analyst still gets masks
    root = tmp_path / "pq"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    assert f"{TABLE}/county=430921/year=2010/part-0.parquet" in files
    assert "region/county=430921/part-0.parquet" in files
    assert any(f.startswith("indicator_values/county=430921/year=2010/") for f in files)
    assert sorted(report.written) == files

    # per partition: rows and money sums equal the database's
    sums = _db_sums(sdk)
    for year, (n, fen) in sums.items():
        part = pq.read_table(root / TABLE / "county=430921" / f"year={year}" / "part-0.parquet")
        assert part.num_rows == n and pa.compute.sum(part["amount_fen"]).as_py() == fen
    dataset = ds.dataset(root / TABLE, format="parquet", partitioning="hive").to_table()
    assert dataset.num_rows == len(rows) and pa.compute.sum(dataset["amount_fen"]).as_py() == sum(r["amount_fen"] for r in rows)

    # masked exactly as frames are for the same user
    exported = dataset.to_pandas().sort_values("id").reset_index(drop=True)
    framed = analyst.frame(TABLE)
    assert exported["payee_name"].tolist() == framed["payee_name"].tolist()
    assert not set(exported["payee_name"]) & set(NAMES)
    assert all("****" in p for p in exported["payee_phone"].dropna())
    assert exported["category"].tolist() == framed["category"].astype(str).tolist()  # labels, as frames give them
    assert exported["entry_date"].tolist() == [d.date() for d in framed["entry_date"]]

    schema = json.loads((root / "_schema.json").read_text(encoding="utf-8"))
    cols = schema["tables"][TABLE]["columns"]
    assert cols["payee_name"]["masked"] is True and cols["payee_phone"]["masked"] is True
    assert cols["amount_fen"] == {"label_zh": "金额(分)", "label_en": "Amount (fen)", "type": "int64", "value_type": "money_fen",
                                  "unit_zh": "分", "unit_en": "fen"}
    assert schema["tables"][TABLE]["partitioning"] == ["county", "year"]
    assert schema["tables"]["indicator_values"]["indicators"]["analytics_test.paid"]["unit_zh"] == "元"

    # an administrator asking for clear columns gets them; without asking, masks as frames
    admin = sdk.as_user(Actor("ad", "admin"))
    admin.export_parquet(tmp_path / "clear", tables=[TABLE], unmasked=True)
    clear = ds.dataset(tmp_path / "clear" / TABLE, format="parquet", partitioning="hive").to_table().to_pandas()
    assert set(clear["payee_name"]) == set(NAMES)


def test_indicator_values_roll_up_to_the_sdk_figures(ledger, tmp_path):
    sdk, _ = ledger
    sdk.export_parquet(tmp_path / "pq", tables="indicator_values")
    values = ds.dataset(tmp_path / "pq" / "indicator_values", format="parquet", partitioning="hive").to_table().to_pandas()
    share = values[values["indicator"] == "analytics_test.cash_share"]
    rolled = share.groupby("year")[["numerator", "denominator"]].sum()
    expected = sdk.indicators("analytics_test.cash_share", regions="测试县", periods="2010", level="county")
    assert rolled.loc[2010, "numerator"] / rolled.loc[2010, "denominator"] == pytest.approx(expected["value"].iloc[0])
    villages = sdk.indicators("analytics_test.paid", regions="测试县", periods="2010")
    paid = values[values["indicator"] == "analytics_test.paid"].set_index("region_id")["value"]
    assert {int(k): v for k, v in paid.items()} == pytest.approx(dict(zip(villages["region_id"].astype(int), villages["value"])))


def test_incremental_export_rewrites_only_the_changed_partition(ledger, tmp_path):
    sdk, rows = ledger
    root = tmp_path / "pq"
    first = sdk.export_parquet(root, tables=[TABLE, "region"])
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    assert len(first.written) == len(stamps) == 2  # 2010 ledger + regions

    again = sdk.export_parquet(root, tables=[TABLE, "region"], incremental=True)
    assert again.written == [] and sorted(again.unchanged) == sorted(first.written)

    village = sdk.region("甲二村").id
    sdk.write(TABLE, [{"region_id": village, "entry_date": dt.date(2011, 2, 3), "quarter": "2011Q1", "amount_fen": 500,
                       "category": "cash", "payee_name": "钱七"}])
    sdk.write(TABLE, [{"region_id": village, "entry_date": dt.date(2010, 2, 3), "quarter": "2010Q1", "amount_fen": 700,
                       "category": "cash", "payee_name": "孙八"}])
    third = sdk.export_parquet(root, tables=[TABLE, "region"], incremental=True)
    # one new row in 2010 rewrites that partition; the first row of 2011 creates one; regions untouched
    assert sorted(third.written) == [f"{TABLE}/county=430921/year=2010/part-0.parquet", f"{TABLE}/county=430921/year=2011/part-0.parquet"]
    assert third.unchanged == ["region/county=430921/part-0.parquet"]
    region_file = root / "region/county=430921/part-0.parquet"
    assert region_file.stat().st_mtime_ns == stamps[region_file]
    manifest = json.loads((root / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["partitions"][f"{TABLE}/county=430921/year=2010/part-0.parquet"]["rows"] == 18

    # exactly one new row: exactly one partition rewritten
    sdk.write(TABLE, [{"region_id": village, "entry_date": dt.date(2011, 5, 6), "quarter": "2011Q2", "amount_fen": 900,
                       "category": "bank", "payee_name": "周九"}])
    fourth = sdk.export_parquet(root, tables=[TABLE, "region"], incremental=True)
    assert fourth.written == [f"{TABLE}/county=430921/year=2011/part-0.parquet"] and len(fourth.unchanged) == 2

    # a row deleted: its now-empty partition is removed with its directory
    with sdk.engine.begin() as c:
        c.execute(text(f"DELETE FROM {TABLE} WHERE entry_date >= '2011-01-01'"))
    fifth = sdk.export_parquet(root, tables=[TABLE, "region"], incremental=True)
    assert fifth.removed == [f"{TABLE}/county=430921/year=2011/part-0.parquet"] and not (root / TABLE / "county=430921" / "year=2011").exists()


def test_export_refuses_a_foreign_directory_and_bad_tables(ledger, tmp_path):
    sdk, _ = ledger
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="_manifest.json"):
        sdk.export_parquet(tmp_path / "other")
    with pytest.raises(InputError, match="nosuch"):
        sdk.export_parquet(tmp_path / "pq", tables="nosuch")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_a_year_selects_finer_period_labels_of_a_quarterly_table(quarter_ledger):
    """A quarterly table may hold monthly rows (finance postings do): a year or a quarter
    selects them, so a frame — and every Parquet year partition — misses none."""
    sdk, rows = quarter_ledger
    village = sdk.region("甲一村").id
    with sdk.engine.begin() as c:  # a monthly label, as monthly financial disclosure stores it
        c.execute(text(f"INSERT INTO {TABLE} (region_id, synthetic, entry_date, quarter, amount_fen, category, payee_name, approved) "
                       "VALUES (:r, false, '2010-05-02', '2010-05', 99, 'cash', '吴十', false)"), {"r": village})
    assert 99 in sdk.frame(TABLE, period="2010")["amount_fen"].tolist()
    assert 99 in sdk.frame(TABLE, period="2010Q2")["amount_fen"].tolist()
    assert 99 not in sdk.frame(TABLE, period="2010Q1")["amount_fen"].tolist()
    assert len(sdk.frame(TABLE, period="2010")) == len(rows) + 1


def test_years_limit_the_partitions_and_leave_other_years_alone(ledger, tmp_path):
    sdk, _ = ledger
    root = tmp_path / "pq"
    village = sdk.region("甲二村").id
    sdk.write(TABLE, [{"region_id": village, "entry_date": dt.date(2011, 2, 3), "quarter": "2011Q1", "amount_fen": 500,
                       "category": "cash", "payee_name": "钱七"}])
    sdk.export_parquet(root, tables=[TABLE, "indicator_values"])
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    assert f"{TABLE}/county=430921/year=2011/part-0.parquet" in before
    only = sdk.export_parquet(root, tables=[TABLE, "indicator_values"], years="2010", incremental=True)
    assert only.written == [] and only.removed == [] and all("year=2010" in p for p in only.unchanged)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet")) == before
    fresh = sdk.export_parquet(tmp_path / "only2011", tables=[TABLE, "indicator_values"], years=[2011])
    assert sorted(fresh.written) == sorted([f"{TABLE}/county=430921/year=2011/part-0.parquet",
                                            "indicator_values/county=430921/year=2011/part-0.parquet"])
    with pytest.raises(InputError, match="2019-2020"):
        sdk.export_parquet(tmp_path / "bad", years="twenty")


def test_another_users_export_into_the_same_directory_replaces_every_partition(ledger, tmp_path):
    sdk, _ = ledger
    root = tmp_path / "pq"
    admin = sdk.as_user(Actor("ad", "admin"))
    admin.export_parquet(root, tables=[TABLE, "region"], unmasked=True)  # clear names
    analyst = sdk.as_user(Actor("an", "analyst"))
    report = analyst.export_parquet(root, tables=[TABLE], incremental=True)
    assert report.options_changed and report.written == [f"{TABLE}/county=430921/year=2010/part-0.parquet"]
    assert report.removed == ["region/county=430921/part-0.parquet"]  # not re-exported for this user: gone
    names = ds.dataset(root / TABLE, format="parquet", partitioning="hive").to_table().column("payee_name").to_pylist()
    assert not set(names) & set(NAMES)


def test_a_chunk_assembled_from_pages_keeps_its_dtypes(ledger, monkeypatch):
    """Chunks are read in pages of PAGE_ROWS rows (bounded memory); the pages join into one typed chunk."""
    from shequ_sdk import frames

    sdk, _ = ledger
    monkeypatch.setattr(frames, "PAGE_ROWS", 2)
    whole = sdk.frame(TABLE, yuan=True, with_region=True)
    chunks = list(sdk.iter_frames(TABLE, yuan=True, with_region=True, chunksize=7))
    assert [len(c) for c in chunks] == [7, 7, 3]
    assert all(c.dtypes.equals(whole.dtypes) and c.attrs == whole.attrs for c in chunks)
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
