"""What a batch's figures mean to a reader: labels, masked quarantine rows, and the XLSX
batch report. The data-quality pages and the downloadable report share these helpers so
the screen and the file never disagree.

The stored `QuarantinedRow.reason` sentence quotes the raw value in clear text, so neither
the pages nor the report show it: they rebuild the text from the reason code and the
column, and show the raw value decrypted and masked.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.catalogue import registry
from minsheng.keys import provider
from minsheng.lib.masking import mask_id, mask_name, mask_phone
from minsheng.lib.spreadsheet import write_xlsx_row

from .models import Batch, LinkMethod, QuarantinedRow, encrypted
from .validate import REASONS

# The parser's reason texts (validate.REASONS), repeated literally so they are translated.
REASON_LABELS = {
    "blank_row": gettext_lazy("the row is empty"),
    "malformed_row": gettext_lazy("the row does not have the file's shape"),
    "bad_date": gettext_lazy("a required date is missing or not a date"),
    "missing_required": gettext_lazy("a required value is missing"),
    "bad_uscc": gettext_lazy("the unified social credit code fails its GB 32100 check"),
    "no_identifying_data": gettext_lazy(
        "no usable ID number and no name: the row cannot be linked"
    ),
    "too_long": gettext_lazy("the value is too long or too large for its column"),
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
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code) or REASONS.get(code) or code)


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


def source_of(batch: Batch) -> registry.Source | None:
    try:
        return registry.source(batch.source)
    except (KeyError, ValueError):
        return None


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


def _mask_cell(value: str) -> str:
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


def mask_raw(src: registry.Source | None, column: str, value: str) -> str:
    """A quarantined raw value as it may be shown: masked by its column's kind, or cell by
    cell when the whole line was quarantined."""
    if not value:
        return value
    if not column or src is None:
        return ",".join(_mask_cell(cell) for cell in value.split(","))
    try:
        col = src.column(column)
    except KeyError:
        return _mask_cell(value)
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
    return _mask_cell(value)


@dataclass
class ShownRow:
    row: int
    column: str
    value: str
    reason_code: str
    reason: str


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
            )
        )
    return out


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

    ws = sheet(
        _("Quarantined rows"), [_("File"), _("Row"), _("Column"), _("Value (masked)"), _("Reason")]
    )
    rows_qs = QuarantinedRow.objects.filter(batch=batch).order_by("row")
    for i, r in enumerate(shown_rows(batch, rows_qs.iterator(chunk_size=2000)), start=1):
        write_xlsx_row(ws, i, 0, [batch.file_name, r.row, r.column, r.value, r.reason])
    ws.set_column(0, 0, 28)
    ws.set_column(2, 3, 24)
    ws.set_column(4, 4, 56)

    ws = sheet(_("Link methods"), [_("Method"), _("Link method"), _("Rows"), _("Share (%)")])
    for i, r in enumerate(link_method_rows(batch), start=1):
        write_xlsx_row(ws, i, 0, [r["method"], r["label"], r["rows"], r["percent"]])
    ws.set_column(1, 1, 28)

    book.close()
    return buf.getvalue()
