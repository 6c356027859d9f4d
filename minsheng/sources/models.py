"""Import batches, quarantined rows, the person index, the linkage review queue, and one typed
fact table per department source.

`Person` is the person index: the identity the link stage assigns every source row to
(seeded from household registration and the grid census); the archive (`residents`) holds
one resolved row per person. The fact tables are generated from the source registry
(`catalogue.registry`), so a source is declared once: each accepted input row becomes one fact row keyed by the linked person and
carrying its provenance (batch, row number, load time). ID numbers and phone numbers are
never stored in clear: each is kept SM4-encrypted beside its blind index.

Besides the facts, a batch keeps its quarantined rows and the warnings of its kept rows
(`RowWarning`), each located as the spreadsheet shows it (sheet row, column letter and
header), and how its file was read. A department's column and code mappings
(`ColumnMapping`, `CodeMapping`) are data the bureau's business staff keep per source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.catalogue import dictionary, registry
from minsheng.catalogue.codes import code_map
from minsheng.geo.scoping import ScopedQuerySet


class BatchStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    LOADED = "loaded", _("Loaded")
    FAILED = "failed", _("Failed")


class Batch(models.Model):
    """One department file, imported once. The file's SHA-256 makes a re-import a no-op."""

    source = models.CharField(_("source"), max_length=32, db_index=True)
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.RUNNING
    )
    rows_read = models.IntegerField(_("rows read"), default=0)
    rows_accepted = models.IntegerField(_("rows accepted"), default=0)
    rows_quarantined = models.IntegerField(_("rows quarantined"), default=0)
    # reason code → rows; link method → rows; warning → rows; conflict kind → rows
    reasons = models.JSONField(default=dict)
    link_methods = models.JSONField(default=dict)
    warnings = models.JSONField(default=dict)
    conflicts = models.JSONField(default=dict)
    stale_rows = models.IntegerField(_("stale rows"), default=0)
    persons_created = models.IntegerField(default=0)
    residents_refreshed = models.IntegerField(default=0)
    # False until the archive rows of the persons this batch touched have been rebuilt; a
    # multi-file import defers that to its end, and a crash in between is caught up later.
    archived = models.BooleanField(default=False)
    timings = models.JSONField(default=dict)  # stage → seconds
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # How the file was read: the data sheet of a workbook and the others it has, the header's
    # row as the spreadsheet shows it, each column of the file (`mapping.ColumnUse.as_dict`:
    # letter, header as written, maps_to, unit, hidden, used, ignored, samples) and the
    # warnings about whole columns (code, column letter, header, detail). The samples of an
    # unmapped column may be anyone's data, so they are stored masked
    # (`report.mask_cell`), never in clear.
    sheet_name = models.CharField(_("sheet"), max_length=255, blank=True)
    header_row = models.IntegerField(_("header row"), null=True, blank=True)
    other_sheets = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=list, blank=True)
    file_warnings = models.JSONField(default=list, blank=True)
    # The file as kept on the server, read again when the department's mappings are
    # re-applied to the batch. Never shown to clerks (a server path).
    stored_path = models.CharField(max_length=1024, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="batch_once_per_file")
        ]
        verbose_name = _("import batch")

    def __str__(self) -> str:
        return self.file_name

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_quarantined

    @property
    def source_label(self) -> str:
        return registry.label(self.source)


class PersonQuerySet(ScopedQuerySet):
    area_lookup = "resident"  # the person's archive row holds the area codes


class Person(models.Model):
    """One real individual as far as linkage can tell. The ID number is stored encrypted and
    found through its blind index."""

    id_hash = models.CharField(max_length=64, null=True, unique=True)
    id_enc = models.TextField(null=True)
    name = models.CharField(max_length=64, null=True)
    sex = models.CharField(max_length=1, null=True)
    birth_date = models.DateField(null=True)
    # Linkage attributes filled from the first row that has them, so later batches can be
    # matched on phone and address before the archive is rebuilt.
    phone_hash = models.CharField(max_length=64, null=True)
    address = models.TextField(null=True)
    district_code = models.CharField(max_length=6, null=True)
    first_source = models.CharField(max_length=32)
    first_batch = models.ForeignKey(Batch, models.PROTECT, related_name="+")
    first_row = models.IntegerField()
    created_at = models.DateTimeField()

    objects = PersonQuerySet.as_manager()

    class Meta:
        db_table = "residents_person"  # the table predates the index's move to this app
        verbose_name = _("person")

    def __str__(self) -> str:
        return f"{self.name or ''} ({self.pk})"


