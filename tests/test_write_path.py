"""The validated write path on both backends: bad rows are refused with row, field and value
in Chinese and English, a batch with one bad row writes nothing, and upserts are idempotent."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shequ_sdk import Association, BatchError, Household, Resident
from shequ_sdk.records import write

GOOD_ID = "34052419800101001X"
BAD_ID = "340524198001010013"


def count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def households(region_id, n=3, **over):
    rows = [{"region_id": region_id, "number": f"{i + 1:04d}", "head_name": f"户主{i + 1}", "members": 3} for i in range(n)]
    for i, changes in over.items():
        rows[int(i.lstrip("r")) - 1].update(changes)
    return rows


@pytest.fixture
def village(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
    return p


def test_good_batch_is_written_and_coerced(sdk, village):
    rows = households(village["东村"].id, 3, r1={"head_id_number": "３４０５２４１９８００１０１００１ｘ", "phone": "13812345678", "members": "4"})
    result = sdk.write(Household, rows)
    assert (result.inserted, result.updated) == (3, 0)
    with sdk.transaction() as s:
        first = s.execute(select(Household).where(Household.number == "0001")).scalar_one()
        assert first.head_id_number == GOOD_ID  # full-width and lower-case x normalised
        assert first.members == 4  # "4" coerced to int
        assert first.synthetic is False


def test_return_ids_in_order(sdk, village):
    with sdk.transaction() as s:
        result = write(session=s, table="household", rows=households(village["西村"].id, 4), return_ids=True)
    assert len(result.ids) == 4 and result.ids == sorted(result.ids)
    with sdk.transaction() as s:
        numbers = dict(s.execute(select(Household.id, Household.number)).all())
    assert [numbers[i] for i in result.ids] == ["0001", "0002", "0003", "0004"]


def test_one_bad_row_refuses_the_whole_batch(sdk, village):
    rows = households(village["东村"].id, 5, r2={"head_id_number": BAD_ID})
    with pytest.raises(BatchError) as exc:
        sdk.write(Household, rows)
    assert count(sdk, Household) == 0  # nothing of the batch was written
    err = exc.value
    (p,) = err.problems
    assert (p.row, p.field, p.value, p.table) == (2, "head_id_number", BAD_ID, "household")
    assert "校验位" in p.message_zh and "check character" in p.message_en
    assert "第 2 行" in err.zh and "字段 head_id_number" in err.zh and repr(BAD_ID) in err.zh and "未写入任何数据" in err.zh
    assert "row 2" in err.en and "field head_id_number" in err.en and repr(BAD_ID) in err.en and "nothing was written" in err.en
    # the same batch, corrected, goes in whole
    rows[1]["head_id_number"] = GOOD_ID
    assert sdk.write(Household, rows).inserted == 5
    assert count(sdk, Household) == 5


def test_every_problem_is_listed_with_row_field_and_value(sdk, village):
    east, township = village["东村"].id, village["甲镇"].id
    rows = [
        {"region_id": east, "number": "0001", "head_name": "好户"},
        {"region_id": east, "number": "0002", "head_name": "甲", "members": 0},
        {"region_id": east, "number": "0003", "head_name": "乙", "phone": "12345"},
        {"region_id": east, "number": "0004"},
        {"region_id": east, "number": "0005", "head_name": "丙", "colour": "红"},
        {"region_id": 999999, "number": "0006", "head_name": "丁"},
        {"region_id": township, "number": "0007", "head_name": "戊"},
        {"region_id": east, "number": "0008", "head_name": "己", "members": "很多"},
        {"region_id": east, "number": "0009", "head_name": "庚", "members": 51},
    ]
    with pytest.raises(BatchError) as exc:
        sdk.write("household", rows)
    assert count(sdk, Household) == 0
    found = {(p.row, p.field): p for p in exc.value.problems}
    expected = {
        (2, "members"): (0, "不能小于 1", "greater than or equal to 1"),
        (3, "phone"): ("12345", "电话号码", "phone number"),
        (4, "head_name"): (None, "必填", "required"),
        (5, "colour"): ("红", "不是该表的字段", "Extra inputs are not permitted"),
        (6, "region_id"): (999999, "地区不存在", "no such region"),
        (7, "region_id"): ("甲镇", "只能登记在村/社区", "belong to a village"),
        (8, "members"): ("很多", "应为整数", "integer"),
        (9, "members"): (51, "不能大于 50", "less than or equal to 50"),
    }
    assert set(found) == set(expected)
    for key, (value, zh, en) in expected.items():
        p = found[key]
        assert p.value == value, key
        assert zh in p.message_zh and en in p.message_en, (key, p.message_zh, p.message_en)
        assert p.table == "household"
        # str() carries both languages with where-information
        assert f"第 {key[0]} 行" in str(p) and f"row {key[0]}" in str(p) and key[1] in str(p)
    assert "另有 7 个问题" in exc.value.zh and "and 7 more problems" in exc.value.en


def test_choice_labels_are_accepted_and_bad_choices_refused(sdk, village):
    sdk.write(Household, households(village["东村"].id, 1))
    with sdk.transaction() as s:
        hh = s.execute(select(Household.id)).scalar_one()
    base = {"region_id": village["东村"].id, "household_id": hh}
    sdk.write(Resident, [{**base, "name": "张三", "gender": "男"}, {**base, "name": "李四", "gender": "female"},
                         {**base, "name": "王五", "gender": " 女 "}])
    with sdk.transaction() as s:
        assert sorted(s.execute(select(Resident.gender)).scalars()) == ["female", "female", "male"]
    with pytest.raises(BatchError) as exc:
        sdk.write(Resident, [{**base, "name": "赵六", "gender": "未知"}])
    (p,) = exc.value.problems
    assert (p.row, p.field, p.value) == (1, "gender", "未知")
    assert "男、女" in p.message_zh and "male, female" in p.message_en
    assert count(sdk, Resident) == 3


def test_plugin_rules_refuse_rows(sdk, village):
    """The core registers its rules like any plugin; they run on every write."""
    rows = [
        {"region_id": village["东村"].id, "type_key": "no_such_type", "name": "某协会"},
    ]
    with pytest.raises(BatchError) as exc:
        sdk.write(Association, rows)
    (p,) = exc.value.problems
    assert (p.rule, p.field, p.value, p.row) == ("core.association_type_known", "type_key", "no_such_type", 1)
    assert "未知的协会类型" in p.message_zh and "unknown association type" in p.message_en
    assert count(sdk, Association) == 0


def test_rules_see_today(sdk, village, only_plugins):
    from shequ_sdk import AssociationType, hookimpl

    class WithType:
        @hookimpl
        def register_association_types(self, register):
            register(AssociationType(key="widgets", name_zh="小器件协会", name_en="Widget association"))

    only_plugins(WithType())
    row = {"region_id": village["东村"].id, "type_key": "widgets", "name": "东村小器件协会", "founded": date(2011, 6, 1)}
    with sdk.transaction() as s, pytest.raises(BatchError) as exc:
        write(session=s, table=Association, rows=[row], today=date(2011, 3, 31))
    assert exc.value.problems[0].rule == "core.association_dates"
    assert exc.value.problems[0].field == "founded"
    assert sdk.write(Association, [row], today=date(2011, 12, 31)).inserted == 1


def test_a_failed_batch_rolls_back_the_whole_transaction(sdk, village):
    east = village["东村"].id
    with pytest.raises(BatchError), sdk.transaction() as s:
        write(session=s, table=Household, rows=households(east, 2))
        assert s.execute(select(func.count()).select_from(Household)).scalar() == 2  # visible inside
        write(session=s, table=Household, rows=households(east, 1, r1={"number": "0099", "members": -1}))
    assert count(sdk, Household) == 0


def test_upsert_is_idempotent(sdk, village):
    east = village["东村"].id
    rows = households(east, 3)
    first = sdk.write(Household, rows, mode="upsert")
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    again = sdk.write(Household, rows, mode="upsert")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert count(sdk, Household) == 3
    # one changed row and one new row
    rows[1]["members"] = 6
    rows.append({"region_id": east, "number": "0004", "head_name": "户主4"})
    third = sdk.write(Household, rows, mode="upsert")
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 2)
    with sdk.transaction() as s:
        assert s.execute(select(Household.members).where(Household.number == "0002")).scalar_one() == 6
    assert count(sdk, Household) == 4


def test_upsert_refuses_duplicate_keys_inside_a_batch(sdk, village):
    east = village["东村"].id
    rows = households(east, 2) + [{"region_id": east, "number": "0001", "head_name": "重复"}]
    with pytest.raises(BatchError) as exc:
        sdk.write(Household, rows, mode="upsert")
    (p,) = exc.value.problems
    assert p.row == 3 and p.field == "region_id,number"
    assert "自然键重复" in p.message_zh and "duplicate natural key" in p.message_en
    assert count(sdk, Household) == 0


def test_insert_of_an_existing_key_fails_in_the_database(sdk, village):
    """Plain inserts leave uniqueness to the database: the batch fails whole as one InputError
    naming the conflict, and nothing stays."""
    from shequ_sdk import InputError

    east = village["东村"].id
    sdk.write(Household, households(east, 1))
    with pytest.raises(InputError) as info:
        sdk.write(Household, households(east, 3))
    assert "重复" in info.value.zh and "nothing was written" in info.value.en
    assert count(sdk, Household) == 1


def test_unknown_tables_are_input_errors(sdk):
    from shequ_sdk import InputError, NotFoundError

    with pytest.raises(NotFoundError) as exc:
        sdk.write("no_such_table", [{}])
    assert "未知的数据表" in exc.value.zh and "unknown table" in exc.value.en and "household" in exc.value.en
    with pytest.raises(InputError):
        sdk.write(42, [{}])

