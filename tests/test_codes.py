import datetime as dt

import pytest

from app import codes


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_known_valid_ids_pass(number):
    rid = codes.parse_resident_id(number)
    assert rid.number == number
    assert not rid.legacy


def test_id_fields_are_read_from_the_number():
    rid = codes.parse_resident_id("11010519491231002X")
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.sex == "女"  # sequence 002: even
    assert rid.address_code == "110105"


def test_wrong_check_digit_is_refused_with_the_expected_digit():
    with pytest.raises(codes.InvalidResidentId, match="校验位.*X"):
        codes.parse_resident_id("110105194912310021")


def test_lowercase_x_and_fullwidth_digits_are_normalised():
    assert codes.parse_resident_id("11010519491231002x").number == "11010519491231002X"
    assert codes.parse_resident_id("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


def test_legacy_15_digit_id_is_accepted_and_flagged():
    rid = codes.parse_resident_id("110105491231002")
    assert rid.legacy
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.sex == "女"


@pytest.mark.parametrize("number", ["110105194902300026", "110105203001010011", "1101051949123"])
def test_impossible_dates_and_lengths_are_refused(number):
    with pytest.raises(codes.InvalidResidentId):
        codes.parse_resident_id(number, today=dt.date(2026, 1, 1))


def test_excel_scientific_notation_is_detected_not_repaired():
    with pytest.raises(codes.InvalidResidentId, match="科学计数法"):
        codes.parse_resident_id("1.10105E+17")


def test_consistency_with_typed_birth_date_and_sex():
    rid = codes.parse_resident_id("11010519491231002X")
    assert codes.check_resident_id_consistency(rid, birth_date=dt.date(1949, 12, 31), sex="女") == []
    problems = codes.check_resident_id_consistency(rid, birth_date=dt.date(1950, 1, 1), sex="男")
    assert len(problems) == 2


def test_generated_ids_validate():
    for seq in range(0, 40):
        for sex in ("男", "女"):
            number = codes.make_resident_id("370681", dt.date(1980, 2, 29), seq, sex)
            assert codes.parse_resident_id(number).sex == sex


def test_mask():
    assert codes.mask_resident_id("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0000 1234", "13800001234"),
        ("138-0000-1234", "13800001234"),
        (13800001234.0, "13800001234"),
        ("13800001234.0", "13800001234"),
        ("+86 13800001234", "13800001234"),
        ("0535-1234567", "0535-1234567"),
        ("(0535)1234567", "0535-1234567"),
        ("010 12345678", "010-12345678"),
        ("１３８００００１２３４", "13800001234"),
        ("8613800001234", "13800001234"),  # +86 with the + left out
        (8613800001234.0, "13800001234"),
    ],
)
def test_phone_normaliser(raw, expected):
    assert codes.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["1234567", "12800001234", "abc", "1380000123", "8623800001234", "861380000123"]
)
def test_bad_phones_are_refused(raw):
    with pytest.raises(codes.InvalidPhone):
        codes.normalize_phone(raw)


def test_division_codes():
    assert codes.check_village_code("370681101201", "370681101") == "370681101201"
    with pytest.raises(codes.InvalidDivisionCode, match="前 9 位"):
        codes.check_village_code("370681102201", "370681101")
    with pytest.raises(codes.InvalidDivisionCode):
        codes.check_town_code("37068110")


def test_a_village_code_ending_in_000_is_the_town_itself():
    with pytest.raises(codes.InvalidDivisionCode, match="后 3 位是 000"):
        codes.check_village_code("370681101000", "370681101")
    assert codes.check_village_code("370681101001") == "370681101001"  # a 居委会 is a village here
