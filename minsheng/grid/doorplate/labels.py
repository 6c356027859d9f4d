"""Printable A4 sheets of doorplate labels: 3 × 8 labels of 70 × 37 mm a page (the common
24-up label stock), each with the house's QR code, its community and its doorplate code.

The QR code encodes the doorplate page's absolute URL (`grid:doorplate` with the house's
token), error correction M, with its 4-module quiet zone. It is drawn by zxing-cpp's
encoder (C++: a community's 3,000 codes take about a second with their PNGs, where segno,
pure Python, choosing each code's mask took 14 s) as a 1-bit PNG of one pixel per module,
placed at 28 mm with `image-rendering: pixelated`, so viewers and printers draw crisp
modules (0.68 mm each) rather than a blurred image. The sheet is HTML and CSS rendered by
WeasyPrint with the system's Noto Sans CJK (Debian's fonts-noto-cjk); it fetches nothing
but the data: URIs of its own images.

Layout is what a sheet's time goes to, so the template keeps each label to two absolutely
positioned boxes (the image and one paragraph) placed by class: inline styles are parsed
one by one, and every text box costs a line-breaking pass (three paragraphs a label took
half as long again, a dotted border per label a sixth more).
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import zxingcpp
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

COLUMNS, ROWS = 3, 8
PER_PAGE = COLUMNS * ROWS
LABEL_MM = (70, 37)
CODE_GROUP = 6  # digits of the doorplate code printed together


def qr_matrix(text: str) -> np.ndarray:
    """The QR code of `text` (error correction M) with its quiet zone, one byte per module:
    0 dark, 255 light."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return np.asarray(barcode.to_image(scale=1))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_1bit(matrix: np.ndarray) -> bytes:
    """A 1-bit greyscale PNG of a 0/255 matrix (light stays white)."""
    height, width = matrix.shape
    bits = np.packbits(matrix > 127, axis=1)
    raw = b"".join(b"\x00" + row.tobytes() for row in bits)  # filter 0 on every row
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)),
            _chunk(b"IDAT", zlib.compress(raw, 9)),
            _chunk(b"IEND", b""),
        )
    )


def qr_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png_1bit(qr_matrix(text))).decode()


def code_groups(code: str) -> str:
    """A doorplate code in groups of six, easier to read out and to check by eye."""
    return " ".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


@dataclass(frozen=True)
class Label:
    slot: int  # 0..23 on its page, row by row
    qr: str  # data: URI of the QR code's PNG
    code: str  # the doorplate code, grouped


def pages(houses, *, url_of) -> list[list[Label]]:
    """The labels of (code, token) pairs, PER_PAGE a page; `url_of(token)` is what the QR
    code encodes."""
    labels = [
        Label(slot=n % PER_PAGE, qr=qr_data_uri(url_of(token)), code=code_groups(code))
        for n, (code, token) in enumerate(houses)
    ]
    return [labels[i : i + PER_PAGE] for i in range(0, len(labels), PER_PAGE)]


def sheet_html(label_pages: list[list[Label]], *, community: str, title: str) -> str:
    width, height = LABEL_MM
    slots = [
        {"n": n, "left": (n % COLUMNS) * width, "top": (n // COLUMNS) * height}
        for n in range(PER_PAGE)
    ]
    return render_to_string(
        "grid/doorplate/sheet.html",
        {
            "pages": label_pages,
            "community": community,
            "title": title,
            "slots": slots,
            "caption": _("Scan for the community service guide"),
        },
    )


def render_pdf(html: str) -> bytes:
    """The sheet as PDF. Only data: URIs are fetched (the QR images): no network, no
    file."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
