"""The office-file corpus (tests/files/, issue 11) through the real import into the
database: `minsheng.pipeline.ingest.import_file` against `tests/files/MANIFEST.json`.

Each file is imported alone into an empty database (its own test, parametrised by file
name), with a key file of the test's own. What is checked:

- refused files: `SourceFileError` with the manifest's code, and nothing loaded;
- the batch's figures, one fact per accepted row and one quarantine row per quarantined
  row, with its reason and registry column (row numbers are the importer's ordinals,
  1 = the first row after the header: `corpus.ordinal`), and, where the model records
  them, its sheet row, column letter and header;
- the warnings kept with the batch (`RowWarning`: exactly the manifest's on every accepted
  row; the batch's `file_warnings`), expected to fail while that model is absent;
- every listed value of every accepted row in its fact (ciphertext decrypted, blind index
  recomputed, a code by its `<col>_code`);
- every row with a valid ID linked to that ID's person, and no row linked to a person its
  `must_not_link_to` rules out;
- the archive: for every accepted row with a valid ID, each value of a column that feeds a
  dictionary item reaches that person's archive item. Skipped where something else
  legitimately decides the item: a derived item or one the archive's derivations
  overwrite; an item no view of the source carries from this column (rs_handling_log, a
  view's own expression not built on the column); a row a view's filter leaves out (its
  `where`, evaluated on the row's fact); a person whose rows in the file disagree on the
  value (which row wins is the archive's rule, not the corpus's; rows that agree are
  checked). This reads the archive's own view definitions (`archive.views`,
  `_view_items`, `_column_expr`, `_row_derivations`, `_household_columns`);
- the manifest's `archive[]` entries, importing `with_files` too (seeding sources first,
  then in the manifest's order): the value, and where `conflict` is true a visible conflict
  (`minsheng.residents.models.Conflict`: its `values`, or the `value` of each of its
  `facts`; expected to fail while that model is absent).

Date-times in facts: the fact must hold the wall-clock time written in the file; either
reading of the stored value is accepted (naive as UTC, as the bulk loader writes it today,
or aware converted to Asia/Shanghai), since the time-zone convention is not what this
corpus tests.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime

import pytest
from django.db import connection
from django.utils import timezone

from minsheng import keys
from minsheng.catalogue import dictionary, registry
from minsheng.catalogue.codes import code_map
from minsheng.pipeline.ingest import import_file
from minsheng.residents import archive
from minsheng.residents import models as archive_models
from minsheng.residents.models import Resident, field_name
from minsheng.sources import models as source_models
from minsheng.sources.models import (
    Batch,
    BatchStatus,
    Person,
    QuarantinedRow,
    encrypted,
    fact_model,
)
from minsheng.sources.read import SourceFileError

from . import corpus
from .corpus import Problems, as_manifest

pytestmark = pytest.mark.django_db

READ = corpus.read_files()
REFUSED = corpus.refused_files()
RULED_OUT = [n for n in READ if any(r.get("must_not_link_to") for r in corpus.entry(n)["rows"])]
ARCHIVE = [
    pytest.param(e["file"], i, id=f"{e['file']}-{i}-{a['item']}")
    for e in corpus.entries()
    for i, a in enumerate(e["archive"])
]
CONFLICTS = [
    p for p in ARCHIVE if corpus.entry(p.values[0])["archive"][p.values[1]].get("conflict")
]
CONFLICT_MODEL = hasattr(archive_models, "Conflict")
ROW_WARNING_MODEL = hasattr(source_models, "RowWarning")
MISSING = "<not listed>"


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def imported(crypto, var_dir):
    """`imported(*names)`: import corpus files, seeding sources first, then in the order
    given; returns file name → batch."""

    def run(*names: str) -> dict[str, Batch]:
        order = sorted(
            names, key=lambda n: registry.import_rank(corpus.entry(n)["source"])[0]
        )  # stable: the given order within a rank
        return {n: import_file(corpus.path(n), source=corpus.entry(n)["source"]) for n in order}

    return run


def blind(value: str) -> str:
    return keys.provider().blind_index(value)


def decrypt(token: str | None) -> str | None:
    return None if token is None else keys.provider().decrypt(token)


def person_of(id_number: str) -> Person | None:
    return Person.objects.filter(id_hash=blind(id_number)).first()


def facts(name: str, batch: Batch) -> dict[int, object]:
    model = fact_model(corpus.entry(name)["source"])
    return {f.row: f for f in model.objects.filter(batch=batch)}


def wall_clock(value: datetime) -> set[str]:
    """The ways a stored date-time may say the time written in the file (see above)."""
    if timezone.is_naive(value):
        return {as_manifest(value)}
    return {
        as_manifest(value.replace(tzinfo=None)),
        as_manifest(timezone.localtime(value).replace(tzinfo=None)),
    }


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_it_refuses_the_file_and_loads_nothing(imported, name):
    # given a file the manifest says is refused
    e = corpus.entry(name)
    # when it is imported
    with pytest.raises(SourceFileError) as caught:
        imported(name)
    # then the refusal has the manifest's code, and nothing was loaded
    assert getattr(caught.value, "code", None) == e["refusal"]["code"], str(caught.value)
    assert not Batch.objects.filter(status=BatchStatus.LOADED).exists()
    assert not fact_model(e["source"]).objects.exists()
    assert not Person.objects.exists()
    assert not QuarantinedRow.objects.exists()


# -- batches, facts, quarantine -----------------------------------------------------------


@pytest.mark.parametrize("name", READ)
def test_it_loads_one_fact_per_accepted_row_and_quarantines_the_rest(imported, name):
    # given a file and the outcome of each of its rows
    e = corpus.entry(name)
    problems = Problems(name)
    accepted, quarantined = corpus.rows(e, "accepted"), corpus.rows(e, "quarantined")
    # when it is imported
    batch = imported(name)[name]
    # then the batch balances with the manifest's figures
    problems.expect("status", BatchStatus.LOADED, batch.status)
    problems.expect("rows read", len(e["rows"]), batch.rows_read)
    problems.expect("rows accepted", len(accepted), batch.rows_accepted)
    problems.expect("rows quarantined", len(quarantined), batch.rows_quarantined)
    # and each accepted row is one fact, at its row
    expected = [corpus.ordinal(e, r["row"]) for r in accepted]
    problems.expect("fact rows", expected, sorted(facts(name, batch)))
    # and each quarantined row one quarantine row, with its reason and column
    got = {q.row: q for q in batch.quarantined.all()}
    problems.expect(
        "quarantined rows", [corpus.ordinal(e, r["row"]) for r in quarantined], sorted(got)
    )
    for r in quarantined:
        q = got.get(corpus.ordinal(e, r["row"]))
        if q is None:
            continue
        problems.expect(f"row {r['row']} reason", r["reason"]["code"], q.reason_code)
        column = corpus.maps_to(e, r["reason"]["column"])
        problems.expect(f"row {r['row']} column", column or "", q.column or "")
        if has_field(QuarantinedRow, "letter"):  # where the model records the file's column
            problems.expect(f"row {r['row']} sheet row", r["row"], q.sheet_row)
            problems.expect(f"row {r['row']} letter", r["reason"]["column"] or "", q.letter)
            problems.expect(f"row {r['row']} header", r["reason"]["header"] or "", q.header)
    problems.check()


@pytest.mark.xfail(
    not ROW_WARNING_MODEL,
    reason="minsheng.sources.models.RowWarning (warnings kept with the batch) does not exist",
    strict=False,
)
@pytest.mark.parametrize("name", READ)
def test_it_keeps_the_row_and_file_warnings_with_the_batch(imported, name):
    # given the warnings the manifest lists on the file and on each accepted row
    e = corpus.entry(name)
    problems = Problems(name)
    # when the file is imported
    batch = imported(name)[name]
    # then each accepted row's warnings are stored with the batch, exactly
    got: dict[int, list[tuple]] = defaultdict(list)
    for w in source_models.RowWarning.objects.filter(batch=batch):
        problems.expect(
            f"warning {w.code} at {w.sheet_row}: row", corpus.ordinal(e, w.sheet_row), w.row
        )
        got[w.sheet_row].append((w.code, w.letter or None, w.header or None))
    for r in corpus.rows(e, "accepted"):
        problems.expect(
            f"row {r['row']} warnings", corpus.warnings(r), corpus.sort_triples(got[r["row"]])
        )
    # and so are the file's warnings
    stored = corpus.sort_triples(
        (w["code"], w["column"], w["header"]) for w in getattr(batch, "file_warnings", [])
    )
    problems.expect("file warnings", corpus.file_warnings(e), stored)
    problems.check()


def has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


@pytest.mark.parametrize("name", READ)
def test_it_stores_every_value_of_every_accepted_row_in_its_fact(imported, name):
    # given the expected values of every accepted row
    e = corpus.entry(name)
    source = registry.source(e["source"])
    problems = Problems(name)
    # when the file is imported
    batch = imported(name)[name]
    stored = facts(name, batch)
    # then each fact holds them: ciphertext and blind index for what is encrypted
    for r in corpus.rows(e, "accepted"):
        fact = stored.get(corpus.ordinal(e, r["row"]))
        if fact is None:
            problems.add(f"row {r['row']}: no fact")
            continue
        for column, expected in r["values"].items():
            at = f"row {r['row']} {column}"
            try:
                col = source.column(column)
            except KeyError:
                problems.add(f"{at}: not a column of {source.name}")
                continue
            if encrypted(col):
                digest = getattr(fact, f"{column}_hash")
                problems.expect(f"{at} (blind index)", expected and blind(expected), digest)
                if expected is not None:
                    plain = decrypt(getattr(fact, f"{column}_enc"))
                    problems.expect(f"{at} (decrypted)", expected, plain)
            elif col.kind == "code" and code_map(col):
                problems.expect(at, expected, getattr(fact, f"{column}_code"))
            elif col.kind == "datetime" and getattr(fact, column) is not None:
                got = wall_clock(getattr(fact, column))
                if expected not in got:
                    problems.add(f"{at}: expected {expected!r}, got {sorted(got)}")
            else:
                problems.expect(at, expected, as_manifest(getattr(fact, column)))
    problems.check()


# -- linkage ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", READ)
def test_it_links_every_row_with_an_id_to_that_ids_person(imported, name):
    # given the accepted rows with a valid ID
    e = corpus.entry(name)
    problems = Problems(name)
    # when the file is imported
    batch = imported(name)[name]
    stored = facts(name, batch)
    # then each row's fact is linked to the person of that ID
    for r in corpus.rows(e, "accepted"):
        number = r["values"].get("id_number")
        fact = stored.get(corpus.ordinal(e, r["row"]))
        if number is None or fact is None:
            continue
        person = person_of(number)
        if person is None:
            problems.add(f"row {r['row']}: no person for its ID")
        else:
            problems.expect(f"row {r['row']} person", person.pk, fact.person_id)
    problems.check()


@pytest.mark.parametrize("name", RULED_OUT)
def test_it_never_links_a_row_to_a_person_the_manifest_rules_out(imported, name):
    # given rows the manifest says must not be linked to certain IDs (a son without a
    # readable ID who shares his father's phone, flat and sex)
    e = corpus.entry(name)
    problems = Problems(name)
    # when the file is imported
    batch = imported(name)[name]
    stored = facts(name, batch)
    # then none of them is linked to those persons
    for r in corpus.rows(e, "accepted"):
        fact = stored.get(corpus.ordinal(e, r["row"]))
        for number in r.get("must_not_link_to", []):
            person = person_of(number)
            if fact is not None and person is not None and fact.person_id == person.pk:
                problems.add(f"row {r['row']} linked to the person of {number}")
    problems.check()


# -- the archive --------------------------------------------------------------------------


def feeding_views(source: registry.Source, col: registry.Column) -> list[archive.View]:
    """The archive's views of the source that carry the column's value to its item: the
    column itself, or a view's own expression built on it (a guard that drops a death date
    no accepted row can hold: in the future, before birth). A view's expression that does
    not use the column (a constant, another column) does not carry it."""
    expr = archive._column_expr(col)
    own = re.compile(rf"\bf\.{re.escape(col.name)}\b")
    found = []
    for v in archive.views():
        sql = archive._view_items(v).get(col.item) if v.source == source.name else None
        if sql is not None and (sql == expr or own.search(sql)):
            found.append(v)
    return found


def rows_in_view(view: archive.View, batch: Batch) -> set[int]:
    """The fact rows of the batch the view's filter keeps."""
    table = fact_model(view.source)._meta.db_table
    where = f" AND ({view.where})" if view.where else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT f.row FROM {table} f WHERE f.batch_id = %s{where}", [batch.pk])
        return {row for (row,) in cursor.fetchall()}


