"""The lists that read what only grid collection knows stop being empty once workers report."""

import uuid

import pytest

from minsheng.screening import catalog, engine

from ..actions import do_create_task, do_submit_result
from ..forms import FORMS
from ..models import GridTask, TaskKind
from .conftest import archive_pending

pytestmark = pytest.mark.django_db


def members(theme: str, code: str) -> set[int]:
    rule = catalog.theme(theme).list(code)
    return set(engine.matching_all(rule.rule, rule=code).values_list("person_id", flat=True))


def report(cast, person, kind, data):
    do_create_task(person.pk, kind=kind, reason="t", acting_user=cast["city_staff"])
    task = GridTask.objects.get(person=person, kind=kind, status="open")
    form = FORMS[kind](data)
    assert form.is_valid(), form.errors
    do_submit_result(task, key=uuid.uuid4(), form=form, acting_user=cast["grid_worker"])
    archive_pending()


def test_it_fills_the_willing_to_insure_list(cast, residents):
    assert residents["zhao"].pk not in members("insurance_expansion", "insurance_willing")
    report(
        cast,
        residents["zhao"],
        TaskKind.INSURANCE,
        {"insurance_willingness": "1", "income_band": "60"},
    )
    assert residents["zhao"].pk in members("insurance_expansion", "insurance_willing")
    # asked again a month later, he says no: off the list
    report(cast, residents["zhao"], TaskKind.INSURANCE, {"insurance_willingness": "2"})
    assert residents["zhao"].pk not in members("insurance_expansion", "insurance_willing")


def test_it_fills_the_elderly_living_alone_list(cast, residents, staffed, crypto):
    from datetime import date

    from minsheng.pipeline.actions import refresh_persons
    from minsheng.residents.tests.conftest import make_batch

    from .conftest import census_person

    batch = make_batch("grid_census", "20260302")
    old = census_person(
        crypto, batch, 2, "15030219450606105", "刘桂兰", "2", date(1945, 6, 6), staffed["qingquan1"]
    )
    refresh_persons([old.pk])
    assert old.pk not in members("population", "population_lives_alone_elderly")
    report(cast, old, TaskKind.INFO_UPDATE, {"lives_alone": "1"})
    assert old.pk in members("population", "population_lives_alone_elderly")
