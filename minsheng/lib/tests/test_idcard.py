import pickle
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minsheng.lib import idcard
from minsheng.lib.idcard import (
    IdInfo,
    InvalidIdNumber,
    check_char,
    is_valid,
    normalize,
    parse,
    repair_candidates,
)

TODAY = date(2025, 6, 30)
# GB 11643-1999's own worked examples.
BEIJING_1949 = "11010519491231002X"  # female, born 1949-12-31
GUANGDONG_1880 = "440524188001010014"  # male, born 1880-01-01


def make(area: str, born: date, seq: int) -> str:
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    return body + check_char(body)


valid_numbers = st.builds(
    make,
    area=st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(sorted(idcard.PROVINCE_CODES)),
        st.text("0123456789", min_size=4, max_size=4),
    ),
    born=st.dates(min_value=date(1880, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999),
)

legacy_numbers = st.builds(
    lambda area, born, seq: f"{area}{born:%y%m%d}{seq:03d}",
    area=st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(sorted(idcard.PROVINCE_CODES)),
        st.text("0123456789", min_size=4, max_size=4),
    ),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    seq=st.integers(0, 999),
)


def error_code(raw, today=TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        normalize(raw, today=today)
    return info.value.code


# check_char


def test_it_computes_the_standard_examples_check_characters():
    assert check_char(BEIJING_1949[:17]) == "X"
    assert check_char(GUANGDONG_1880[:17]) == "4"


@pytest.mark.parametrize(
    "body", ["", "1101051949123100", "110105194912310021", "1101051949123100a", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢"]
)
def test_it_refuses_a_body_that_is_not_17_ascii_digits(body):
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_char(body)


# normalize: accepted forms


@pytest.mark.parametrize(
    "raw",
    [
        BEIJING_1949,
        "11010519491231002x",
        "  11010519491231002X\t",
        "110105 19491231 002X",
        "110105-19491231-002x",
        "110105－19491231－002ｘ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５\u3000１９４９１２３１\u3000００２ｘ",
        "\ufeff11010519491231002X",
        "'11010519491231002X",
        "110105491231002",
        "110105 491231 002",
        "1.10105491231002E+14",
    ],
)
def test_it_normalises_formatting_noise_to_the_canonical_number(raw):
    assert normalize(raw, today=TODAY) == BEIJING_1949


@pytest.mark.parametrize(
    "raw",
    [
        "440524188001010014.0",
        "440524188001010014.",
        "440524188001010014.000",
        "４４０５２４１８８００１０１００１４．０",
        "4.40524188001010014E+17",
        "4.40524188001010014e17",
        "440524188001010014E0",
    ],
)
def test_it_recovers_excel_floats_that_kept_every_digit(raw):
    assert normalize(raw, today=TODAY) == GUANGDONG_1880


def test_it_converts_a_15_digit_legacy_number_with_the_19th_century_prefix():
    assert (
        normalize("440524800101001", today=TODAY) == "440524198001010013"
    )  # checked by hand: sum 196, 196 % 11 = 9 → 3


def test_it_uses_the_current_date_when_today_is_not_given():
    assert normalize(BEIJING_1949) == BEIJING_1949


# normalize: rejected forms, one per error code


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "--", None])
def test_it_reports_empty_input(raw):
    assert error_code(raw) == "empty"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002Y",
        "1101051949123100X2",
        "X11010519491231002",
        "110105194912310O2X",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",
        "11010549123100X",
        "1.5",
        "1.5E+0",
        "+11010519491231002X",
    ],
)
def test_it_reports_bad_characters(raw):
    assert error_code(raw) == "bad_chars"


@pytest.mark.parametrize(
    "raw", ["1", "1101051949123100", "1101051949123100212", "1101051949123100210", "1.23E+5"]
)
def test_it_reports_a_bad_length(raw):
    assert error_code(raw) == "bad_length"


@pytest.mark.parametrize(
    "raw",
    [
        "1.50302199001011E+17",
        "1.50302199001011e+17",
        "1.5E+17",
        "1.50302900101E+14",
        "１．５０３０２１９９００１０１１Ｅ＋１７",
    ],
)
def test_it_reports_floats_that_lost_digits_instead_of_guessing(raw):
    assert error_code(raw) == "float_precision_lost"