def overwritten() -> set[str]:
    """Archive columns the derivation passes compute, whatever the views resolve."""
    return set(archive._row_derivations()) | set(archive._household_columns())


def check_archive_value(
    problems: Problems, at: str, resident: Resident, item: dictionary.Item, expected
) -> None:
    """The resident's item against a manifest value ('1'/'0' for a boolean item)."""
    name = field_name(item.code)
    if item.encrypted:
        problems.expect(
            f"{at} (blind index)", expected and blind(expected), getattr(resident, f"{name}_hash")
        )
        if expected is not None:
            problems.expect(f"{at} (decrypted)", expected, decrypt(getattr(resident, name)))
    elif item.type == "boolean":
        want = None if expected is None else {"1": True, "0": False}.get(expected, expected)
        problems.expect(at, want, getattr(resident, name))
    else:
        problems.expect(at, expected, as_manifest(getattr(resident, name)))


@pytest.mark.parametrize("name", READ)
def test_it_carries_every_accepted_value_to_the_persons_archive(imported, name):
    # given the accepted rows with a valid ID, by person
    e = corpus.entry(name)
    source = registry.source(e["source"])
    problems = Problems(name)
    columns = {c.name: c for c in source.columns}
    persons: dict[str, list[dict]] = defaultdict(list)
    for r in corpus.rows(e, "accepted"):
        if r["values"].get("id_number") is not None:
            persons[r["values"]["id_number"]].append(r)
    # when the file alone is imported (and the archive refreshed)
    batch = imported(name)[name]
    skip = overwritten()
    in_view: dict[str, set[int]] = {}
    # then every value of a column feeding an item reaches the person's archive
    for number, rows in persons.items():
        person = person_of(number)
        resident = Resident.objects.filter(person=person).first() if person else None
        if resident is None:
            problems.add(f"rows {[r['row'] for r in rows]}: no archive row for their ID")
            continue
        for column in dict.fromkeys(k for r in rows for k in r["values"]):
            col = columns.get(column)
            if col is None or col.item is None:
                continue
            item = dictionary.item(col.item)
            if item.resolution == "derived" or field_name(item.code) in skip:
                continue
            views = feeding_views(source, col)
            for v in views:
                if v.alias not in in_view:
                    in_view[v.alias] = rows_in_view(v, batch)
            kept = [
                r
                for r in rows
                if any(corpus.ordinal(e, r["row"]) in in_view[v.alias] for v in views)
            ]
            values = {json.dumps(r["values"].get(column, MISSING)) for r in kept}
            if len(values) != 1:
                continue  # no row feeds the item, or the person's rows disagree: a rule decides
            value = kept[0]["values"].get(column, MISSING)
            if value == MISSING:
                continue
            expected = value[:10] if col.kind == "datetime" and value else value
            at = f"rows {[r['row'] for r in kept]} {column} → {item.code}"
            check_archive_value(problems, at, resident, item, expected)
    problems.check()


