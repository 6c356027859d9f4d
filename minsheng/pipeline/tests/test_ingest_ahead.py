"""Several files imported as a pipeline: the read → protect stages of the next files run in a
worker process while this one links and loads (pipeline.ingest.import_files).

The pipeline must give exactly what importing the files one after the other gives (the same
batches, persons, links, quarantine, reviews, unresolved records, audit and archive), fall
back to preparing a file itself when the worker cannot, and keep a file's refusal as the
file alone would. The person index kept between batches (sources.link.load_index) must be
the table's content whatever happened to it.
"""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from minsheng.audit.models import AuditEvent, EventType
from minsheng.pipeline import ingest
from minsheng.residents.models import Resident
from minsheng.sources import link, protect
from minsheng.sources.models import (
    FACT_MODELS,
    Batch,
    BatchStatus,
    LinkReview,
    Person,
    QuarantinedRow,
    UnresolvedRecord,
)
from minsheng.sources.read import SourceFileError

from .support import VOLATILE

AS_OF = date(2026, 11, 13)
pytestmark = pytest.mark.django_db


def _files(synth_city: Path) -> list:
    return ingest.ordered((synth_city / "exports").iterdir())


def _snapshot() -> dict:
    """Everything an import writes, keyed by what does not depend on row ids."""
    batch_file = dict(Batch.objects.values_list("id", "file_name"))
    facts = {}
    for source, model in FACT_MODELS.items():
        hashes = [f.name for f in model._meta.concrete_fields if f.name.endswith("_hash")]
        facts[source] = sorted(
            (batch_file[b], row, *rest)
            for b, row, *rest in model.objects.values_list(
                "batch_id", "row", "person_id", "link_method", "match_weight", *hashes
            )
        )
    resident_fields = [
        f.attname for f in Resident._meta.concrete_fields if f.attname not in VOLATILE
    ]
    return {
        "batches": sorted(
            Batch.objects.values_list(
                "file_name",
                "source",
                "status",
                "rows_read",
                "rows_accepted",
                "rows_quarantined",
                "reasons",
                "link_methods",
                "warnings",
                "conflicts",
                "persons_created",
                "error",
                "archived",
            )
        ),
        "persons": list(
            Person.objects.order_by("id").values_list(
                "id",
                "id_hash",
                "name",
                "sex",
                "birth_date",
                "phone_hash",
                "address",
                "district_code",
                "first_source",
                "first_batch__file_name",
                "first_row",
            )
        ),
        "facts": facts,
        "quarantined": sorted(
            QuarantinedRow.objects.values_list("batch__file_name", "row", "column", "reason_code")
        ),
        "reviews": sorted(
            LinkReview.objects.values_list(
                "batch__file_name", "row", "kind", "candidate_id", "match_weight", "status"
            )
        ),
        "unresolved": sorted(
            (file_name, source, [row for row, _fact in rows], status, person)
            for file_name, source, rows, status, person in UnresolvedRecord.objects.values_list(
                "batch__file_name", "source", "rows", "status", "person_id"
            )
        ),
        "audit": sorted(
            (e.event_type, e.object_type, e.result, str(sorted(_no_ids(e.details).items())))
            for e in AuditEvent.objects.all()
        ),
        "archive": list(Resident.objects.order_by("person_id").values_list(*resident_fields)),
    }


def _no_ids(details: dict) -> dict:
    return {k: v for k, v in details.items() if k not in {"batches"}}


def _wipe() -> None:
    Resident.objects.all().delete()
    for model in FACT_MODELS.values():
        model.objects.all().delete()
    UnresolvedRecord.objects.all().delete()
    Person.objects.all().delete()
    Batch.objects.all().delete()
    AuditEvent.objects.all().delete()


def test_it_imports_as_the_files_one_after_the_other_would(synth_city, crypto, var_dir):
    files = _files(synth_city)
    # given the city's exports imported one file after the other
    alone = ingest.import_files(files, as_of=AS_OF, ahead=False)
    expected = _snapshot()
    _wipe()
    # when they are imported again with the worker preparing the next files
    ahead = ingest.import_files(files, as_of=AS_OF)
    # then every batch is loaded and everything written is the same
    assert [b.status for b in ahead] == [BatchStatus.LOADED] * len(files)
    assert [b.file_name for b in ahead] == [b.file_name for b in alone]
    got = _snapshot()
    for part, rows in expected.items():
        assert got[part] == rows, part
    # and every stage was timed, those of the worker there
    assert all({"parse", "encrypt", "link", "load"} <= set(b.timings) for b in ahead)


def test_a_person_keeps_the_token_of_the_fact_that_brought_it(synth_city, crypto, var_dir):
    # given the city imported as a pipeline: the second file (the grid census) prepared in
    # the worker, its new persons written here
    batches = ingest.import_files(_files(synth_city), as_of=AS_OF)
    grid = next(b for b in batches if b.source == "grid_census")
    model = FACT_MODELS["grid_census"]
    persons = Person.objects.filter(first_batch=grid).exclude(id_enc=None)
    assert persons.exists()
    # then each person's ID token is the one its first fact row was given (taken from the
    # worker's output, not encrypted again)
    tokens = dict(model.objects.filter(batch=grid).values_list("row", "id_number_enc"))
    for person in persons:
        assert person.id_enc == tokens[person.first_row]


