"""Saved target lists (snapshots a later step turns into grid tasks) and residents' tags."""

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
