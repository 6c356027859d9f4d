"""Serialising exports: CSV in the department's encoding, XLSX via xlsxwriter.

Malformed rows cannot live in a DataFrame (they have the wrong number of fields), so the
frame carries a `_junk` marker and the CSV writer swaps in the raw line afterwards.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from .config import SourceSpec


def visible_columns(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if not c.startswith("_")]


def _malformed_cells(variant: int, cols: list[str], n_rows: int, export_day: date) -> list[str]:
    k = len(cols)
    if variant == 0:  # the header again (two exports pasted together)
        return list(cols)
    if variant == 1:
        return [f"合计：{n_rows}条"]
    if variant == 2:
        return ["#N/A"] * max(2, k // 3)
    if variant == 3:  # a value with unquoted commas shifted everything right
        return ["-"] * (k + 3)
    if variant == 4:
        return [f"导出时间：{export_day:%Y-%m-%d} 08:{(n_rows % 50) + 10}:00；操作员：admin"]
    return ["数据截断", "ERR"]


def write_csv(df: pl.DataFrame, spec: SourceSpec, path: Path, as_of: date) -> bytes:
    cols = visible_columns(df)
    term = "\r\n" if spec.crlf else "\n"
    buf = io.BytesIO()
    df.select(pl.col(c).cast(pl.String) for c in cols).write_csv(
        buf, line_terminator=term, quote_style="necessary"
    )
    data = buf.getvalue()
    del buf
    junk = df["_junk"]
    bad = np.flatnonzero(junk.str.starts_with("malformed").fill_null(False).to_numpy())
    if len(bad):
        # Swap the placeholder lines (all-empty rows) for raw malformed text, by byte offset.
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        starts = np.concatenate([[0], ends[:-1] + 1])
        parts: list[bytes | memoryview] = []
        view = memoryview(data)
        prev = 0
        labels = junk.gather(bad).to_list()
        for i, label in zip(bad.tolist(), labels, strict=True):
            line = i + 1  # line 0 is the header
            parts.append(view[prev : starts[line]])
            raw = ",".join(
                _malformed_cells(int(label.split(":")[1]), cols, df.height, spec.export_date(as_of))
            )
            parts.append((raw + term).encode("utf-8"))
            prev = int(ends[line]) + 1
        parts.append(view[prev:])
        data = b"".join(parts)
        del parts, view
    if spec.encoding == "gb18030":
        data = data.decode("utf-8").encode("gb18030")
    elif spec.encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return data


def write_xlsx(df: pl.DataFrame, spec: SourceSpec, path: Path, as_of: date) -> bytes:
    cols = visible_columns(df)
    num_cols = {c: f"_num:{c}" for c in cols if f"_num:{c}" in df.columns}
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # A fixed creation time: the same seed and scale must give the same bytes.
    created = datetime.combine(spec.export_date(as_of), datetime.min.time())
    wb.set_properties(
        {
            "title": spec.title,
            "author": spec.department,
            "company": spec.department,
            "created": created,
        }
    )
    ws = wb.add_worksheet("Sheet1")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r = 0
    if spec.title_row:
        ws.write_string(
            0,
            0,
            f"乌海市{spec.department}{spec.title}（导出日期：{spec.export_date(as_of):%Y年%m月%d日}）",
        )
        r = 1
    ws.write_row(r, 0, cols)
    r += 1
    frame = df.select([*cols, *num_cols.values(), "_junk"])
    override = [cols.index(c) for c in num_cols]
    n = df.height
    for vals in frame.iter_rows():
        junk = vals[-1]
        if junk is not None:
            if junk.startswith("malformed"):
                for j, v in enumerate(
                    _malformed_cells(int(junk.split(":")[1]), cols, n, spec.export_date(as_of))
                ):
                    ws.write_string(r, j, v)
            r += 1
            continue
        row = list(vals[: len(cols)])
        for k, j in enumerate(override):
            if vals[len(cols) + k] is not None:
                row[j] = vals[len(cols) + k]
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                if v:
                    ws.write_string(r, j, v)
            elif isinstance(v, bool):
                ws.write_boolean(r, j, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, j, v)
            elif isinstance(v, date):
                ws.write_datetime(r, j, datetime.combine(v, datetime.min.time()), date_fmt)
        r += 1
    wb.close()
    return path.read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
