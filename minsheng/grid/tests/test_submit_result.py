import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.residents.models import Provenance, Resident
from minsheng.screening.timeline import service_events
from minsheng.sources.models import fact_model

from ..actions import AlreadyDone, do_create_task, do_submit_result
from ..forms import FORMS
from ..models import GridTask, TaskKind, TaskResult
from .conftest import archive_pending

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def task_for(cast, person, kind):
    do_create_task(person.pk, kind=kind, reason="test", acting_user=cast["city_staff"])
    return GridTask.objects.get(person=person, kind=kind, status="open")


def form(kind, data, files=None):
    f = FORMS[kind](data, files or {})
    assert f.is_valid(), f.errors
    return f


def test_it_lands_in_the_archive_with_its_provenance(cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    result, created = do_submit_result(
        task,
        key=uuid.uuid4(),
        form=form(TaskKind.INSURANCE, {"insurance_willingness": "1", "income_band": "100"}),
        acting_user=cast["grid_worker"],
    )
    assert created
    assert archive_pending() == 1
    r = Resident.objects.get(pk=residents["wang"].pk)
    assert r.insurance_willingness == "1" and r.insurance_income_band == "100"
    assert r.residence_last_collected_date == timezone.localdate()
    p = Provenance.objects.get(pk=residents["wang"].pk)
    assert p.insurance_willingness_src == "grid_collect"
    fact = fact_model("grid_collect").objects.get(batch_id=result.batch_id, row=result.row)
    assert fact.task_id == task.pk and fact.worker == "grid_worker"
    assert fact.person_id == residents["wang"].pk
    task.refresh_from_db()
    assert task.status == "done" and task.closed_by == cast["grid_worker"]
    # the timeline shows the visit
    events = service_events(residents["wang"].pk)
    assert any(e["kind"] == "grid_visit" and "愿意参保" in e["detail"] for e in events)


def test_it_keeps_one_result_for_one_key(cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.TRAINING)
    key = uuid.uuid4()
    data = {"training_willingness": "1", "training_trade": "育婴员"}
    first, created = do_submit_result(
        task, key=key, form=form(TaskKind.TRAINING, data), acting_user=cast["grid_worker"]
    )
    again, created_again = do_submit_result(
        task, key=key, form=form(TaskKind.TRAINING, data), acting_user=cast["grid_worker"]
    )
    assert created and not created_again and first.pk == again.pk
    assert TaskResult.objects.count() == 1
    assert fact_model("grid_collect").objects.count() == 1
    # a new key for a closed task is refused, not a second result
    with pytest.raises(AlreadyDone):
        do_submit_result(
            task,
            key=uuid.uuid4(),
            form=form(TaskKind.TRAINING, data),
            acting_user=cast["grid_worker"],
        )
    archive_pending()
    assert Resident.objects.get(pk=residents["wang"].pk).education_training_willingness == "1"


def test_it_refuses_another_grid_s_worker(cast, residents, staffed):
    from minsheng.accounts.models import User

    task = task_for(cast, residents["qian"], TaskKind.JOB_SEEKER)  # 新南 1
    with pytest.raises(PermissionDenied):
        do_submit_result(
            task,
            key=uuid.uuid4(),
            form=form(TaskKind.JOB_SEEKER, {"job_seeker": "0", "employment_willingness": "2"}),
            acting_user=cast["grid_worker"],
        )
    assert not TaskResult.objects.exists()
    xinnan = User.objects.get(username=f"wg{staffed['xinnan1'].code}")
    _, created = do_submit_result(
        task,
        key=uuid.uuid4(),
        form=form(TaskKind.JOB_SEEKER, {"job_seeker": "0", "employment_willingness": "2"}),
        acting_user=xinnan,
    )
    assert created


def test_it_certifies_with_a_photo_and_a_signature(cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    seen = timezone.localdate() - timedelta(days=1)
    f = form(
        TaskKind.CERTIFICATION,
        {"outcome": "certified", "certification_date": seen.isoformat()},
        {
            "photo": SimpleUploadedFile("p.jpg", JPEG, "image/jpeg"),
            "signature": SimpleUploadedFile("s.png", PNG, "image/png"),
        },
    )
    result, _ = do_submit_result(task, key=uuid.uuid4(), form=f, acting_user=cast["grid_worker"])
    assert bytes(result.photo) == JPEG and bytes(result.signature) == PNG
    archive_pending()
    r = Resident.objects.get(pk=residents["wang"].pk)
    assert r.benefits_last_certification_date == seen
    assert r.benefits_certification_method == "4"


def test_it_refuses_a_certification_without_its_evidence():
    f = FORMS[TaskKind.CERTIFICATION]({"outcome": "certified"}, {})
    assert not f.is_valid()
    assert {"certification_date", "photo", "signature"} <= set(f.errors)
    fake = FORMS[TaskKind.CERTIFICATION](
        {"outcome": "certified", "certification_date": "2026-01-02"},
        {
            "photo": SimpleUploadedFile("p.jpg", b"GIF89a" + b"\x00" * 50, "image/jpeg"),
            "signature": SimpleUploadedFile("s.png", PNG, "image/png"),
        },
    )
    assert not fake.is_valid() and "photo" in fake.errors


def test_it_reports_a_death_without_marking_anyone_dead(cast, residents):
    task = task_for(cast, residents["zhao"], TaskKind.DEATH_REPORT)
    died = timezone.localdate() - timedelta(days=3)
    do_submit_result(
        task,
        key=uuid.uuid4(),
        form=form(
            TaskKind.DEATH_REPORT,
            {"death_date": died.isoformat(), "death_place": "家中", "death_evidence": "family"},
        ),
        acting_user=cast["grid_worker"],
    )
    archive_pending()
    r = Resident.objects.get(pk=residents["zhao"].pk)
    assert r.identity_death_date == died
    assert r.identity_survival_status == "3"  # 疑似死亡待核实, for the benefits work to verify


def test_it_updates_phone_and_living_alone_and_keeps_the_rest(cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INFO_UPDATE)
    do_submit_result(
        task,
        key=uuid.uuid4(),
        form=form(
            TaskKind.INFO_UPDATE,
            {"phone": "１３９-0000-1234", "lives_alone": "1", "marital_status": "30"},
        ),
        acting_user=cast["grid_worker"],
    )
    archive_pending()
    r = Resident.objects.get(pk=residents["wang"].pk)
    assert r.residence_lives_alone is True and r.identity_marital_status == "30"
    from minsheng import keys

    assert keys.provider().decrypt(r.identity_phone) == "13900001234"
    # a later survey of another kind leaves these as they are
    task2 = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    do_submit_result(
        task2,
        key=uuid.uuid4(),
        form=form(TaskKind.INSURANCE, {"insurance_willingness": "2"}),
        acting_user=cast["grid_worker"],
    )
    archive_pending()
    r.refresh_from_db()
    assert r.residence_lives_alone is True and r.insurance_willingness == "2"


def test_it_refuses_a_phone_that_is_no_phone():
    f = FORMS[TaskKind.INFO_UPDATE]({"phone": "12345"})
    assert not f.is_valid() and "phone" in f.errors
    assert not FORMS[TaskKind.INFO_UPDATE]({}).is_valid()


def test_it_is_audited(cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.HOME_SERVICE)
    key = uuid.uuid4()
    do_submit_result(
        task,
        key=key,
        form=form(TaskKind.HOME_SERVICE, {"service": ["policy"], "note": "讲解代缴政策"}),
        acting_user=cast["grid_worker"],
    )
    event = AuditEvent.objects.filter(object_type="grid_task", object_id=str(task.pk)).latest("id")
    assert event.details["key"] == str(key) and event.actor == cast["grid_worker"]


def test_it_refuses_a_death_in_the_future():
    tomorrow = date.today() + timedelta(days=2)
    f = FORMS[TaskKind.DEATH_REPORT](
        {"death_date": tomorrow.isoformat(), "death_place": "家中", "death_evidence": "family"}
    )
    assert not f.is_valid() and "death_date" in f.errors


def test_it_queues_one_archive_refresh_for_a_burst_of_results(
    cast, residents, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from minsheng.pipeline.jobs import refresh_archive

    for name in ("wang", "zhao"):
        task = task_for(cast, residents[name], TaskKind.VERIFY)
        with django_capture_on_commit_callbacks(execute=True):
            do_submit_result(
                task,
                key=uuid.uuid4(),
                form=form(TaskKind.VERIFY, {"outcome": "confirmed", "note": "属实"}),
                acting_user=cast["grid_worker"],
            )
    jobs = DBTaskResult.objects.filter(task_path=refresh_archive.module_path)
    assert jobs.count() == 1 and jobs.get().status == "READY"
    # the archive has not yet seen the visits; the refresh takes up both batches
    assert Resident.objects.get(pk=residents["wang"].pk).residence_last_collected_date is None
    assert archive_pending() == 2
    assert Resident.objects.get(pk=residents["wang"].pk).residence_last_collected_date
