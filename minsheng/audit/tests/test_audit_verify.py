import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from minsheng.audit.actions import record_event, verify_chain
from minsheng.audit.models import AuditEvent


@pytest.fixture
def chain(cast):
    for i in range(5):
        record_event(
            "view",
            actor=cast["clerk"],
            object_type="resident",
            object_id=i,
            reason="核查",
            details={"i": i, "姓名": "张*"},
        )
    return list(AuditEvent.objects.order_by("seq"))


@pytest.mark.django_db
def test_it_passes_on_an_untouched_chain(chain, capsys):
    call_command("audit_verify")
    assert f"{len(chain)} events verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_links_each_event_to_the_previous_one(chain):
    assert chain[0].prev_hash == "0" * 64
    for prev, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == prev.hash and event.seq == prev.seq + 1


@pytest.mark.django_db
def test_it_fails_naming_the_event_edited_in_the_database(chain):
    victim = chain[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过", victim.seq]
        )
    with pytest.raises(CommandError, match=f"broken at event {victim.seq}: content does not match"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_it_fails_when_an_event_is_deleted(chain):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [chain[1].seq])
    report = verify_chain()
    assert not report.ok and report.broken_seq == chain[1].seq


@pytest.mark.django_db
def test_it_fails_when_the_newest_events_are_deleted(chain):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[-2].seq])
    report = verify_chain()
    assert not report.ok and report.broken_seq == chain[-2].seq


@pytest.mark.django_db
def test_it_fails_when_an_event_is_rehashed_alone(chain):
    # Recomputing one event's own hash after an edit still breaks the next event's link.
    victim = chain[1]
    victim.reason = "篡改"
    victim.hash = victim.compute_hash()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE seq = %s",
            [victim.reason, victim.hash, victim.seq],
        )
    report = verify_chain()
    assert not report.ok and report.broken_seq == chain[2].seq
