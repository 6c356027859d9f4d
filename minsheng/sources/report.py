"""What a batch's figures mean to a reader: labels, masked quarantine and warning rows, the
file's columns and the department's unmapped labels, and the XLSX batch report. The
data-quality pages and the downloadable report share these helpers so the screen and the
file never disagree.

The stored `QuarantinedRow.reason` sentence quotes the raw value in clear text, so neither
the pages nor the report show it: they rebuild the text from the reason code and the
column, and show the raw value decrypted and masked. Warnings are shown the same way. A
row is named as the spreadsheet shows it (`sheet_row`) with the column's letter and header
as written, so a clerk can find the cell in the department's file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.catalogue import registry
from minsheng.catalogue.codes import code_map
from minsheng.keys import provider
from minsheng.lib.masking import mask_id, mask_name, mask_phone
from minsheng.lib.spreadsheet import write_xlsx_row

from .models import Batch, CodeMapping, LinkMethod, QuarantinedRow, RowWarning, encrypted
from .validate import REASONS

# The parser's reason texts (validate.REASONS), repeated literally so they are translated.
REASON_LABELS = {
    "blank_row": gettext_lazy("the row is empty"),
    "malformed_row": gettext_lazy("the row does not have the file's shape"),
    "summary_row": gettext_lazy("a total row (合计/总计) under the table, not a person"),
    "signature_row": gettext_lazy("a signature line (制表人/审核人/填表日期), not a person"),
    "bad_date": gettext_lazy("a required date is missing or not a date"),
    "missing_required": gettext_lazy("a required value is missing"),
    "bad_uscc": gettext_lazy("the unified social credit code fails its GB 32100 check"),
    "no_identifying_data": gettext_lazy(
        "no usable ID number and no name: the row cannot be linked"
    ),
    "too_long": gettext_lazy("the value is too long or too large for its column"),
    "unmapped_code": gettext_lazy("the value is none of the column's codes"),
    "date_in_future": gettext_lazy("the date lies in the future"),
    "date_before_birth": gettext_lazy("the date is before the person's birth"),
    "ambiguous_numeric_date": gettext_lazy(
        "a number such as 1990.1 cannot tell January from October"
    ),
    "hidden_row_conflict": gettext_lazy(
        "a hidden row with the key of a visible row and other values"
    ),
}

# What was noticed in a kept row (validate.WARNINGS), repeated literally so they are
# translated.
WARNING_LABELS = {
    "unmapped_code": gettext_lazy(
        "the value is none of the column's codes: kept as text, without a code"
    ),
    "month_precision": gettext_lazy("a month without a day: read as the first of the month"),
    "ambiguous_numeric_date": gettext_lazy(
        "a number such as 1990.1 cannot tell January from October: no value"
    ),
    "date_in_future": gettext_lazy("the date lies in the future: no value"),
    "date_before_birth": gettext_lazy("the date is before the person's birth: no value"),
    "bad_value": gettext_lazy("the value cannot be read for its column: no value"),
    "hidden_row": gettext_lazy(
        "the row is hidden in the sheet (a filter or by hand); imported all the same"
    ),
    "conflicting_duplicate": gettext_lazy(
        "another row of the file has the same key and another value here"
    ),
    "float_precision_lost": gettext_lazy(
        "the ID went through a spreadsheet number and lost digits: no ID"
    ),
    "float_precision_suspect": gettext_lazy(
        "the ID may have gone through a spreadsheet number: to confirm"
    ),
    "not_an_id": gettext_lazy("the text is no ID number: no ID"),
    "bad_id": gettext_lazy("the ID number is not valid: no ID"),
}

# What was noticed about a whole column of the file (mapping.map_columns).
FILE_WARNING_LABELS = {
    "unmapped_column": gettext_lazy(
        "no column of the source has this header: its values are kept aside, not imported"
    ),
    "duplicate_column": gettext_lazy(
        "a second column for the same item: this hidden one was not imported"
    ),
    "unit_mismatch": gettext_lazy("the unit in the header is not the column's unit"),
}

CONFLICT_LABELS = {
    "name": gettext_lazy("Name differs from the person index"),
    "sex": gettext_lazy("Sex differs from the person index"),
    "birth_date": gettext_lazy("Birth date differs from the person index"),
    "id_conflict": gettext_lazy("ID number with a different name or sex"),
}

# Bootstrap colours of the link-method bar, in LinkMethod order.
LINK_METHOD_COLOURS = {
    LinkMethod.EXACT: "success",
    LinkMethod.REPAIRED: "info",
    LinkMethod.PROBABILISTIC: "primary",
    LinkMethod.CLERICAL: "secondary",
    LinkMethod.NEW: "warning",
    LinkMethod.REVIEW: "dark",
    LinkMethod.ID_CONFLICT: "danger",
    LinkMethod.UNRESOLVED: "light",
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code) or REASONS.get(code) or code)


def warning_label(code: str) -> str:
    return str(WARNING_LABELS.get(code) or code)


def file_warning_label(code: str) -> str:
    return str(FILE_WARNING_LABELS.get(code) or code)


def warning_count_rows(batch: Batch) -> list[dict]:
    """The batch's warnings per column and code ("column:code" → rows), most first."""
    src = source_of(batch)
    out = []
    for key, n in sorted((batch.warnings or {}).items(), key=lambda kv: (-kv[1], kv[0])):
        column, _sep, code = key.rpartition(":")
        out.append(
            {
                "column": column_label(src, column) if column else "",
                "code": code,
                "label": warning_label(code),
                "rows": n,
            }
        )
    return out


