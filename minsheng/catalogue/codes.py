"""Code lists of source columns: which label a department writes means which dictionary code."""

from __future__ import annotations

from . import dictionary
from .registry import Column


def code_map(col: Column) -> dict[str, str]:
    """Label → code for a code column: the column's own table (残联 writes 听力 where the
    dictionary says 听力残疾), else the labels of the dictionary item it feeds."""
    if col.codes is not None:
        return dict(col.codes)
    if col.item:
        item = dictionary.item(col.item)
        return {label: value for value, label in item.codes.items()}
    return {}