def test_a_worker_with_another_key_is_not_trusted(synth_city, crypto, var_dir, monkeypatch, caplog):
    files = _files(synth_city)[:3]
    # given a worker whose key is not this process's
    real = protect.key_check
    monkeypatch.setattr(protect, "key_check", lambda key_file=None: real(key_file) + "x")
    # when the files are imported
    with caplog.at_level(logging.WARNING, logger="minsheng.pipeline.ingest"):
        batches = ingest.import_files(files, as_of=AS_OF)
    # then each is prepared here instead, and imported
    assert "used another key" in caplog.text
    assert [b.status for b in batches] == [BatchStatus.LOADED] * 3


def test_a_refused_file_fails_as_it_would_alone(synth_city, crypto, var_dir, tmp_path):
    # given a folder whose second file lacks its required columns under known headers
    folder = tmp_path / "exports"
    folder.mkdir()
    good, bad = (
        next((synth_city / "exports").glob(f"{name}_*.csv"))
        for name in ("gongan_hukou", "rs_pension")
    )
    shutil.copy(good, folder / good.name)
    header, rest = bad.read_bytes().decode("gb18030").split("\n", 1)
    header = header.replace("证件号码", "某某号码").replace("姓名", "某某名")
    (folder / bad.name).write_bytes(f"{header}\n{rest}".encode("gb18030"))
    files = ingest.ordered(folder.iterdir())
    # when the folder is imported file by file
    with pytest.raises(SourceFileError) as alone:
        ingest.import_files(files, as_of=AS_OF, ahead=False)
    expected = _refusal(bad.name)
    _wipe()
    # and as a pipeline
    with pytest.raises(SourceFileError) as ahead:
        ingest.import_files(files, as_of=AS_OF)
    # then the file fails the same way, with how it was read kept for its page
    assert str(ahead.value) == str(alone.value)
    assert _refusal(bad.name) == expected
    assert expected[0] == BatchStatus.FAILED and expected[2]


def _refusal(file_name: str) -> tuple:
    b = Batch.objects.get(file_name=file_name)
    return b.status, b.error, b.columns, b.header_row


def test_an_import_event_is_recorded_per_batch(synth_city, crypto, var_dir):
    batches = ingest.import_files(_files(synth_city)[:3], as_of=AS_OF)
    events = AuditEvent.objects.filter(event_type=EventType.IMPORT, object_type="batch")
    assert sorted(int(e.object_id) for e in events) == sorted(b.pk for b in batches)


@pytest.fixture
def hukou_batch_row(db):
    return Batch.objects.create(
        source="gongan_hukou",
        file_name="gongan_hukou_20261110.csv",
        sha256="0" * 64,
        size_bytes=1,
        status=BatchStatus.LOADED,
        started_at=timezone.now(),
    )


def test_the_person_index_read_again_is_the_table(
    crypto, hukou_batch_row, django_assert_num_queries
):
    def full():
        with connection.cursor() as cursor:
            return link._read_index(cursor)

    def add(n: int, **values) -> Person:
        return Person.objects.create(
            id=n,
            first_source="gongan_hukou",
            first_batch=hukou_batch_row,
            first_row=n,
            created_at=timezone.now(),
            **values,
        )

    add(1, name="张三", sex="1")
    add(2, name="李四")
    assert link.load_index().equals(full())
    # kept while nobody wrote: only the stamp is read
    with django_assert_num_queries(1):
        kept = link.load_index()
    assert kept.equals(full())
    # a fill, an update that changes nothing, an insert and a delete
    Person.objects.filter(pk=2).update(sex="2", phone_hash="ab")
    assert link.load_index().equals(full())
    Person.objects.filter(pk=1).update(name="张三")
    add(3, name="王五")
    assert link.load_index().equals(full())
    Person.objects.filter(pk=1).delete()
    assert link.load_index().equals(full())
    # what link wrote itself is read back, and the index kept
    with transaction.atomic():
        link.load_index()
        add(4, name="赵六")
        add(5, name="孙七")
        Person.objects.filter(pk=2).update(address="某地")
        link._INDEX.wrote(4, [2])
        with django_assert_num_queries(1):
            kept = link.load_index()
        assert kept.equals(full())
    assert link.load_index().equals(full())
    # a transaction that read the index, wrote, and rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        link.load_index()
        add(6, name="周八")
        Person.objects.filter(pk=2).update(name="李四四")
        link._INDEX.wrote(6, [2])
        assert link.load_index().equals(full())
        raise RuntimeError
    assert link.load_index().equals(full())
    assert full()["person_id"].to_list() == [2, 3, 4, 5]
