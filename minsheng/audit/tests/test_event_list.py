import pytest
from django.urls import reverse

from minsheng.audit.actions import record_event
from minsheng.audit.models import AuditEvent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["clerk", "outsider", "viewer", "city_staff", "sys_admin", "sec_admin", "supervision"]
)
def test_it_refuses_everyone_but_the_audit_admin(cast, login, role):
    client = login(cast[role])
    assert client.get(reverse("audit:event_list")).status_code == 403
    assert client.get(reverse("audit:event_export")).status_code == 403
    assert (
        AuditEvent.objects.filter(event_type="denied", actor_username=cast[role].username).count()
        == 2
    )


@pytest.mark.django_db
def test_it_lists_and_filters_events(cast, login, django_assert_max_num_queries):
    record_event("view", actor=cast["clerk"], object_type="resident", object_id="42")
    record_event("export", actor=cast["street_clerk"], object_type="target_list", object_id="7")
    client = login(cast["audit_admin"])
    with django_assert_max_num_queries(13):
        response = client.get(reverse("audit:event_list"), {"actor": "clerk"})
    assert [e.object_id for e in response.context["page"]] == ["42"]
    response = client.get(reverse("audit:event_list"), {"event_type": "export"})
    assert [e.actor_username for e in response.context["page"]] == ["street_clerk"]
    response = client.get(
        reverse("audit:event_list"), {"object_type": "resident", "object_id": "42"}
    )
    assert len(response.context["page"]) == 1


@pytest.mark.django_db
def test_it_audits_reading_and_exporting_the_trail(cast, login):
    client = login(cast["audit_admin"])
    client.get(reverse("audit:event_list"))
    response = client.get(reverse("audit:event_export"))
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("seq,time,actor")
    assert AuditEvent.objects.filter(event_type="audit_view").count() == 1
    assert AuditEvent.objects.filter(event_type="audit_export").count() == 1