def reason_rows(batch: Batch) -> list[dict]:
    return [
        {"code": code, "label": reason_label(code), "rows": n}
        for code, n in sorted(batch.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def link_method_rows(batch: Batch) -> list[dict]:
    """Every method in a fixed order (zeros included), with its share of linked rows."""
    counts = batch.link_methods or {}
    total = sum(counts.values())
    known = [m.value for m in LinkMethod]
    rows = []
    for method in known + sorted(set(counts) - set(known)):
        n = counts.get(method, 0)
        rows.append(
            {
                "method": method,
                "label": str(LinkMethod(method).label) if method in known else method,
                "rows": n,
                "percent": round(100 * n / total, 1) if total else 0.0,
                "colour": LINK_METHOD_COLOURS.get(method, "secondary"),
            }
        )
    return rows


def conflict_rows(batch: Batch) -> list[dict]:
    return [
        {"kind": kind, "label": str(CONFLICT_LABELS.get(kind, kind)), "rows": n}
        for kind, n in (batch.conflicts or {}).items()
    ]


def source_named(name: str) -> registry.Source | None:
    try:
        return registry.source(name)
    except (KeyError, ValueError):
        return None


def source_of(batch: Batch) -> registry.Source | None:
    return source_named(batch.source)


def code_label(src: registry.Source | None, column: str, code: str) -> str:
    """The dictionary's (or the column's first) label of a code, '' if unknown."""
    if src is None:
        return ""
    try:
        col = src.column(column)
    except KeyError:
        return ""
    return next((label for label, value in code_map(col).items() if value == code), "")


def column_label(src: registry.Source | None, column: str) -> str:
    if not column:
        return _("(whole row)")
    if src is not None:
        try:
            return src.column(column).headers[0]
        except KeyError:
            pass
    return column


_ID_SHAPE = re.compile(r"^[0-9０-９]{6}.*[0-9０-９xX]$")
_PHONE_SHAPE = re.compile(r"^\+?[0-9 ()-]{11,}$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def mask_cell(value: str) -> str:
    """A value of unknown meaning: hide whatever could identify someone."""
    v = value.strip()
    if not v:
        return value
    if _ID_SHAPE.match(v) and len(v) >= 15:
        return mask_id(v) or ""
    if _PHONE_SHAPE.match(v):
        return mask_phone(v) or ""
    if _CJK.search(v):
        # A name or an address: the first character says enough to find it in the file.
        return v[0] + "*" * (len(v) - 1)
    if len(v) > 4 and v.isdigit():
        return "*" * (len(v) - 4) + v[-4:]
    return v


def mask_value(src: registry.Source | None, column: str, value: str) -> str:
    """One cell's raw value as it may be shown: by its declared column's kind, else as a
    value of unknown meaning (never split as a whole line)."""
    if not value:
        return value
    return mask_raw(src, column, value) if column else mask_cell(value)


def mask_raw(src: registry.Source | None, column: str, value: str) -> str:
    """A quarantined raw value as it may be shown: masked by its column's kind, or cell by
    cell when the whole line was quarantined."""
    if not value:
        return value
    if not column or src is None:
        return ",".join(mask_cell(cell) for cell in value.split(","))
    try:
        col = src.column(column)
    except KeyError:
        return mask_cell(value)
    if col.kind == "id":
        return mask_id(value) or ""
    if col.kind == "name":
        return mask_name(value) or ""
    if col.kind == "phone":
        return mask_phone(value) or ""
    if encrypted(col):
        return "*" * len(value)
    if col.kind in ("date", "datetime", "year_month", "integer", "decimal", "uscc", "sex"):
        return value
    return mask_cell(value)


@dataclass
class ShownRow:
    row: int
    column: str
    value: str
    reason_code: str
    reason: str
    sheet_row: int | None = None  # as the spreadsheet shows it (None: not recorded)
    letter: str = ""
    header: str = ""  # as the department wrote it


def _header_of(src: registry.Source | None, header: str, column: str) -> str:
    return header or (column_label(src, column) if column else "")


def shown_rows(batch: Batch, rows: Iterable[QuarantinedRow]) -> list[ShownRow]:
    src = source_of(batch)
    crypto = provider()
    out = []
    for q in rows:
        raw = crypto.decrypt(q.raw_value_enc) if q.raw_value_enc else ""
        out.append(
            ShownRow(
                row=q.row,
                column=column_label(src, q.column),
                value=mask_raw(src, q.column, raw),
                reason_code=q.reason_code,
                reason=reason_label(q.reason_code),
                sheet_row=q.sheet_row,
                letter=q.letter,
                header=_header_of(src, q.header, q.column),
            )
        )
    return out


def shown_warnings(batch: Batch, rows: Iterable[RowWarning]) -> list[ShownRow]:
    """Warnings of kept rows as they may be shown: the raw value decrypted and masked."""
    src = source_of(batch)
    crypto = provider()
    out = []
    for w in rows:
        raw = crypto.decrypt(w.raw_value_enc) if w.raw_value_enc else ""
        out.append(
            ShownRow(
                row=w.row,
                column=column_label(src, w.column) if w.column else "",
                value=mask_value(src, w.column, raw),
                reason_code=w.code,
                reason=warning_label(w.code),
                sheet_row=w.sheet_row,
                letter=w.letter,
                header=_header_of(src, w.header, w.column),
            )
        )
    return out


def column_rows(batch: Batch) -> list[dict]:
    """The file's columns as read (`Batch.columns`), with the declared column's Chinese
    label; the samples are stored masked."""
    src = source_of(batch)
    out = []
    for c in batch.columns or []:
        maps_to = c.get("maps_to") or ""
        out.append(
            {
                **c,
                "maps_to": maps_to,
                "maps_to_label": column_label(src, maps_to) if maps_to else "",
                "unmapped": not maps_to and not c.get("ignored"),
            }
        )
    return out


def file_warning_rows(batch: Batch) -> list[dict]:
    return [
        {
            "code": w.get("code", ""),
            "label": file_warning_label(w.get("code", "")),
            "letter": w.get("column", ""),
            "header": w.get("header", ""),
            "detail": w.get("detail") or "",
        }
        for w in batch.file_warnings or []
    ]


UNMAPPED_LABELS_SHOWN = 50  # per column, the most frequent


def unmapped_code_rows(batch: Batch) -> list[dict]:
    """Per code column, the distinct labels none of its codes matched, with their rows and
    the code saved for them since (None: not mapped yet), most frequent first. One query
    for the labels (grouped by their ciphertext: a run encrypts each value once) and one
    for the saved mappings. Labels of a code column are categories, not personal data, and
    must be read to be mapped: they are shown in clear."""
    src = source_of(batch)
    grouped = (
        RowWarning.objects.filter(batch=batch, code="unmapped_code")
        .exclude(column="")
        .values_list("column", "raw_value_enc")
        .annotate(n=Count("id"))
        .order_by()
    )
    crypto = provider()
    counts: dict[str, dict[str, int]] = {}
    for column, token, n in grouped:
        label = (crypto.decrypt(token) if token else "").strip()
        if label:
            per = counts.setdefault(column, {})
            per[label] = per.get(label, 0) + n
    if not counts:
        return []
    saved = {
        (m.column, m.label): m.code
        for m in CodeMapping.objects.filter(source=batch.source, column__in=list(counts))
    }
    out = []
    for column in sorted(counts, key=lambda c: _column_order(src, c)):
        labels = sorted(counts[column].items(), key=lambda kv: (-kv[1], kv[0]))
        out.append(
            {
                "column": column,
                "label": column_label(src, column),
                "labels": [
                    {"label": label, "rows": n, "saved": saved.get((column, label))}
                    for label, n in labels[:UNMAPPED_LABELS_SHOWN]
                ],
                "more": max(0, len(labels) - UNMAPPED_LABELS_SHOWN),
            }
        )
    return out


def _column_order(src: registry.Source | None, column: str) -> tuple[int, str]:
    names = [c.name for c in src.columns] if src is not None else []
    return (names.index(column) if column in names else len(names), column)


def summary_rows(batch: Batch) -> list[tuple[str, object]]:
    return [
        (_("Source"), batch.source_label),
        (_("File"), batch.file_name),
        (_("Status"), str(batch.get_status_display())),
        (_("Rows read"), batch.rows_read),
        (_("Rows accepted"), batch.rows_accepted),
        (_("Rows quarantined"), batch.rows_quarantined),
        (_("Balanced (read = accepted + quarantined)"), _("yes") if batch.balanced else _("no")),
        (_("Stale rows"), batch.stale_rows),
        (_("Persons created"), batch.persons_created),
        (_("Residents refreshed"), batch.residents_refreshed),
        (_("Started"), _when(batch.started_at)),
        (_("Finished"), _when(batch.finished_at)),
        (_("Sheet"), batch.sheet_name),
        (_("Header row"), batch.header_row or ""),
        (_("Other sheets"), "、".join(batch.other_sheets or [])),
    ]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def build_report(batch: Batch, user) -> bytes:
    """The XLSX batch report; every sheet's header names who exported it (watermark).

    Every cell goes through `write_xlsx_row`: file names and quarantined raw values come
    from the department's file, and a value such as =HYPERLINK(…) must stay text."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    mark = _("Exported by %(user)s (%(username)s) at %(time)s") % {
        "user": user,
        "username": user.username,
        "time": _when(timezone.now()),
    }

    def sheet(name: str, header: list[str]):
        ws = book.add_worksheet(name)
        # The header row is row 0 so the figures can be read back as a table; the
        # watermark goes into the printed page header.
        ws.set_header(f"&L{mark.replace('&', '&&')}")
        write_xlsx_row(ws, 0, 0, header, bold)
        ws.freeze_panes(1, 0)
        return ws

    ws = sheet(_("Summary"), [_("Item"), _("Value")])
    rows = summary_rows(batch) + [(_("Exported by"), mark)]
    for i, (label, value) in enumerate(rows, start=1):
        write_xlsx_row(ws, i, 0, [label, value])
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 48)

    ws = sheet(_("By reason"), [_("Reason code"), _("Reason"), _("Rows")])
    for i, r in enumerate(reason_rows(batch), start=1):
        write_xlsx_row(ws, i, 0, [r["code"], r["label"], r["rows"]])
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 56)

    located = [
        _("File"),
        _("Row"),
        _("Sheet row"),
        _("Column letter"),
        _("Header"),
        _("Value (masked)"),
    ]

    def write_located(ws, rows: Iterable[ShownRow], *, with_code: bool) -> None:
        for i, r in enumerate(rows, start=1):
            cells = [batch.file_name, r.row, r.sheet_row or "", r.letter, r.header, r.value]
            write_xlsx_row(ws, i, 0, cells + ([r.reason_code] if with_code else []) + [r.reason])
        ws.set_column(0, 0, 28)
        ws.set_column(3, 3, 8)
        ws.set_column(4, 5, 24)
        ws.set_column(6 + with_code, 6 + with_code, 56)

    ws = sheet(_("Quarantined rows"), [*located, _("Reason")])
    rows_qs = QuarantinedRow.objects.filter(batch=batch).order_by("row")
    write_located(ws, shown_rows(batch, rows_qs.iterator(chunk_size=2000)), with_code=False)

    ws = sheet(_("Link methods"), [_("Method"), _("Link method"), _("Rows"), _("Share (%)")])
    for i, r in enumerate(link_method_rows(batch), start=1):
        write_xlsx_row(ws, i, 0, [r["method"], r["label"], r["rows"], r["percent"]])
    ws.set_column(1, 1, 28)

    ws = sheet(_("Warnings"), [*located, _("Warning"), _("Reason")])
    warnings_qs = RowWarning.objects.filter(batch=batch).order_by("row", "id")
    write_located(ws, shown_warnings(batch, warnings_qs.iterator(chunk_size=2000)), with_code=True)

    yes, no = _("yes"), _("no")
    ws = sheet(
        _("Columns"),
        [
            _("Column letter"),
            _("Header"),
            _("Maps to"),
            _("Unit"),
            _("Hidden"),
            _("Used"),
            _("Samples (masked)"),
        ],
    )
    for i, c in enumerate(column_rows(batch), start=1):
        maps_to = c["maps_to_label"] or (_("(ignored)") if c.get("ignored") else "")
        write_xlsx_row(
            ws,
            i,
            0,
            [
                c.get("letter", ""),
                c.get("header", ""),
                maps_to,
                c.get("unit") or "",
                yes if c.get("hidden") else no,
                yes if c.get("used") else no,
                "、".join(c.get("samples") or []),
            ],
        )
    ws.set_column(1, 2, 24)
    ws.set_column(6, 6, 40)

    ws = sheet(
        _("File warnings"),
        [_("Column letter"), _("Header"), _("Warning"), _("Reason"), _("Detail")],
    )
    for i, w in enumerate(file_warning_rows(batch), start=1):
        write_xlsx_row(ws, i, 0, [w["letter"], w["header"], w["code"], w["label"], w["detail"]])
    ws.set_column(1, 1, 24)
    ws.set_column(3, 3, 56)

    book.close()
    return buf.getvalue()
