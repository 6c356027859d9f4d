"""The resolved archive.

Every source row is linked to a `sources.Person` (the person index, kept by the import's
link stage). `Resident` is the archive: one wide row per person holding
the 122 dictionary items, generated from `dictionary.toml`, rebuilt by set-based SQL
(`archive.py`) whenever a batch touches the person. Every later feature reads `Resident`.
`Provenance` holds, beside it, which source and which date each item's value came from.
`Holding` keeps what a person has several of (businesses, employers, benefits,
disabilities) as a set, where the archive row shows one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.catalogue import dictionary
from minsheng.geo.scoping import ScopedQuerySet
from minsheng.sources.models import Batch, Person


def field_name(code: str) -> str:
    """Dictionary item code → archive column name (identity.birth_date → identity_birth_date)."""
    return code.replace(".", "_")


def _item_field(item: dictionary.Item) -> models.Field:
    label = item.name_zh
    if item.encrypted or item.type == "string":
        return models.TextField(label, null=True)
    return {
        "code": lambda: models.CharField(label, max_length=16, null=True),
        "date": lambda: models.DateField(label, null=True),
        "integer": lambda: models.IntegerField(label, null=True),
        "decimal": lambda: models.DecimalField(label, max_digits=14, decimal_places=2, null=True),
        "boolean": lambda: models.BooleanField(label, null=True),
    }[item.type]()


class ResidentQuerySet(ScopedQuerySet):
    area_lookup = ""  # the residence area codes are columns of the archive row itself


# Column order of the archive row: the short typed values that rules compare first, free
# text and ciphertext last. SQLite (and PostgreSQL's tuple deforming) walk a row's columns
# from the first to the one asked for, so a rule on a code late in a 135-column row pays
# for every column before it.
_COLUMN_RANK = {"boolean": 0, "code": 1, "integer": 2, "date": 3, "decimal": 4, "string": 5}


def _column_rank(item: dictionary.Item) -> int:
    return len(_COLUMN_RANK) if item.encrypted else _COLUMN_RANK[item.type]


def _resident_fields() -> dict[str, object]:
    attrs: dict[str, object] = {}
    for item in sorted(dictionary.items(), key=_column_rank):
        name = field_name(item.code)
        attrs[name] = _item_field(item)
        if item.encrypted:
            attrs[f"{name}_hash"] = models.CharField(max_length=64, null=True)
    return attrs


def _provenance_fields() -> dict[str, object]:
    attrs: dict[str, object] = {}
    for item in dictionary.items():
        if item.keep_provenance:
            name = field_name(item.code)
            attrs[f"{name}_src"] = models.CharField(max_length=32, null=True)
            attrs[f"{name}_at"] = models.DateField(null=True)
    return attrs


class ResidentBase(models.Model):
    person = models.OneToOneField(
        Person, models.CASCADE, primary_key=True, related_name="resident", db_constraint=False
    )
    # Scope: copied from residence.grid so area filtering is one indexed equality.
    district_code = models.CharField(max_length=6, blank=True)
    town_code = models.CharField(max_length=9, blank=True)
    community_code = models.CharField(max_length=12, blank=True)
    grid_code = models.CharField(max_length=15, blank=True)
    as_of = models.DateField()
    refreshed_at = models.DateTimeField()

    objects = ResidentQuerySet.as_manager()

    class Meta:
        abstract = True


Resident = type(
    "Resident",
    (ResidentBase,),
    {
        "__module__": __name__,
        **_resident_fields(),
        "Meta": type(
            "Meta",
            (),
            {
                "verbose_name": _("resident archive"),
                # Plain b-tree indexes (db_index on a CharField would add a second,
                # LIKE-pattern index on PostgreSQL that equality lookups never use).
                "indexes": [
                    models.Index(fields=["hukou_household_number"], name="resident_household"),
                    # the archive's date (`MAX(as_of)`) from the index's end, not a scan
                    models.Index(fields=["as_of"], name="resident_as_of"),
                    *[
                        models.Index(fields=[f], name=f"resident_{f}")
                        for f in ("district_code", "town_code", "community_code", "grid_code")
                    ],
                    *[
                        models.Index(
                            fields=[f"{field_name(i.code)}_hash"],
                            name=f"resident_{field_name(i.code)[:16]}_h",
                        )
                        for i in dictionary.items()
                        if i.encrypted
                    ],
                ],
            },
        ),
        "__str__": lambda self: f"{self.identity_name or ''} ({self.pk})",
    },
)


# Kept out of the archive row on purpose: every screening rule scans `Resident`, and SQLite
# decodes a row's columns up to the last one a rule reads; two provenance columns per item
# tripled the row's width and more than doubled the time of a city-wide rule.
Provenance = type(
    "Provenance",
    (models.Model,),
    {
        "__module__": __name__,
        "person": models.OneToOneField(
            Person,
            models.CASCADE,
            primary_key=True,
            related_name="provenance",
            db_constraint=False,
        ),
        **_provenance_fields(),
        "Meta": type("Meta", (), {"verbose_name": _("archive provenance")}),
        "__str__": lambda self: f"provenance of {self.pk}",
    },
)


# -- sets -----------------------------------------------------------------------------


class HoldingKind(models.TextChoices):
    # a market entity the person is the legal representative or owner of (市场监管)
    BUSINESS = "business", _("Business")
    # a unit the person works for: a 就业登记 row, or a current contribution to employee
    # pension, unemployment or work-injury insurance paid by the unit
    EMPLOYER = "employer", _("Employer")
    # a pension (养老待遇) or a kind of social assistance (低保, 特困 …)
    BENEFIT = "benefit", _("Benefit")
    # a disability certificate (残联)
    DISABILITY = "disability", _("Disability")


class HoldingQuerySet(ScopedQuerySet):
    area_lookup = "person__resident"  # the person's archive row holds the area codes


class Holding(models.Model):
    """One of the things a person may have several of, with the fact row it comes from.

    The archive row shows one business (the latest), one employment (the most recent
    evidence) and so on; this set keeps them all, so that a rule can ask whether *any* of
    them holds (`business_any(...)` in the rule language) and the profile can list them.
    Rebuilt by the archive refresh (`archive.py`, set SQL) for the persons it rebuilds: one
    row per person, kind and key, from the latest fact row of that key.

    What the columns hold per kind (a code column holds the codes of the item named):

    - business: key the USCC, label the entity's name, category business.entity_kind,
      status business.status, start the date established, employees its reported staff.
    - employer: key the employer's USCC (null for a 就业登记 without one), label its name,
      category employment.form (单位就业 for a contribution), start the registration date
      or the current insured date.
    - benefit: from 养老待遇 key the pension type (benefits.pension_type), status
      benefits.pension_payment_status, start and end month; from 民政 key the assistance
      type (dibao, tekun, dibao_edge, fpr), status assistance.status, start the approval
      date, end the stop date.
    - disability: key disability.type, category disability.grade, start the date issued."""

    # No constraints and no index of the person alone: rows are deleted and inserted again
    # by every refresh; (person, kind) serves the profile and the rules' EXISTS lookups.
    person = models.ForeignKey(
        Person, models.CASCADE, db_constraint=False, db_index=False, related_name="holdings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=HoldingKind.choices)
    key = models.CharField(_("key"), max_length=32, null=True)
    label = models.TextField(_("name"), null=True)
    category = models.CharField(_("category"), max_length=16, null=True)
    status = models.CharField(_("status"), max_length=16, null=True)
    start_date = models.DateField(_("start date"), null=True)
    end_date = models.DateField(_("end date"), null=True)
    employees = models.IntegerField(_("employees"), null=True)
    # provenance: the fact row (source, batch, row) the entry was taken from
    source = models.CharField(_("source"), max_length=32)
    batch = models.ForeignKey(
        Batch, models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    row = models.IntegerField(_("row"))

    objects = HoldingQuerySet.as_manager()

    class Meta:
        verbose_name = _("archive set entry")
        indexes = [models.Index(fields=["person", "kind"], name="holding_person_kind")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.key or ''}"


class RetirementAge(models.Model):
    """Statutory retirement age by birth month and category (filled from
    minsheng.lib.retirement) so that archive SQL can join it instead of calling Python."""

    birth_month = models.DateField()
    category = models.CharField(max_length=16)
    age_months = models.IntegerField()
    retire_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["birth_month", "category"], name="retirement_once")
        ]

    def __str__(self) -> str:
        return f"{self.birth_month:%Y-%m} {self.category}: {self.age_months}"


# -- conflicts -------------------------------------------------------------------------


class ConflictKind(models.TextChoices):
    # two or more different values of the item among the person's facts (across sources or
    # within one source)
    VALUES_DIFFER = "values_differ", _("Sources report different values")
    # facts dated after the death date the archive shows (a handling-log entry, a pension
    # paid for a later month, a card issued …)
    ACTIVITY_AFTER_DEATH = "activity_after_death", _("Activity after death")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Unresolved")
    RESOLVED = "resolved", _("Resolved")


class ConflictQuerySet(ScopedQuerySet):
    area_lookup = "resident"  # the archive row holds the area codes


class Conflict(models.Model):
    """Facts about one item of one person that must not be settled silently: the archive
    still shows one value (the item's resolution rule), and this row makes the
    disagreement visible on the profile and in the conflicts list.

    Kept by `conflicts.detect` for the persons each archive refresh rebuilds: a conflict
    that no longer holds is removed, one whose facts changed is replaced (open again), one
    whose facts did not change keeps its status. `facts` lists what was found, each
    {"role": "value" | "activity", "source", "batch", "file", "row", "value" (ISO date),
    "reported" (a 公安 report's 注销日期, else null), "what" (an activity's kind or matter),
    "item" (the dictionary item an activity's date feeds, for masking, else null)}.
    """

    # db_column person_id: the archive row's key is the person's id. No constraint: the
    # archive rows are deleted and inserted again by every refresh. No index of its own:
    # the unique constraint's (person_id, item, kind) serves lookups by person.
    resident = models.ForeignKey(
        Resident,
        models.CASCADE,
        db_column="person_id",
        db_constraint=False,
        db_index=False,
        related_name="conflicts",
    )
    item = models.CharField(_("item"), max_length=64)  # dictionary item code
    kind = models.CharField(_("kind"), max_length=32, choices=ConflictKind.choices)
    facts = models.JSONField(_("facts found"), default=list)
    shown = models.TextField(_("archive value"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"))
    status = models.CharField(
        _("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("data conflict")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "item", "kind"], name="conflict_once_per_item_kind"
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="conflict_status_kind")]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.item} {self.kind}"

    @property
    def values(self) -> list:
        """The item's values found (ISO dates for a date item), in the order of `facts`."""
        return [f["value"] for f in self.facts if f.get("role") == "value"]
