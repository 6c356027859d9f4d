"""Mapping an unmapped column from the batch page: POST /sources/batches/<id>/column-mapping/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import ColumnMapping


def url(batch) -> str:
    return reverse("sources:batch_column_mapping", args=[batch.pk])


def test_it_saves_the_mapping_for_the_department_and_returns_to_the_batch(cast, login, hukou_batch):
    # given city staff on a 公安 batch with a column 现住地 no declared column claims
    client = login(cast["city_staff"])

    # when they map it to 户籍地址
    response = client.post(url(hukou_batch), {"header": "现住地", "column": "hukou_address"})

    # then the mapping is saved for the source, audited, and they are back on the batch
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sources:batch_detail", args=[hukou_batch.pk]))
    mapping = ColumnMapping.objects.get()
    assert (mapping.source, mapping.header, mapping.column) == (
        "gongan_hukou",
        "现住地",
        "hukou_address",
    )
    assert AuditEvent.objects.filter(
        event_type=EventType.CHANGE, object_type="column_mapping", actor=cast["city_staff"]
    ).exists()
    # and the message says it applies to 公安局's later files, in Chinese
    page = client.get(response["Location"])
    assert "已保存：公安局文件中的“现住地”对应“户籍地址”" in page.content.decode()


def test_it_saves_a_column_to_be_ignored(cast, login, hukou_batch):
    client = login(cast["city_staff"])
    client.post(url(hukou_batch), {"header": "备注", "column": "-"})
    assert ColumnMapping.objects.get().column == ""


def test_it_refuses_a_column_the_source_does_not_have(cast, login, hukou_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when the form is posted with a column of another source
    response = client.post(url(hukou_batch), {"header": "网格", "column": "grid_code"})

    # then nothing is saved and they are told
    assert response.status_code == 302
    assert not ColumnMapping.objects.exists()
    assert "请选择该列对应的列" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "supervision", "sys_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, hukou_batch, who):
    client = login(cast[who])
    response = client.post(url(hukou_batch), {"header": "现住地", "column": "hukou_address"})
    assert response.status_code == 403
    assert not ColumnMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="column_mapping"
    ).exists()


def test_it_answers_405_to_get(cast, login, hukou_batch):
    assert login(cast["city_staff"]).get(url(hukou_batch)).status_code == 405
