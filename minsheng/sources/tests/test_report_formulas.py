"""The batch report keeps a department's text as text: no cell opens as a formula."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.lib.tests.test_spreadsheet import xlsx_cells
from minsheng.sources.models import QuarantinedRow
from minsheng.sources.tests.conftest import make_batch

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.django_db
def test_it_writes_quarantined_values_and_file_names_as_text_not_formulas(cast, login, crypto):
    # Given a batch whose file name is a formula, with a quarantined whole line that is a
    # formula and a quarantined police-station cell that is an @-command
    batch = make_batch("gongan_hukou", "20260110", rows_read=2, rows_quarantined=2)
    batch.file_name = f"{HYPERLINK}.csv"
    batch.reasons = {"malformed_row": 1, "missing_required": 1}
    batch.save()
    for row, column, raw, code in [
        (1, "", HYPERLINK, "malformed_row"),
        (2, "police_station", "@SUM(1)", "missing_required"),
    ]:
        QuarantinedRow.objects.create(
            batch=batch,
            row=row,
            column=column,
            raw_value_enc=crypto.encrypt(raw),
            reason_code=code,
            reason=code,
        )
    # When city staff download the batch report
    response = login(cast["city_staff"]).get(reverse("sources:batch_report", args=[batch.pk]))
    # Then no cell of any sheet is a formula, and the values are there as visible text
    assert response.status_code == 200
    cells = xlsx_cells(response.content)
    assert not [c for c in cells if c["formula"]]
    texts = [c["text"] for c in cells]
    assert texts.count(f"'{HYPERLINK}.csv") == 3  # the summary and both quarantined rows
    assert "'" + HYPERLINK in texts
    assert "'@SUM(1)" in texts