def archive_files(name: str, index: int) -> list[str]:
    a = corpus.entry(name)["archive"][index]
    return [name, *corpus.with_files(a)]


@pytest.mark.parametrize(("name", "index"), ARCHIVE)
def test_it_resolves_the_archive_items_the_manifest_names(imported, name, index):
    # given an expectation on one person's archive item, with the files it needs
    a = corpus.entry(name)["archive"][index]
    problems = Problems(f"{name} archive[{index}]")
    # when those files are imported
    imported(*archive_files(name, index))
    # then the person's item holds the manifest's value
    person = person_of(a["id_number"])
    resident = Resident.objects.filter(person=person).first() if person else None
    assert resident is not None, f"no archive row for {a['id_number']}"
    check_archive_value(problems, a["item"], resident, dictionary.item(a["item"]), a["value"])
    problems.check()


@pytest.mark.xfail(
    not CONFLICT_MODEL,
    reason="minsheng.residents.models.Conflict (the conflict API) does not exist yet",
    strict=False,
)
@pytest.mark.parametrize(("name", "index"), CONFLICTS)
def test_it_shows_a_conflict_where_the_manifest_expects_one(imported, name, index):
    # given an archive item the manifest says its sources disagree on
    a = corpus.entry(name)["archive"][index]
    # when the files are imported
    imported(*archive_files(name, index))
    # then the person's item has a visible conflict naming the value kept and another one
    conflict_model = archive_models.Conflict
    resident = Resident.objects.get(person=person_of(a["id_number"]))
    conflicts = list(conflict_model.objects.filter(resident=resident, item=a["item"]))
    assert conflicts, f"no conflict on {a['item']}"
    values = {as_manifest(v) for c in conflicts for v in conflict_values(c)}
    assert a["value"] in values, values
    assert len(values) >= 2, values
    for c in conflicts:
        if getattr(c, "shown", None) is not None:  # the value the archive shows, if kept
            assert as_manifest(c.shown) == a["value"], c.shown


def conflict_values(conflict) -> list:
    """The values a conflict names: its `values` list, or (the model as built) the `value`
    of each fact in `facts` that reports one."""
    if isinstance(getattr(conflict, "values", None), list):
        return conflict.values
    return [
        f["value"]
        for f in getattr(conflict, "facts", [])
        if f.get("role", "value") == "value" and f.get("value") is not None
    ]
