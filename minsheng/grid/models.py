"""Grid work (网格): who holds each grid.

A grid's post (`GridPost`) names its grid worker, or, while the grid is vacant, the worker of
another grid who covers it (`cover`). Door-to-door work belongs to the grid, not to a worker:
whoever holds the post when a task is open is who does it, so a worker who leaves takes no
task away and their successor or cover finds the grid's open tasks waiting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minsheng.geo.models import Area


class GridPostQuerySet(models.QuerySet):
    def held_by(self, user) -> GridPostQuerySet:
        """The posts a grid worker holds: their own grid and the vacant grids they cover."""
        return self.filter(Q(worker=user) | Q(cover=user))


class GridPost(models.Model):
    grid = models.OneToOneField(
        Area, models.PROTECT, related_name="post", limit_choices_to={"level": "grid"}
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_posts",
        verbose_name=_("grid worker"),
    )
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="covered_posts",
        verbose_name=_("covered by"),
    )
    changed_at = models.DateTimeField(_("changed at"))

    objects = GridPostQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid post")
        constraints = [
            # a grid has its own worker or, vacant, at most one cover: never both
            models.CheckConstraint(
                condition=Q(worker__isnull=True) | Q(cover__isnull=True),
                name="grid_post_worker_or_cover",
            )
        ]

    def __str__(self) -> str:
        return self.grid.code

    @property
    def holder(self):
        """Who does the grid's work now: its worker, else its cover (None: nobody)."""
        return self.worker or self.cover

    @property
    def vacant(self) -> bool:
        return self.worker_id is None
