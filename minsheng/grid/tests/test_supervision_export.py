"""The area's table as CSV (`grid:supervision_export`): counts only, headed by who
exported it, audited."""

# ruff: noqa: F811 (month_world, a fixture imported from supervision_world, is a parameter)

import csv
import io

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType

from .supervision_world import month_world  # noqa: F401
from .test_supervision_area import assert_no_personal_data

pytestmark = pytest.mark.django_db


def test_it_exports_the_table_of_an_area(client, login, cast, month_world):
    m = month_world["month"]
    login(cast["supervision"])
    response = client.get(reverse("grid:supervision_export", args=["150300"]), {"month": m.key})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"grid-supervision-150300-{m.key}.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "乌海市" in rows[0][0] and "supervision" in rows[0][0]  # who exported it
    assert rows[1][:3] == ["区域/网格员", "编码/账号", "派发"]
    xinhua = next(r for r in rows[1:] if r[1] == "150302001")
    assert xinhua[0] == "新华街道" and xinhua[2] == "8"
    assert rows[-1][0] == "合计" and rows[-1][2] == "9"
    assert_no_personal_data(text)
    event = AuditEvent.objects.get(event_type=EventType.EXPORT, object_type="grid_supervision")
    assert event.object_id == "150300" and event.details["month"] == m.key


def test_it_exports_a_grid_s_workers(client, login, cast, areas, month_world):
    login(cast["clerk"])
    grid = areas["grids"]["qingquan1"].code
    response = client.get(
        reverse("grid:supervision_export", args=[grid]), {"month": month_world["month"].key}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = next(r for r in rows[1:] if r[1] == cast["grid_worker"].username)
    assert mine[-1] == "47.6"


def test_it_refuses_the_outsider_and_a_grid_worker(client, login, cast, areas):
    url = reverse("grid:supervision_export", args=[areas["qingquan"].code])
    login(cast["outsider"])
    assert client.get(url).status_code == 404
    login(cast["grid_worker"])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(event_type=EventType.EXPORT).exists()
