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


def item_labels(col: Column) -> dict[str, str]:
    """Label → code from the dictionary item a column with its own table feeds, when the
    item's codes are the column's (肢体残疾 where the column's table says 肢体): more
    labels a department may write for the same codes. Empty otherwise."""
    if col.codes is None or not col.item:
        return {}
    item = dictionary.item(col.item)
    if not set(col.codes.values()) <= set(item.codes):
        return {}
    return {label: value for value, label in item.codes.items()}
