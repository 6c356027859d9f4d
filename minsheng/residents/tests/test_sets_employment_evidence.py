"""Employment from every source: the archive row's employment (status, employer, USCC,
form, start date) is the most recent evidence among the person's 就业登记 rows, the units
currently paying their employee pension, unemployment or work-injury insurance, and the
active businesses they run; provenance names that evidence's source, and its set entry
the batch and row."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.residents.models import Holding, HoldingKind, Provenance, Resident
from minsheng.residents.tests.test_conflicts_detection import World

EMPLOYER = "91150302MA0N3CX71B"
EMPLOYER_NAME = "乌海市海勃湾区恒通物流有限公司"
OLD_EMPLOYER = "91150303MA0PQ4RX9K"


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def worker(world):
    """刘建军, 41, of 清泉社区."""
    return world.person("15030219850304151", "刘建军", date(1985, 3, 4))


def contribution(world, person, scheme, status="参保缴费", *, uscc=EMPLOYER, since, **kw):
    return world.fact(
        "rs_insurance",
        person,
        day="20261109",
        name=person.name,
        scheme_code=scheme,
        insured_status=status,
        insured_identity="在职职工",
        insured_identity_code="1",
        first_insured_date=date(2008, 7, 1),
        current_insured_date=since,
        employer=EMPLOYER_NAME if uscc == EMPLOYER else "乌海市旧单位有限公司",
        employer_uscc=uscc,
        **kw,
    )


def registration(world, person, *, uscc, on, form="单位就业", form_code="1"):
    return world.fact(
        "rs_employment",
        person,
        day="20261109",
        name=person.name,
        registration_type="就业登记",
        registration_type_code="E",
        employment_form=form,
        employment_form_code=form_code,
        employer="乌海市旧单位有限公司" if uscc else None,
        employer_uscc=uscc,
        registration_date=on,
    )


def archive_row(person) -> Resident:
    return Resident.objects.get(pk=person.pk)


@pytest.mark.django_db
def test_it_counts_a_current_contribution_as_employment_without_a_registration(world, worker):
    # given no 就业登记 row, but a unit paying his pension, unemployment and work-injury
    # insurance since 2026-06-01
    for scheme in ("110", "210", "410"):
        contribution(world, worker, scheme, since=date(2026, 6, 1))
    # when the archive is refreshed
    world.refresh(worker)
    # then he is employed there, since then, as 单位就业
    r = archive_row(worker)
    assert r.employment_status == "1"
    assert (r.employment_employer_uscc, r.employment_employer) == (EMPLOYER, EMPLOYER_NAME)
    assert r.employment_start_date == date(2026, 6, 1)
    assert r.employment_form == "1"
    # and the provenance names the contributions, the set entry their batch and row
    p = Provenance.objects.get(pk=worker.pk)
    assert (p.employment_employer_uscc_src, p.employment_start_date_at) == (
        "rs_insurance",
        date(2026, 6, 1),
    )
    [entry] = Holding.objects.filter(person=worker, kind=HoldingKind.EMPLOYER)
    assert (entry.key, entry.source, entry.start_date) == (
        EMPLOYER,
        "rs_insurance",
        date(2026, 6, 1),
    )
    assert entry.batch.source == "rs_insurance" and entry.row > 1


@pytest.mark.django_db
def test_it_takes_no_stopped_contribution_nor_a_resident_scheme(world, worker):
    # given pension contributions that are paused, and resident medical insurance
    contribution(world, worker, "110", "暂停缴费", since=date(2026, 6, 1))
    contribution(world, worker, "390", uscc=None, since=date(2026, 7, 1))
    # when the archive is refreshed
    world.refresh(worker)
    # then nothing says he works anywhere
    r = archive_row(worker)
    assert r.employment_employer_uscc is None and r.employment_start_date is None
    assert not Holding.objects.filter(person=worker, kind=HoldingKind.EMPLOYER).exists()


@pytest.mark.django_db
def test_it_takes_the_most_recent_evidence_and_keeps_every_employer(world, worker):
    # given a 就业登记 at an old employer in 2019, and contributions by a new one from 2026
    registration(world, worker, uscc=OLD_EMPLOYER, on=date(2019, 3, 1))
    contribution(world, worker, "110", since=date(2026, 6, 1))
    # when the archive is refreshed
    world.refresh(worker)
    # then the contributions are his employment, and both employers are in the set
    assert archive_row(worker).employment_employer_uscc == EMPLOYER
    entries = Holding.objects.filter(person=worker, kind=HoldingKind.EMPLOYER)
    assert {(e.key, e.source) for e in entries} == {
        (EMPLOYER, "rs_insurance"),
        (OLD_EMPLOYER, "rs_employment"),
    }
    # when a later 就业登记 moves him back to the old employer
    registration(world, worker, uscc=OLD_EMPLOYER, on=date(2026, 9, 1))
    world.refresh(worker)
    # then that is his employment, from 就业登记, and the old employer is one entry still
    r = archive_row(worker)
    assert (r.employment_employer_uscc, r.employment_start_date) == (OLD_EMPLOYER, date(2026, 9, 1))
    assert Provenance.objects.get(pk=worker.pk).employment_start_date_src == "rs_employment"
    assert Holding.objects.filter(person=worker, kind=HoldingKind.EMPLOYER).count() == 2


@pytest.mark.django_db
def test_it_counts_running_an_active_business_as_self_employment(world, worker):
    # given no job, an 个体工商户 he runs since 2026-08, and a company of his long closed
    for uscc, name, kind, status, code, since in (
        ("92150302MA0R7K3L2X", "海勃湾区刘记便利店", "个体工商户", "存续", "1", date(2026, 8, 3)),
        (
            "91150302MA0Q1B2C3D",
            "乌海市建军商贸有限公司",
            "有限责任公司",
            "注销",
            "4",
            date(2015, 1, 1),
        ),
    ):
        world.fact(
            "scjg_business",
            worker,
            day="20261108",
            uscc=uscc,
            entity_name=name,
            entity_type=kind,
            name=worker.name,
            established_date=since,
            status=status,
            status_code=code,
            employees=1,
        )
    # when the archive is refreshed
    world.refresh(worker)
    # then he is employed, as 个体经营, at his shop since it opened
    r = archive_row(worker)
    assert (r.employment_status, r.employment_form) == ("1", "5")
    assert (r.employment_employer_uscc, r.employment_start_date) == (
        "92150302MA0R7K3L2X",
        date(2026, 8, 3),
    )
    assert Provenance.objects.get(pk=worker.pk).employment_form_src == "scjg_business"
