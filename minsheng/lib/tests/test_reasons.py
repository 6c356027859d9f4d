import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.lib.reasons import PROBLEMS, meaningful_characters, reason_problem


@pytest.mark.parametrize(
    "reason",
    [
        "养老金待遇申请 2026-0012 核对",
        "核对就业登记信息",
        "养老待遇资格核查",
        "低保户复核",
        "核对社保卡补办申请",
        "pension claim 2026-0012",
        "Verify unemployment benefit case 77",
        "ＡＢＣＤ公司 稳岗返还核对",
    ],
)
def test_it_accepts_a_stated_reason(reason):
    assert reason_problem(reason) is None


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   \t ", "empty"),
        ("test", "filler"),
        ("TEST", "filler"),
        ("Test 123", "filler"),
        ("testing!", "filler"),
        ("asdf", "filler"),
        ("ａｓｄｆ", "filler"),
        ("qwerty", "filler"),
        ("测试", "filler"),
        ("测试一下", "filler"),
        ("测试。。。", "filler"),
        ("无", "filler"),
        ("查看一下", "filler"),
        ("工作需要", "filler"),
        ("aaaa", "repeated"),
        ("AAAAAAAA", "repeated"),
        ("1111", "repeated"),
        ("哈哈哈哈", "repeated"),
        ("查查查", "repeated"),
        ("abab", "repeated"),
        ("a a b b", "repeated"),
        ("测试测试", "repeated"),
        ("asdfasdf", "repeated"),
        ("。。。。", "no_words"),
        ("!!!???", "no_words"),
        ("……——", "no_words"),
        ("1234", "no_words"),
        ("2026-0012", "no_words"),
        ("１２３４５", "no_words"),
        ("低保", "too_short"),
        ("ab1", "too_short"),
        ("复 核 。", "too_short"),
    ],
)
def test_it_refuses_filler(reason, problem):
    assert reason_problem(reason) == problem


def test_it_counts_only_letters_chinese_characters_and_digits():
    assert meaningful_characters(" 核对，ＡＢ-12！") == "核对ab12"


@given(st.text(max_size=40))
def test_it_always_answers_none_or_a_known_code(text):
    problem = reason_problem(text)
    assert problem is None or problem in PROBLEMS
    if problem is None:
        # an accepted reason always has enough meaningful characters and a word in it
        chars = meaningful_characters(text)
        assert len(chars) >= 4 and any(not c.isdigit() for c in chars)


@given(st.sampled_from("a1。测!x"), st.integers(min_value=1, max_value=30))
def test_it_refuses_any_single_character_repeated(char, n):
    assert reason_problem(char * n) is not None