class PersonIndexStamp(models.Model):
    """One row whose token changes with every statement that writes the person table
    (database triggers, migration 0006). An import that keeps the person index it read
    (sources.link.load_index) knows the table is still what it read while the token is the
    one it saw."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class QuarantinedRow(models.Model):
    """An input row that could not be accepted, with where and why. The raw value may be an
    ID number, so it is stored encrypted. `row` is the row's number in the import (the
    provenance key); `sheet_row` the row as the spreadsheet shows it (null for rows
    quarantined before it was recorded), `letter` and `header` the file's column."""

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="quarantined")
    row = models.IntegerField(_("row"))
    sheet_row = models.IntegerField(_("sheet row"), null=True, blank=True)
    column = models.CharField(_("column"), max_length=64, blank=True)
    letter = models.CharField(_("column letter"), max_length=8, blank=True)
    header = models.CharField(_("header"), max_length=255, blank=True)
    raw_value_enc = models.TextField(blank=True)
    reason_code = models.CharField(_("reason code"), max_length=32, db_index=True)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["batch", "row"]
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="quarantine_row_once")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row} {self.reason_code}"


class RowWarning(models.Model):
    """Something noticed in a row that was kept (a label none of the column's codes, a date
    in the future, a hidden row …): where (import row, sheet row, column letter and header),
    which declared column, the warning's code and the raw value, encrypted like a
    quarantined row's. A file may have many; they are written in bulk (`load.py`)."""

    # (batch, row) serves the batch's pages and its deletion; no separate batch index.
    batch = models.ForeignKey(Batch, models.CASCADE, related_name="row_warnings", db_index=False)
    row = models.IntegerField(_("row"))
    sheet_row = models.IntegerField(_("sheet row"), null=True, blank=True)
    column = models.CharField(_("column"), max_length=64, blank=True)
    letter = models.CharField(_("column letter"), max_length=8, blank=True)
    header = models.CharField(_("header"), max_length=255, blank=True)
    code = models.CharField(_("warning"), max_length=32)
    raw_value_enc = models.TextField(blank=True)

    class Meta:
        ordering = ["batch", "row", "id"]
        indexes = [models.Index(fields=["batch", "row"], name="row_warning_batch_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row} {self.code}"


# -- a department's mappings (data, not code) -------------------------------------------


class ColumnMapping(models.Model):
    """A department's header the registry does not know, mapped by the bureau's business
    staff to a declared column of the source (or to nothing: `column` empty = ignore it).
    Applies to every later file of the source (`mappings.overrides_for`)."""

    source = models.CharField(_("source"), max_length=32)
    header = models.CharField(_("header"), max_length=255)  # registry.normalise_header
    column = models.CharField(_("column"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        ordering = ["source", "header"]
        constraints = [
            models.UniqueConstraint(fields=["source", "header"], name="column_mapping_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.header} → {self.column or '-'}"

    @property
    def ignored(self) -> bool:
        return not self.column


class CodeMapping(models.Model):
    """A label a department writes in a code column, mapped to one of the column's codes."""

    source = models.CharField(_("source"), max_length=32)
    column = models.CharField(_("column"), max_length=64)
    label = models.CharField(_("label"), max_length=255)
    code = models.CharField(_("code"), max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        ordering = ["source", "column", "label"]
        constraints = [
            models.UniqueConstraint(fields=["source", "column", "label"], name="code_mapping_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}.{self.column}: {self.label} → {self.code}"


class ReviewKind(models.TextChoices):
    PROBABLE = "probable", _("Probable match")
    ID_CONFLICT = "id_conflict", _("ID number with a different name or sex")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed: same person")
    REJECTED = "rejected", _("Rejected: different person")


class LinkReviewQuerySet(ScopedQuerySet):
    area_lookup = "candidate__resident"  # the candidate's archive row holds the area codes


class LinkReview(models.Model):
    """A source row whose link a clerk must decide: an uncertain probabilistic match, or an
    ID number whose name or sex disagrees with the person index (flagged, never merged)."""

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="reviews")
    source = models.CharField(max_length=32)
    row = models.IntegerField()
    fact_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    candidate = models.ForeignKey(Person, models.CASCADE, related_name="reviews", null=True)
    match_weight = models.FloatField(null=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LinkReviewQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "fact_id"], name="review_once_per_fact")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.row} → {self.candidate_id}"


class UnresolvedStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting verification")
    MATCHED = "matched", _("Matched to a person by a clerk")
    NEW_PERSON = "new_person", _("Confirmed as a new person")
    RELINKED = "relinked", _("Linked by a later file")


class UnresolvedRecordQuerySet(ScopedQuerySet):
    area_lookup = "area"  # the community the rows name (or their district, or the city)


class UnresolvedRecord(models.Model):
    """待核实记录: rows of one batch without a valid ID number that match nobody well
    enough, held for verification instead of becoming a person of their own.

    Its rows stay in the source's fact table without a person (link method `unresolved`);
    `rows` lists them. A clerk matches it to a person or confirms it as a new person
    (`actions.do_resolve_unresolved`), or a later import links it (`relink`); until then it
    counts in no population figure, theme or list. Kept in the area its rows name, so the
    community's staff see it."""

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="unresolved")
    source = models.CharField(max_length=32)
    group_key = models.IntegerField()
    rows = models.JSONField(default=list)  # [[row, fact_id], …] still unresolved
    # the community its rows name, else their district; none: only city staff see it
    area = models.ForeignKey("geo.Area", models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(
        max_length=12,
        choices=UnresolvedStatus.choices,
        default=UnresolvedStatus.PENDING,
        db_index=True,
    )
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UnresolvedRecordQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "group_key"], name="unresolved_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.batch_id}/{self.group_key}"

    @property
    def first_row(self) -> int | None:
        return self.rows[0][0] if self.rows else None


# -- fact tables, one per source --------------------------------------------------------


class LinkMethod(models.TextChoices):
    EXACT = "exact", _("Exact ID")
    REPAIRED = "repaired", _("Repaired ID")
    PROBABILISTIC = "probabilistic", _("Probabilistic")
    CLERICAL = "clerical", _("Clerical review")
    NEW = "new", _("New person")
    REVIEW = "review", _("Awaiting review")
    ID_CONFLICT = "id_conflict", _("ID conflict (flagged)")
    UNRESOLVED = "unresolved", _("Unresolved: awaiting verification")


class FactQuerySet(ScopedQuerySet):
    area_lookup = "person__resident"


class Fact(models.Model):
    # (batch, row) is unique, so that constraint's index serves batch lookups too.
    batch = models.ForeignKey(Batch, models.PROTECT, related_name="+", db_index=False)
    row = models.IntegerField()
    loaded_at = models.DateTimeField()
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, related_name="+", db_constraint=False
    )
    link_method = models.CharField(max_length=16, choices=LinkMethod.choices)
    match_weight = models.FloatField(null=True)
    duplicate_of = models.IntegerField(null=True)
    extra = models.JSONField(null=True)  # columns no declared header claims, kept as given

    objects = FactQuerySet.as_manager()

    class Meta:
        abstract = True


def encrypted(col: registry.Column) -> bool:
    """ID numbers, phones and whatever the dictionary marks encrypted (card, certificate
    numbers) are stored as ciphertext plus blind index."""
    return col.kind in ("id", "phone") or bool(col.item and dictionary.item(col.item).encrypted)


def _fields_for(col: registry.Column) -> dict[str, models.Field]:
    name, kind = col.name, col.kind
    if kind == "id":
        return {
            f"{name}_hash": models.CharField(max_length=64, null=True),
            f"{name}_enc": models.TextField(null=True),
            f"{name}_error": models.CharField(max_length=32, null=True),
        }
    if encrypted(col):
        return {
            f"{name}_hash": models.CharField(max_length=64, null=True),
            f"{name}_enc": models.TextField(null=True),
        }
    field = {
        "name": lambda: models.CharField(max_length=64, null=True),
        "sex": lambda: models.CharField(max_length=1, null=True),
        "date": lambda: models.DateField(null=True),
        "year_month": lambda: models.DateField(null=True),
        "datetime": lambda: models.DateTimeField(null=True),
        "integer": lambda: models.BigIntegerField(null=True),
        "decimal": lambda: models.DecimalField(max_digits=16, decimal_places=2, null=True),
        "uscc": lambda: models.CharField(max_length=32, null=True),
        "code": lambda: models.TextField(null=True),
        "text": lambda: models.TextField(null=True),
    }[kind]()
    out = {name: field}
    if kind == "uscc":
        out[f"{name}_valid"] = models.BooleanField(null=True)
    if kind == "code" and code_map(col):
        out[f"{name}_code"] = models.CharField(max_length=16, null=True)
    return out


def fact_columns(src: registry.Source) -> list[str]:
    """The typed columns of a source's fact table, in table order."""
    return [n for col in src.columns for n in _fields_for(col)]


def _fact_model(src: registry.Source) -> type[Fact]:
    camel = "".join(part.capitalize() for part in src.name.split("_"))
    attrs: dict[str, object] = {"__module__": __name__, "source_name": src.name}
    for col in src.columns:
        attrs.update(_fields_for(col))
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "db_table": f"fact_{src.name}",
            "constraints": [
                models.UniqueConstraint(fields=["batch", "row"], name=f"fact_{src.name}_row_once")
            ],
            # facts are found by ID number through its blind index; a plain b-tree (db_index
            # on a CharField would add an unused LIKE-pattern index on PostgreSQL)
            "indexes": [
                models.Index(fields=[f"{c.name}_hash"], name=f"{src.name[:12]}_{c.name[:12]}_h")
                for c in src.columns
                if c.kind == "id"
            ],
        },
    )
    return type(f"{camel}Fact", (Fact,), attrs)


FACT_MODELS: dict[str, type[Fact]] = {
    s.name: _fact_model(s) for s in (*registry.sources(), *registry.COLLECTED_SOURCES)
}


def fact_model(source: str) -> type[Fact]:
    return FACT_MODELS[source]
