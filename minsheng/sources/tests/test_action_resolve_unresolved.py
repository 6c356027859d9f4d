"""`do_resolve_unresolved`: a clerk's verification of an unresolved record."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.residents.models import Resident
from minsheng.sources.actions import do_resolve_unresolved
from minsheng.sources.models import LinkMethod, Person, UnresolvedStatus, fact_model

Facts = fact_model("rs_employment")


def test_it_attaches_the_rows_to_the_person_and_audits_it(cast, unresolved):
    record = unresolved["qingquan"]
    do_resolve_unresolved(
        record, person=unresolved["zhang"], reason="户籍核对", acting_user=cast["clerk"]
    )
    record.refresh_from_db()
    assert (record.status, record.person_id) == (UnresolvedStatus.MATCHED, unresolved["zhang"].pk)
    assert record.decided_by == cast["clerk"] and record.reason == "户籍核对"
    fact = Facts.objects.get(pk=record.rows[0][1])
    assert (fact.person_id, fact.link_method) == (unresolved["zhang"].pk, LinkMethod.CLERICAL)
    event = AuditEvent.objects.get(event_type=EventType.CHANGE, object_type="unresolved_record")
    assert event.details["decision"] == "matched" and event.reason == "户籍核对"


def test_it_confirms_a_new_person_whose_archive_row_follows(cast, unresolved):
    record = unresolved["qingquan"]
    before = Person.objects.count()
    do_resolve_unresolved(
        record, person=None, reason="新迁入，已入户核实", acting_user=cast["clerk"]
    )
    record.refresh_from_db()
    assert record.status == UnresolvedStatus.NEW_PERSON
    assert Person.objects.count() == before + 1
    person = record.person
    assert person.name == "张三丰" and person.id_hash is None
    assert Resident.objects.filter(person=person).exists()


@pytest.mark.parametrize("who", ["viewer", "outsider", "grid_worker", "supervision"])
def test_it_refuses_who_may_not_resolve_it(cast, unresolved, who):
    with pytest.raises(PermissionDenied):
        do_resolve_unresolved(
            unresolved["qingquan"], person=None, reason="x", acting_user=cast[who]
        )


def test_it_needs_a_reason_and_decides_once(cast, unresolved):
    record = unresolved["qingquan"]
    with pytest.raises(ValueError):
        do_resolve_unresolved(record, person=None, reason=" ", acting_user=cast["clerk"])
    do_resolve_unresolved(record, person=None, reason="核实", acting_user=cast["clerk"])
    with pytest.raises(ValueError):  # no longer pending
        do_resolve_unresolved(record, person=None, reason="again", acting_user=cast["clerk"])
