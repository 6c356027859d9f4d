"""The resolved archive.

Every source row is linked to a `sources.Person` (the person index, kept by the import's
link stage). `Resident` is the archive: one wide row per person holding
the 122 dictionary items, generated from `dictionary.toml`, rebuilt by set-based SQL
(`archive.py`) whenever a batch touches the person. Every later feature reads `Resident`.
`Provenance` holds, beside it, which source and which date each item's value came from.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.catalogue import dictionary
from minsheng.geo.scoping import ScopedQuerySet
from minsheng.sources.models import Person


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
