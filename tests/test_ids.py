"""Identity numbers and codes (DOMAIN.md §10): GB 11643 ID numbers, 6- and 12-digit region
codes, GB 32100 credit codes, phone numbers, and the one masking helper."""

import math
from datetime import date

import pytest

from shequ_sdk import InputError
from shequ_sdk.ids import (
    credit_code_problem,
    id_check_char,
    id_number_problem,
    make_credit_code,
    make_id_number,
    mask,
    normalise_id_number,
    phone_problem,
    region_code_problem,
    validate_id_number,
    validate_region_code,
)


@pytest.mark.parametrize("number", ["34052419800101001X", "11010519491231002X", "34052419800101001x", "３４０５２４１９８００１０１００１Ｘ"])
def test_valid_id_numbers_from_domain_md(number):
    assert id_number_problem(number) is None
    assert validate_id_number(number) == normalise_id_number(number)
    assert validate_id_number(number).endswith("X")


def test_check_character_mod_11_2():
    assert id_check_char("34052419800101001") == "X"
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("34052419800101001".replace("001", "002", 1)[:17]) != "X"


def test_wrong_check_character_is_refused_in_both_languages():
    problem = id_number_problem("340524198001010013")
    assert problem is not None
    zh, en = problem
    assert "校验位" in zh and "应为 X" in zh
    assert "check character" in en and "expected X" in en
    with pytest.raises(InputError) as exc:
        validate_id_number("340524198001010013")
    assert "340524198001010013" in exc.value.zh and "340524198001010013" in exc.value.en


@pytest.mark.parametrize(
    "number, en_fragment",
    [
        ("34052419800101001", "18 characters"),
        ("3405241980010100100", "18 characters"),
        ("34052419800101A01X", "18 characters"),
        ("340524198002300019", "not a real date"),  # 30 February
        ("340524187001010011", "implausible"),  # born 1870
        ("340524" + f"{date.today().year + 1}0101" + "0011", "implausible"),  # born next year
    ],
)
def test_malformed_id_numbers(number, en_fragment):
    problem = id_number_problem(number)
    assert problem is not None and en_fragment in problem[1] and problem[0]


def test_made_id_numbers_validate():
    for seq in (1, 2, 998, 1234):
        n = make_id_number("430921", date(1975, 6, 30), seq)
        assert len(n) == 18 and id_number_problem(n) is None and n[6:14] == "19750630"


@pytest.mark.parametrize("code", ["430921", "110105", "820000", "430921100000", "430921000000", "320508019044", "430921100201", "430921599999"])
def test_valid_region_codes(code):
    assert region_code_problem(code) is None
    assert validate_region_code(f" {code} ") == code


@pytest.mark.parametrize(
    "code, en_fragment",
    [
        ("43092", "6 or 12 digits"),
        ("4309211", "6 or 12 digits"),
        ("43092110000", "6 or 12 digits"),
        ("43092A", "6 or 12 digits"),
        ("001234", "province"),
        ("990101", "province"),
        ("100101", "province"),
        ("430921000001", "township 000 must have village 000"),
        ("430921600000", "001–599"),
        ("430921999200", "001–599"),
    ],
)
def test_invalid_region_codes(code, en_fragment):
    problem = region_code_problem(code)
    assert problem is not None and en_fragment in problem[1] and problem[0]
    with pytest.raises(InputError) as exc:
        validate_region_code(code)
    assert code in exc.value.zh and code in exc.value.en


def test_credit_code_sample_from_domain_md():
    assert credit_code_problem("91350100M000100Y43") is None
    assert credit_code_problem("91350100m000100y43") is None  # case-insensitive on input
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "code, en_fragment",
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100I43", "18 characters"),  # I is not in the character set
        ("91350100M000100O43", "18 characters"),
    ],
)
def test_invalid_credit_codes(code, en_fragment):
    problem = credit_code_problem(code)
    assert problem is not None and en_fragment in problem[1] and problem[0]


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "0737-5221234", "07375221234", "010-12345678"])
def test_valid_phones(phone):
    assert phone_problem(phone) is None


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "5221234", "abc", "+8613812345678"])
def test_invalid_phones(phone):
    zh, en = phone_problem(phone)
    assert "电话号码" in zh and "phone number" in en


def test_mask_by_kind():
    assert mask("34052419800101001X", "id") == "340524********001X"
    assert mask("13812345678", "phone") == "138****5678"
    assert mask("0737-5221234", "phone") == "073*****1234"
    assert mask("张三丰", "name") == "张**"
    assert mask("李", "name") == "*"
    assert mask("家庭住址很长", "text") == "***"
    assert mask("123", "id") == "***"


def test_mask_hides_the_birth_date_and_keeps_the_length():
    masked = mask("11010519491231002X", "id")
    assert "19491231" not in masked and len(masked) == 18


def test_mask_leaves_missing_values_alone_and_refuses_unknown_kinds():
    assert mask(None, "id") is None
    assert mask("", "name") == ""
    nan = float("nan")
    assert math.isnan(mask(nan, "phone"))
    with pytest.raises(ValueError):
        mask("x", "email")
