"""Is a stated reason (查询事由) more than filler?

A reveal of personal data must name why it is needed: a matter, a case number, a check. The
rule here refuses what is plainly no reason at all (`aaaa`, `1111`, `。。。。`, `asdf`,
`test`, `测试`, a character repeated, too few characters, only digits and punctuation). It
cannot tell a true reason from a plausible lie; the audit trail is for that.

`reason_problem(text)` returns None for an acceptable reason, else an English problem code:

- ``empty``: nothing but white space
- ``filler``: a placeholder word (`test`, `asdf`, `测试`, `无` …), possibly with digits or
  punctuation around it
- ``repeated``: characters repeated with only one or two distinct (`aaaa`, `哈哈哈哈`,
  `abab`), or one unit repeated (`测试测试`, `asdfasdf`)
- ``no_words``: no letter or Chinese character, only digits and punctuation (`1234`,
  `。。。。`, `2025-0012`)
- ``too_short``: fewer than `MIN_MEANINGFUL` letters, Chinese characters and digits
"""

from __future__ import annotations

import unicodedata

__all__ = ["FILLER", "MIN_MEANINGFUL", "PROBLEMS", "meaningful_characters", "reason_problem"]

MIN_MEANINGFUL = 4

PROBLEMS = ("empty", "filler", "repeated", "no_words", "too_short")

# Compared after NFKC normalisation, lower-casing and removing everything but letters,
# Chinese characters and digits (digits also removed for the comparison).
FILLER = frozenset(
    {
        # English placeholders and keyboard runs
        "test",
        "tests",
        "testing",
        "tst",
        "asdf",
        "asdfg",
        "asdfgh",
        "asdfghjkl",
        "sdf",
        "qwer",
        "qwert",
        "qwerty",
        "qwertyuiop",
        "zxcv",
        "zxcvb",
        "zxcvbn",
        "abc",
        "abcd",
        "abcde",
        "abcdef",
        "xyz",
        "foo",
        "bar",
        "foobar",
        "none",
        "null",
        "nil",
        "na",
        "nothing",
        "reason",
        "todo",
        "tbd",
        "temp",
        "tmp",
        "check",
        "look",
        "view",
        "ok",
        "okay",
        "yes",
        "no",
        "hello",
        "hi",
        "dummy",
        "sample",
        "example",
        "whatever",
        # Chinese placeholders
        "测试",
        "测试一下",
        "测一下",
        "试试",
        "试一下",
        "无",
        "没有",
        "暂无",
        "事由",
        "理由",
        "原因",
        "查询",
        "查询一下",
        "查看",
        "查看一下",
        "看看",
        "看一下",
        "看一看",
        "随便",
        "随便看看",
        "随便查查",
        "不知道",
        "没事",
        "好的",
        "可以",
        "需要",
        "工作需要",
        "业务需要",
        "核对",
        "核查",
        "了解",
        "了解一下",
        "略",
        "同上",
        "其他",
        "其它",
        "一二三四",
        "你好",
        "哈哈",
    }
)


def meaningful_characters(text: str) -> str:
    """The letters (Chinese characters included) and digits of `text`, NFKC-normalised
    (full-width forms become ASCII) and lower-cased."""
    normalised = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(c for c in normalised if c.isalnum())


def _is_repeated_unit(chars: str) -> bool:
    """`chars` is one shorter string written twice or more (`abab`, `测试测试`)."""
    n = len(chars)
    return any(
        n % size == 0 and chars == chars[:size] * (n // size) for size in range(1, n // 2 + 1)
    )


def reason_problem(text: str | None) -> str | None:
    """None when `text` states a reason, else the code of what is wrong with it."""
    if text is None or not text.strip():
        return "empty"
    chars = meaningful_characters(text)
    letters = "".join(c for c in chars if not c.isdigit())
    if letters in FILLER:
        return "filler"
    if len(set(chars)) < len(chars) and (len(set(chars)) <= 2 or _is_repeated_unit(chars)):
        return "repeated"
    if not letters:
        return "no_words"
    if len(chars) < MIN_MEANINGFUL:
        return "too_short"
    return None
