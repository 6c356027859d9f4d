"""The portrait tags recomputed as a job: the tags the archive implies, whoever holds them."""

from __future__ import annotations

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.pipeline.ingest import import_file
from minsheng.pipeline.jobs import recompute_portrait_tags
from minsheng.screening.models import ResidentTag

from .support import export, run_worker


def held() -> set[tuple[int, str]]:
    return set(ResidentTag.objects.values_list("person_id", "tag"))


@pytest.mark.django_db(transaction=True)
def test_it_recomputes_the_portrait_tags_as_a_job(areas, var_dir, crypto, synth_city):
    # given an archive with its tags, which then went missing for everyone
    for name in ("gongan_hukou", "grid_census"):
        import_file(export(synth_city, name))
    expected = held()
    assert expected
    ResidentTag.objects.all().delete()

    # when the job recomputes everyone's tags
    job = recompute_portrait_tags.enqueue()
    assert not held()
    run_worker()

    # then the same tags are held again, and the job returns how many hold each
    result = DBTaskResult.objects.get(pk=job.id)
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert held() == expected
    counts = result.return_value
    assert sum(counts.values()) == len(expected)
    assert {t for t, n in counts.items() if n} == {t for _p, t in expected}


@pytest.mark.django_db(transaction=True)
def test_it_recomputes_the_tags_of_some_persons_only(areas, var_dir, crypto, synth_city):
    # given an archive with its tags, and three persons' tags gone
    import_file(export(synth_city, "gongan_hukou"))
    import_file(export(synth_city, "grid_census"))
    expected = held()
    persons = sorted({p for p, _t in expected})[:3]
    ResidentTag.objects.filter(person_id__in=persons).delete()

    # when the job recomputes two of them
    job = recompute_portrait_tags.enqueue(person_ids=persons[:2])
    run_worker()

    # then those two hold their tags again, the third still misses them
    assert DBTaskResult.objects.get(pk=job.id).status == TaskResultStatus.SUCCESSFUL
    assert held() == {(p, t) for p, t in expected if p != persons[2]}
