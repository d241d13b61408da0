"""The write path's fast validator accepts exactly what the careful, row-by-row path accepts,
with the same values; anything it refuses goes to the careful path, which names the problem."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk import Household
from shequ_sdk.records import _careful, _plan

GOOD_ID = "34052419800101001X"


def both(model, rows):
    plan = _plan(model)
    try:
        fast = plan.fast.validate_python(rows)
    except Exception:
        fast = None
    careful, problems = _careful(plan, [dict(r) for r in rows])
    return fast, careful, problems


CASES = [
    {"region_id": 1, "number": "0001", "head_name": "张三"},
    {"region_id": "1", "number": " 0002 ", "head_name": " 李四 ", "members": "3", "synthetic": "true"},
    {"region_id": 1, "number": "0003", "head_name": "王五", "head_id_number": GOOD_ID, "phone": "13812345678"},
    {"region_id": 1, "number": "0004", "head_name": "赵六", "head_id_number": "３４０５２４１９８００１０１００１ｘ"},
    {"region_id": 1, "number": "0005", "head_name": "钱七", "head_id_number": ""},
    {"region_id": 1, "number": "0006", "head_name": "   "},
    {"region_id": 1, "number": "0007", "head_name": "孙八", "head_id_number": "340524198001010013"},
    {"region_id": 1, "number": "0008", "head_name": "周九", "phone": "12345"},
    {"region_id": 1, "number": "0009", "head_name": "吴十", "members": 0},
    {"region_id": 1, "number": "0010", "head_name": "郑一", "colour": "红"},
    {"region_id": 1, "number": "0011"},
]


@pytest.mark.parametrize("row", CASES, ids=[c["number"] for c in CASES])
def test_fast_and_careful_paths_agree(row):
    fast, careful, problems = both(Household, [row])
    if fast is not None:
        # accepted fast: the careful path accepts it too, with the very same values
        assert not problems
        assert fast == [dict(careful[0])] and type(fast[0]).__name__ == "RowView"
    elif not problems:
        # refused fast for a value the careful path normalises (a blank optional ID number)
        assert careful[0] is not None


def test_choice_labels_map_to_codes_on_the_fast_path():
    from shequ_sdk import Resident

    rows = [{"region_id": 1, "household_id": 1, "name": "张三", "gender": g} for g in ("男", "female", "male", "女")]
    fast, careful, problems = both(Resident, rows)
    assert not problems and fast is not None
    assert [r["gender"] for r in fast] == [r["gender"] for r in careful] == ["male", "female", "male", "female"]
    # a label with spaces or an unknown value leaves the fast path; the careful path decides
    fast, careful, problems = both(Resident, [{"region_id": 1, "household_id": 1, "name": "李四", "gender": " 女 "}])
    assert fast is None and not problems and careful[0]["gender"] == "female"
    fast, _careful_rows, problems = both(Resident, [{"region_id": 1, "household_id": 1, "name": "王五", "gender": "未知"}])
    assert fast is None and problems and problems[0][0].field == "gender"


def test_defaults_are_filled_on_the_fast_path():
    fast, careful, problems = both(Household, [{"region_id": 1, "number": "0001", "head_name": "张三"}])
    assert fast[0]["members"] == 1 and fast[0]["synthetic"] is False and fast[0]["phone"] is None
    assert fast == [dict(careful[0])]


def test_a_large_valid_batch_takes_the_fast_path_and_writes(sdk):
    """Rules still run on every row of a batch validated fast (ctx.batch, row numbers)."""
    from shequ_sdk.records import write
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="甲县", kind="county", code="430998")
        town = create_region(session=s, name="甲镇", kind="township", parent=county, code="430998100000")
        village = create_region(session=s, name="甲村", kind="village", parent=town, code="430998100200")
        rows = [{"region_id": village.id, "number": f"{i:04d}", "head_name": f"户主{i}"} for i in range(1, 2001)]
        assert write(session=s, table=Household, rows=rows).inserted == 2000
    from shequ_sdk import BatchError

    with pytest.raises(BatchError) as exc, sdk.transaction() as s:
        ok = {"region_id": village.id, "type_key": "sanitation", "name": "甲村环卫协会", "founded": dt.date(2010, 1, 1)}
        bad = {"region_id": village.id, "type_key": "no_such_type", "name": "某协会", "founded": dt.date(2010, 1, 1)}
        write(session=s, table="association", rows=[ok, ok | {"name": "乙"}, bad], today=dt.date(2011, 1, 1))
    (p,) = exc.value.problems
    assert (p.row, p.rule, p.field, p.value) == (3, "core.association_type_known", "type_key", "no_such_type")