@pytest.mark.parametrize(
    "body",
    [
        "11010519491301002",  # month 13
        "11010519490230002",  # 30 February
        "11010518791231002",  # before 1880
        "11010520250701002",  # after TODAY
        "11010500000101002",  # year 0
    ],
)
def test_it_reports_impossible_birth_dates(body):
    assert error_code(body + check_char(body)) == "bad_birth_date"


def test_it_reports_a_bad_birth_date_in_a_legacy_number():
    assert error_code("110105491331002") == "bad_birth_date"


def test_it_accepts_a_birth_date_of_today_and_the_1880_floor():
    born_today = make("150302", TODAY, 1)
    assert normalize(born_today, today=TODAY) == born_today
    assert error_code(born_today, today=TODAY - timedelta(days=1)) == "bad_birth_date"
    assert normalize(GUANGDONG_1880, today=TODAY) == GUANGDONG_1880


@pytest.mark.parametrize(
    "area",
    ["010105", "990105", "160105", "200105", "380105", "470105", "550105", "720105", "840105"],
)
def test_it_reports_area_codes_outside_any_province(area):
    assert error_code(make(area, date(1990, 1, 1), 123)) == "bad_area_code"


@pytest.mark.parametrize(
    "province", ["11", "15", "23", "37", "46", "50", "54", "65", "71", "81", "82", "83"]
)
def test_it_accepts_every_province_range_edge(province):
    assert is_valid(make(province + "0101", date(1990, 1, 1), 1), today=TODAY)


def test_it_accepts_an_area_code_newer_than_the_birth_year():
    # 海勃湾区 (150302) dates from 1976; people born before still carry it.
    number = make("150302", date(1930, 5, 6), 11)
    assert normalize(number, today=TODAY) == number


def test_it_reports_a_wrong_check_character_without_repairing_it():
    with pytest.raises(InvalidIdNumber) as info:
        normalize("110105194912310021", today=TODAY)
    assert info.value.code == "bad_check_digit"
    assert "must be X" in str(info.value)


def test_it_explains_the_error_in_english_naming_the_value():
    with pytest.raises(InvalidIdNumber) as info:
        normalize(" 11010519491301002x ", today=TODAY)
    err = info.value
    assert str(err) == err.reason
    assert "' 11010519491301002x '" in err.reason
    assert err.value == " 11010519491301002x "
    assert isinstance(err, ValueError)
    assert err.code in idcard.ERROR_CODES


def test_it_keeps_code_and_value_when_an_error_is_pickled():
    err = InvalidIdNumber("bad_length", "too short", "123")
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - bytes made right here
    assert (copy.code, copy.reason, copy.value, str(copy)) == (
        "bad_length",
        "too short",
        "123",
        "too short",
    )


# is_valid and parse


def test_it_tells_valid_from_invalid():
    assert is_valid(BEIJING_1949, today=TODAY)
    assert is_valid("110105491231002", today=TODAY)
    assert not is_valid("110105194912310021", today=TODAY)
    assert not is_valid("", today=TODAY)


def test_it_parses_the_parts_of_a_number():
    assert parse("11010519491231002x", today=TODAY) == IdInfo(
        number=BEIJING_1949,
        area_code="110105",
        birth_date=date(1949, 12, 31),
        sex="F",
        province_code="110000",
    )
    assert parse(GUANGDONG_1880, today=TODAY).sex == "M"


def test_it_raises_when_parsing_an_invalid_number():
    with pytest.raises(InvalidIdNumber):
        parse("110105194912310021", today=TODAY)


# repair_candidates


def test_it_lists_every_single_edit_repair_and_chooses_none():
    candidates = repair_candidates("110105194912310021", today=TODAY)
    assert BEIJING_1949 in candidates
    assert len(candidates) > 1
    assert candidates == sorted(set(candidates))
    assert all(is_valid(c, today=TODAY) for c in candidates)


def test_it_repairs_an_adjacent_transposition():
    typo = BEIJING_1949[:10] + "21" + BEIJING_1949[12:]  # 1949-12-31 typed as 1949-21-31
    assert not is_valid(typo, today=TODAY)
    assert BEIJING_1949 in repair_candidates(typo, today=TODAY)


