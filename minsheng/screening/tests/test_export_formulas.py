"""The target-list export keeps archive text as text: no cell opens as a formula."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.geo.models import Area
from minsheng.lib.tests.test_spreadsheet import xlsx_cells
from minsheng.residents.models import Resident

HYPERLINK = '=HYPERLINK("http://x","y")'
EXPORT = reverse("screening:export", args=["graduates", "graduates_unemployed"])


@pytest.mark.django_db
def test_it_writes_names_and_areas_as_text_not_formulas(cast, login, graduates, areas):
    # Given a listed graduate whose archived name is a formula, in a grid named by an
    # @-command
    wang = graduates["wang"][0]
    Resident.objects.filter(person=wang).update(identity_name=HYPERLINK)
    Area.objects.filter(code=areas["grids"]["qingquan1"].code).update(name="@SUM(1)")
    # When the street clerk exports the list
    response = login(cast["street_clerk"]).get(EXPORT)
    # Then no cell is a formula, and the (masked) name and the grid are visible text
    assert response.status_code == 200
    cells = xlsx_cells(response.content)
    assert not [c for c in cells if c["formula"]]
    texts = [c["text"] for c in cells]
    assert "'=" + "*" * (len(HYPERLINK) - 1) in texts
    assert "'@SUM(1)" in texts
