"""Saved target lists (snapshots a later step turns into grid tasks), residents' tags, and the
themes' figures kept per grid beside the archive (figures.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.geo.scoping import ScopedQuerySet


class TargetListQuerySet(ScopedQuerySet):
    area_lookup = "area"


class TargetList(models.Model):
    """A target list as it stood when saved: which rule (and version) chose whom, for which
    area. Its members are fixed; rerunning the rule later makes a new snapshot."""

    list_code = models.CharField(_("list"), max_length=64, db_index=True)
    theme_code = models.CharField(max_length=32)
    name = models.CharField(_("name"), max_length=200)
    rule_text = models.TextField()
    rule_version = models.CharField(_("rule version"), max_length=32)
    as_of = models.DateField(_("archive date"))
    area = models.ForeignKey("geo.Area", models.PROTECT, related_name="+")
    size = models.IntegerField(_("residents"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetListQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("saved target list")

    def __str__(self) -> str:
        return f"{self.name} ({self.rule_version})"


class TargetListMember(models.Model):
    target_list = models.ForeignKey(TargetList, models.CASCADE, related_name="members")
    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    # which conditions held, as shown when the list was saved
    explanation = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target_list", "person"], name="member_once")
        ]

    def __str__(self) -> str:
        return f"{self.target_list_id}:{self.person_id}"


class ResidentTag(models.Model):
    """A portrait tag that holds for a resident (recomputed set-wise from tags.toml)."""

    person = models.ForeignKey("sources.Person", models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=32)
    rule_version = models.CharField(max_length=32)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="tag_once")]
        indexes = [models.Index(fields=["tag"], name="resident_tag")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.tag}"


# -- the pages' figures (kept by figures.py) ----------------------------------------------


class GridFigureQuerySet(ScopedQuerySet):
    area_lookup = ""  # the grid's area codes are columns of the row itself


class GridFigure(models.Model):
    """How many residents of one grid a rule holds for (`dimension` "count"), or, for a
    theme's population, how many fall in one bucket of a chart (age band, sex, employment
    status, pyramid cell). The codes are the residents' own: a resident without a grid
    counts in the row whose codes are all '' (the unassigned), so the city's sums match
    the archive. Rows with no residents are not kept."""

    district_code = models.CharField(max_length=6)
    town_code = models.CharField(max_length=9)
    community_code = models.CharField(max_length=12)
    grid_code = models.CharField(max_length=15)
    code = models.CharField(max_length=64)  # a list's code or a theme's population code
    dimension = models.CharField(max_length=16)
    bucket = models.CharField(max_length=40)  # '' for a count, and for an unknown value
    n = models.IntegerField()

    objects = GridFigureQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "district_code",
                    "town_code",
                    "community_code",
                    "grid_code",
                    "code",
                    "dimension",
                    "bucket",
                ],
                name="grid_figure_once",
            )
        ]
        indexes = [models.Index(fields=["code", "dimension"], name="grid_figure_code")]

    def __str__(self) -> str:
        return f"{self.grid_code or '-'} {self.code} {self.dimension}={self.bucket}: {self.n}"


class PersonFigure(models.Model):
    """What one resident adds to the grid figures: their area codes, household, age band,
    sex and employment status as the charts bucket them, and which of the catalogue's rules
    hold for them (bit i of `held` for the i-th rule of `figures.rules()`, the rules after
    the 63rd in `held_more`). Kept so that a refresh of a few persons takes back exactly
    what they added before."""

    person = models.OneToOneField(
        "sources.Person", models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    district_code = models.CharField(max_length=6)
    town_code = models.CharField(max_length=9)
    community_code = models.CharField(max_length=12)
    grid_code = models.CharField(max_length=15)
    household = models.TextField(null=True)
    band = models.CharField(max_length=8)
    sex = models.CharField(max_length=16)
    employment = models.CharField(max_length=16)
    held = models.BigIntegerField()
    held_more = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["household"], name="person_figure_household")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.held:x} {self.held_more:x}"


class FigureSet(models.Model):
    """The one row saying for which archive date and which catalogue the figures were
    computed: `digest` of the whole catalogue (a refresh of a few persons needs the same),
    and `versions`, each rule's version (and the buckets' layout under ""): a page uses the
    figures of the rules whose version is still the catalogue's."""

    as_of = models.DateField()
    digest = models.CharField(max_length=64)
    versions = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"figures of {self.as_of} ({self.digest[:8]})"