def test_it_repairs_an_x_typed_in_the_wrong_place():
    assert BEIJING_1949 in repair_candidates("1101051949123100X2", today=TODAY)


def test_it_repairs_formatted_input():
    assert BEIJING_1949 in repair_candidates("１１０１０５-19491231-0021", today=TODAY)


@pytest.mark.parametrize(
    "raw",
    [
        BEIJING_1949,
        "",
        None,
        "1101051949123100",
        "110105491231002",
        "1.50302199001011E+17",
        "11010519491231002Y",
    ],
)
def test_it_offers_no_repair_for_valid_or_unrepairable_input(raw):
    assert repair_candidates(raw, today=TODAY) == []


def test_it_checks_a_bounded_number_of_candidates(monkeypatch):
    calls = []
    original = idcard._problem
    monkeypatch.setattr(idcard, "_problem", lambda n, t: calls.append(n) or original(n, t))
    repair_candidates("110105194912310021", today=TODAY)
    assert len(calls) <= 17 * 10 + 17 + 1


# properties


@given(valid_numbers)
def test_it_round_trips_every_valid_number(number):
    assert normalize(number, today=TODAY) == number
    info = parse(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.sex == ("M" if int(number[14:17]) % 2 else "F")
    assert info.area_code == number[:6]
    assert info.province_code == number[:2] + "0000"


@given(st.text(alphabet="0123456789xX .-\u3000０１２３４５６７８９ｘＸ－Ee+", max_size=30))
def test_it_normalises_idempotently(raw):
    try:
        once = normalize(raw, today=TODAY)
    except InvalidIdNumber:
        return
    assert normalize(once, today=TODAY) == once


@given(valid_numbers, st.data())
def test_it_normalises_every_noisy_variant_to_the_same_number(number, data):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    variants = [
        number.lower(),
        full_width,
        full_width.lower(),
        " ".join(number),
        "-".join(number[i : i + 6] for i in (0, 6, 12)),
    ]
    noisy = "".join(
        data.draw(st.sampled_from([c, c.lower(), chr(ord(c) + 0xFEE0)]))
        + data.draw(st.sampled_from(["", " ", "-", "\u3000", "\t"]))
        for c in number
    )
    for variant in [*variants, noisy]:
        assert normalize(variant, today=TODAY) == number


@given(legacy_numbers)
def test_it_turns_every_legacy_number_into_a_valid_18_digit_number(legacy):
    number = normalize(legacy, today=TODAY)
    assert len(number) == 18
    assert is_valid(number, today=TODAY)
    assert number == legacy[:6] + "19" + legacy[6:] + number[17]


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_it_detects_every_single_character_substitution(number, position, replacement):
    assume(replacement != number[position])
    assume(position == 17 or replacement != "X")
    typo = number[:position] + replacement + number[position + 1 :]
    assert not is_valid(typo, today=TODAY)
    assert check_char(typo[:17]) != typo[17]


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789"))
def test_it_includes_the_original_among_repairs_of_a_substitution(number, position, replacement):
    assume(replacement != number[position])
    typo = number[:position] + replacement + number[position + 1 :]
    assert number in repair_candidates(typo, today=TODAY)


@given(valid_numbers, st.integers(0, 16))
def test_it_includes_the_original_among_repairs_of_a_transposition(number, position):
    assume(number[position] != number[position + 1])
    typo = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert number in repair_candidates(typo, today=TODAY)


@given(
    st.one_of(
        st.text(), st.from_regex(r"[0-9]{1,20}(\.[0-9]{0,20})?[eE]\+?[0-9]{1,25}", fullmatch=True)
    )
)
def test_it_fails_only_with_invalid_id_number_on_arbitrary_text(raw):
    try:
        number = normalize(raw, today=TODAY)
    except InvalidIdNumber as err:
        assert err.code in idcard.ERROR_CODES
    else:
        assert is_valid(number, today=TODAY)
    assert all(is_valid(c, today=TODAY) for c in repair_candidates(raw, today=TODAY))
