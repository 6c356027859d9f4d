"""The printable label sheets (`grid:doorplate_community_pdf`, `grid:doorplate_building_pdf`)
and the pages that list them (`grid:doorplate_sheets`, `grid:doorplate_community`)."""

import os
import shutil
import subprocess

import numpy as np
import pytest
import zxingcpp
from django.urls import reverse

from conftest import make_house
from minsheng.audit.models import AuditEvent
from minsheng.geo.models import House

from ..doorplate import labels

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def poppler():
    # CI installs poppler-utils (.ci/run); a developer's machine without it skips these
    if shutil.which("pdfinfo") is None and not os.environ.get("CI"):
        pytest.skip("poppler-utils (pdfinfo, pdftoppm) is not installed")


@pytest.fixture
def community(areas):
    """清泉社区 with 30 houses in two buildings of grid 1 and 1 in grid 2 (the `areas`
    fixture's two houses included): two pages of labels."""
    for n in range(2, 30):
        make_house(areas["grids"]["qingquan1"], n)
    return areas["qingquan"]


def pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    assert fields["Page size"].strip().startswith("595")  # A4: 595 × 842 pt
    return int(fields["Pages"])


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def first_page_png(pdf: bytes, tmp_path, dpi: int) -> np.ndarray:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-gray",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    from PIL import Image

    image = next(tmp_path.glob("p*.png"))
    return np.asarray(Image.open(image).convert("L"))


def test_it_prints_a_community_24_labels_a_page(client, login, cast, community, tmp_path):
    login(cast["clerk"])

    response = client.get(reverse("grid:doorplate_community_pdf", args=[community.code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    houses = House.objects.filter(building__grid__community_code=community.code).count()
    assert houses == 30
    assert pdf_pages(response.content, tmp_path) == 2  # 24 + 6


def test_it_prints_a_building_of_the_area(client, login, cast, community, areas, tmp_path):
    building = areas["houses"]["qingquan1"].building
    login(cast["street_clerk"])

    response = client.get(reverse("grid:doorplate_building_pdf", args=[building.code]))

    assert response.status_code == 200
    assert pdf_pages(response.content, tmp_path) == 2  # 29 houses of grid 1's building
    text = pdf_text(response.content, tmp_path)
    assert "新华街道清泉社区" in text  # Chinese text, real glyphs with their Unicode
    assert "扫码查看社区服务指南" in text
    # each label's code, printed in groups of six (wrapped in its box)
    assert "150302 001001 001010" in text
    codes = "".join(text.split())
    for house in House.objects.filter(building=building):
        assert house.code in codes


def test_its_qr_codes_scan_to_the_doorplate_page(client, login, cast, areas, tmp_path, settings):
    settings.DOORPLATE_BASE_URL = "https://minsheng.example.cn"
    house = areas["houses"]["qingquan1"]
    login(cast["clerk"])

    response = client.get(reverse("grid:doorplate_building_pdf", args=[house.building.code]))

    # at the 80 dpi a screen preview uses, and at 150 dpi
    for dpi in (80, 150):
        found = zxingcpp.read_barcodes(first_page_png(response.content, tmp_path, dpi))
        for f in tmp_path.glob("p*.png"):
            f.unlink()
        texts = [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
        assert texts == [
            "https://minsheng.example.cn" + reverse("grid:doorplate", args=[house.doorplate_token])
        ], dpi


def test_its_qr_code_has_its_quiet_zone():
    matrix = labels.qr_matrix("https://minsheng.example.cn/grid/d/" + "x" * 24 + "/")

    assert matrix.shape == (41, 41)  # version 4: 33 modules and 4 light ones each side
    for border in (matrix[:4], matrix[-4:], matrix[:, :4], matrix[:, -4:]):
        assert (border == 255).all()
    assert matrix[4, 4] == 0  # the finder pattern's corner


def test_it_prints_a_page_saying_so_for_a_community_without_houses(
    client, login, cast, areas, tmp_path
):
    login(cast["street_clerk"])

    response = client.get(reverse("grid:doorplate_community_pdf", args=["150302001003"]))

    assert response.status_code == 200
    assert pdf_pages(response.content, tmp_path) == 1
    assert "没有房屋" in pdf_text(response.content, tmp_path)


def test_it_audits_the_export(client, login, cast, areas):
    house = areas["houses"]["qingquan1"]
    login(cast["clerk"])

    client.get(reverse("grid:doorplate_building_pdf", args=[house.building.code]))

    event = AuditEvent.objects.latest("seq")
    assert (event.event_type, event.object_type, event.object_id) == (
        "export",
        "doorplate_sheet_building",
        house.building.code,
    )
    assert event.details["labels"] == 1 and event.details["pages"] == 1


@pytest.mark.parametrize(
    "name,code",
    [
        ("grid:doorplate_community_pdf", "qingquan"),
        ("grid:doorplate_building_pdf", "building"),
        ("grid:doorplate_community", "qingquan"),
    ],
)
def test_it_refuses_a_clerk_outside_the_area_as_not_found(client, login, cast, areas, name, code):
    value = (
        areas["qingquan"].code if code == "qingquan" else areas["houses"]["qingquan1"].building.code
    )
    login(cast["outsider"])

    response = client.get(reverse(name, args=[value]))

    assert response.status_code == 404
    event = AuditEvent.objects.latest("seq")
    assert (event.event_type, event.object_id) == ("denied", value)


@pytest.mark.parametrize("who", ["grid_worker", "viewer", "city_staff", "sys_admin"])
def test_it_refuses_other_roles(client, login, cast, areas, who):
    login(cast[who])

    response = client.get(reverse("grid:doorplate_community_pdf", args=[areas["qingquan"].code]))

    assert response.status_code == 403


def test_it_lists_the_communities_of_the_area_with_their_counts(
    client, login, cast, community, django_assert_max_num_queries
):
    login(cast["street_clerk"])

    with django_assert_max_num_queries(7):
        response = client.get(reverse("grid:doorplate_sheets"))

    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("grid:doorplate_community_pdf", args=[community.code]) in body
    assert reverse("grid:doorplate_community", args=["150302001002"]) in body  # 新南社区
    row = body.split(f'href="{reverse("grid:doorplate_community", args=[community.code])}"')[1]
    assert ">30<" in row.split("</tr>")[0]


def test_it_lists_the_buildings_of_a_community(
    client, login, cast, community, areas, django_assert_max_num_queries
):
    login(cast["clerk"])

    with django_assert_max_num_queries(7):
        response = client.get(reverse("grid:doorplate_community", args=[community.code]))

    body = response.content.decode()
    assert response.status_code == 200
    for grid in ("qingquan1", "qingquan2"):
        building = areas["houses"][grid].building
        assert reverse("grid:doorplate_building_pdf", args=[building.code]) in body
