"""Deleting a saved code mapping: POST /sources/mappings/codes/<id>/delete/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import CodeMapping


@pytest.fixture
def mapping(db):
    return CodeMapping.objects.create(
        source="mz_assistance", column="assistance_status", label="保障中", code="1"
    )


def url(mapping) -> str:
    return reverse("sources:code_mapping_delete", args=[mapping.pk])


def test_it_deletes_the_mapping_and_returns_to_the_list(cast, login, mapping):
    client = login(cast["city_staff"])
    response = client.post(url(mapping))
    assert response.status_code == 302
    assert response["Location"] == reverse("sources:mapping_list")
    assert not CodeMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.CHANGE, object_type="code_mapping", object_id=str(mapping.pk)
    ).exists()


@pytest.mark.parametrize("who", ["viewer", "outsider", "grid_worker", "audit_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, mapping, who):
    response = login(cast[who]).post(url(mapping))
    assert response.status_code == 403
    assert CodeMapping.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="code_mapping"
    ).exists()
