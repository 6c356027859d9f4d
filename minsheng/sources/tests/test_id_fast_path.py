"""The vectorised check of canonical IDs must agree with `idcard` to the letter."""

from datetime import date

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from minsheng.lib import idcard
from minsheng.sources.normalise import _canonical_valid, normalise_ids

TODAY = date(2026, 11, 27)


@st.composite
def id_like(draw):
    body = (
        draw(st.sampled_from(["15", "11", "65", "99", "00", "82"]))
        + draw(st.text("0123456789", min_size=4, max_size=4))
        + f"{draw(st.integers(1870, 2030))}{draw(st.integers(0, 13)):02d}{draw(st.integers(0, 32)):02d}"
        + draw(st.text("0123456789", min_size=3, max_size=3))
    )
    last = idcard.check_char(body) if draw(st.booleans()) else draw(st.sampled_from("0123456789Xx"))
    return body + last


@settings(max_examples=300)
@given(st.lists(id_like(), min_size=1, max_size=50))
@example(["15056019250308998x", "150000187000000000"])  # valid once upper-cased: not canonical
def test_it_agrees_with_idcard_on_every_candidate(values):
    # The fast path takes only values that `normalize` would return unchanged; the rest
    # (lower-case x and the like) go through the Python rules.
    fast = _canonical_valid(pl.Series(values), TODAY).to_list()
    assert fast == [
        idcard.is_valid(v, today=TODAY) and idcard.normalize(v, today=TODAY) == v for v in values
    ]


def test_it_still_names_the_problem_of_ids_off_the_fast_path():
    valid = "150302199001011231"
    fullwidth = valid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    out = normalise_ids(pl.Series([valid[:-1] + "6", fullwidth, valid, None]), today=TODAY)
    assert out["error"].to_list() == ["bad_check_digit", None, None, "empty"]
    assert out["id"].to_list()[1:3] == [valid, valid]
