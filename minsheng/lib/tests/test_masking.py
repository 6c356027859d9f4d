import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.lib.masking import (
    COMPOUND_SURNAMES,
    MASKERS,
    mask_address,
    mask_bank_account,
    mask_id,
    mask_name,
    mask_phone,
)

ALL_MASKS = [mask_id, mask_name, mask_phone, mask_address, mask_bank_account]


@pytest.mark.parametrize("mask", ALL_MASKS)
@pytest.mark.parametrize("value", [None, ""])
def test_it_returns_missing_values_unchanged(mask, value):
    assert mask(value) is value


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("150302199001011234", "150302********1234"),
        ("15030219900101123X", "150302********123X"),
        ("150302900101123", "150302*****1123"),
        (" 150302199001011234 ", "150302********1234"),
        ("1503021990", "**********"),
        ("1234", "****"),
    ],
)
def test_it_masks_id_numbers_to_area_and_last_four(number, masked):
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("张", "张"),
        ("欧阳修", "欧阳*"),
        ("司马相如", "司马**"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧阳"),
        ("乌云其木格", "乌****"),
        (" 李四 ", "李*"),
    ],
)
def test_it_masks_names_to_the_surname(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("surname", sorted(COMPOUND_SURNAMES))
def test_it_keeps_every_compound_surname_whole(surname):
    assert mask_name(surname + "某某") == surname + "**"


def test_it_knows_the_seventeen_listed_compound_surnames():
    assert len(COMPOUND_SURNAMES) == 17
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("047312345678", "047*****5678"),
        ("6921234", "*******"),
        ("123", "***"),
    ],
)
def test_it_masks_phones_to_three_and_four(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("乌海市海勃湾区新华街道清泉社区12号楼3单元502", "乌海市海勃湾区新华街道清泉社区***"),
        ("乌海市海南区巴音陶亥镇万亩滩村3组", "乌海市海南区巴音陶亥镇万亩滩村***"),
        ("阿拉善左旗巴彦浩特镇某某嘎查5号", "阿拉善左旗巴彦浩特镇某某嘎查***"),
        ("乌海市乌达区三道坎街道清泉社区", "乌海市乌达区三道坎街道清泉社区"),
        ("乌海市海勃湾区新华街道人民路8号", "乌海市海勃湾区新华街道***"),
        ("乌海市海南区拉僧庙镇某路1号", "乌海市海南区拉僧庙镇***"),
        ("人民路8号", "***"),
    ],
)
def test_it_masks_addresses_below_the_community(address, masked):
    assert mask_address(address) == masked


def test_it_cuts_right_after_a_given_community():
    # 新村社区 would otherwise be cut at 新村, which is safe but hides more than needed.
    address = "乌海市海勃湾区新华街道新村社区7号楼"
    assert mask_address(address) == "乌海市海勃湾区新华街道新村***"
    assert mask_address(address, community="新村社区") == "乌海市海勃湾区新华街道新村社区***"


def test_it_falls_back_to_markers_when_the_given_community_is_absent():
    address = "乌海市海勃湾区新华街道清泉社区1号"
    assert mask_address(address, community="和谐社区") == "乌海市海勃湾区新华街道清泉社区***"


@pytest.mark.parametrize(
    ("account", "masked"),
    [
        ("6222021234567890123", "***************0123"),
        ("6222 0212 3456 7890 123", "***************0123"),
        ("1234", "****"),
        ("12345", "*2345"),
    ],
)
def test_it_masks_bank_accounts_to_the_last_four(account, masked):
    assert mask_bank_account(account) == masked


def test_it_names_every_rule_the_dictionary_may_use():
    assert set(MASKERS) == {"id", "name", "phone", "address", "bank", "none"}
    assert MASKERS["id"]("150302199001011234") == "150302********1234"
    assert MASKERS["name"]("欧阳修") == "欧阳*"
    assert MASKERS["phone"]("13812345678") == "138****5678"
    assert MASKERS["address"]("某街道某社区1号") == "某街道某社区***"
    assert MASKERS["bank"]("6222021234567890123").endswith("0123")
    assert MASKERS["none"]("13812345678") == "13812345678"
    assert MASKERS["none"](None) is None


@pytest.mark.parametrize("mask", ALL_MASKS)
@given(value=st.text(min_size=1, max_size=40))
def test_it_masks_idempotently(mask, value):
    once = mask(value)
    assert mask(once) == once


@given(st.text("0123456789", min_size=11, max_size=11))
def test_it_hides_the_middle_four_of_every_mobile_number(phone):
    masked = mask_phone(phone)
    assert masked[3:7] == "****"
    assert masked[:3] + masked[7:] == phone[:3] + phone[7:]
