"""Deleting a saved column mapping: POST /sources/mappings/columns/<id>/delete/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import ColumnMapping


@pytest.fixture
def mapping(db):
    return ColumnMapping.objects.create(
        source="mz_assistance", header="家庭人口数", column="household_size"
    )


def url(mapping) -> str:
    return reverse("sources:column_mapping_delete", args=[mapping.pk])


def test_it_deletes_the_mapping_and_returns_to_the_list(cast, login, mapping):
    client = login(cast["city_staff"])
    response = client.post(url(mapping))
    assert response.status_code == 302
    assert response["Location"] == reverse("sources:mapping_list")
    assert not ColumnMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.CHANGE, object_type="column_mapping", object_id=str(mapping.pk)
    ).exists()
    assert "列映射已删除" in client.get(response["Location"]).content.decode()


def test_it_answers_404_for_a_mapping_that_does_not_exist(cast, login, db):
    response = login(cast["city_staff"]).post(
        reverse("sources:column_mapping_delete", args=[999999])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "sys_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, mapping, who):
    response = login(cast[who]).post(url(mapping))
    assert response.status_code == 403
    assert ColumnMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="column_mapping"
    ).exists()
