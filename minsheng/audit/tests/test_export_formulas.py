"""The audit CSV keeps typed text as text: no field opens as a formula in Excel."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType, Result
from minsheng.lib.spreadsheet import is_formula_like

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.django_db
def test_it_exports_typed_usernames_and_reasons_as_text_not_formulas(cast, login):
    # Given a failed login under a formula as username and a reveal whose reason is a command
    record_event(EventType.LOGIN_FAILED, username=HYPERLINK, result=Result.FAILURE)
    record_event(
        EventType.VIEW,
        actor=cast["clerk"],
        object_type="resident",
        object_id="42",
        reason="@SUM(1)",
        details={"action": "reveal", "minutes": 10},
    )
    # When the audit administrator exports the trail
    response = login(cast["audit_admin"]).get(reverse("audit:event_export"))
    # Then no field of the CSV starts a formula, and both texts are there to read
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert not [field for row in body for field in row if is_formula_like(field)]
    actor, reason = header.index("actor"), header.index("reason")
    assert "'" + HYPERLINK in [row[actor] for row in body]
    assert "'@SUM(1)" in [row[reason] for row in body]
