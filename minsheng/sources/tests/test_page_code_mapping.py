"""Mapping an unmapped label from the batch page: POST /sources/batches/<id>/code-mapping/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import CodeMapping


def url(batch) -> str:
    return reverse("sources:batch_code_mapping", args=[batch.pk])


def test_it_saves_the_code_of_a_label_and_returns_to_the_batch(cast, login, hukou_batch):
    # given city staff on a 公安 batch where 人员状态 had the label 在册
    client = login(cast["city_staff"])

    # when they map it to 正常 (1)
    response = client.post(
        url(hukou_batch), {"column": "hukou_status", "label": "在册", "code": "1"}
    )

    # then it is saved for the source, audited, and they are back on the batch
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sources:batch_detail", args=[hukou_batch.pk]))
    mapping = CodeMapping.objects.get()
    assert (mapping.source, mapping.column, mapping.label, mapping.code) == (
        "gongan_hukou",
        "hukou_status",
        "在册",
        "1",
    )
    assert AuditEvent.objects.filter(
        event_type=EventType.CHANGE, object_type="code_mapping", actor=cast["city_staff"]
    ).exists()


def test_it_refuses_a_code_that_is_not_one_of_the_columns(cast, login, hukou_batch):
    client = login(cast["city_staff"])
    response = client.post(
        url(hukou_batch), {"column": "hukou_status", "label": "在册", "code": "2"}
    )
    assert response.status_code == 302
    assert not CodeMapping.objects.exists()
    assert "请选择该列的一个代码" in client.get(response["Location"]).content.decode()


def test_it_refuses_a_column_the_source_does_not_have(cast, login, hukou_batch):
    client = login(cast["city_staff"])
    client.post(url(hukou_batch), {"column": "assistance_status", "label": "在保", "code": "1"})
    assert not CodeMapping.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "outsider", "street_clerk", "audit_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, hukou_batch, who):
    client = login(cast[who])
    response = client.post(
        url(hukou_batch), {"column": "hukou_status", "label": "在册", "code": "1"}
    )
    assert response.status_code == 403
    assert not CodeMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="code_mapping"
    ).exists()
