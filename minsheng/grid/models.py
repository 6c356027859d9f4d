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
from django.utils.translation import pgettext_lazy

from minsheng.geo.models import Area
from minsheng.geo.scoping import ScopedQuerySet


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


class TaskKind(models.TextChoices):
    INSURANCE = "insurance_willingness", _("Insurance willingness")
    JOB_SEEKER = "job_seeker", _("Job-seeker registration")
    TRAINING = "training_willingness", _("Training willingness")
    CERTIFICATION = "certification", _("Door-to-door certification")
    HOME_SERVICE = "home_service", _("Home service")
    DEATH_REPORT = "death_report", _("Death report")
    VERIFY = "verify", _("Record check")
    INFO_UPDATE = "info_update", _("Information update")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("grid task status", "Open")
    DONE = "done", pgettext_lazy("grid task status", "Done")
    CANCELLED = "cancelled", _("Cancelled")


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class Origin(models.TextChoices):
    LIST = "list", _("Target list")
    POLICY = "policy", _("Policy run")
    HAND = "hand", _("By hand")
    ROLL = "roll", _("Benefit roll")


class GridTaskQuerySet(ScopedQuerySet):
    area_lookup = ""  # the area codes are columns of the task (the resident's at dispatch)

    def held_by(self, user) -> GridTaskQuerySet:
        """The tasks a grid worker does: those handed to them, and those of the grids they
        hold (their own and the vacant ones they cover) not handed to someone else."""
        # the codes first (a worker holds one grid, or a few): a literal list lets the
        # database use the grid index and the assignee index together, where a sub-select
        # made it read every task (18 ms a query with 50,000 open tasks)
        grids = list(GridPost.objects.held_by(user).values_list("grid__code", flat=True))
        return self.filter(Q(assignee=user) | Q(assignee__isnull=True, grid_code__in=grids))


class GridTask(models.Model):
    """A door-to-door task about one resident, for whoever holds the resident's grid (or the
    worker it was handed to). At most one task of a kind is open per resident: the partial
    unique index makes dispatching a list twice, or a list and a policy, create it once."""

    kind = models.CharField(_("task type"), max_length=24, choices=TaskKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    priority = models.SmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    due_date = models.DateField(_("due date"))
    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    # the resident's area when the task was dispatched (scope and routing)
    district_code = models.CharField(max_length=6)
    town_code = models.CharField(max_length=9)
    community_code = models.CharField(max_length=12)
    grid_code = models.CharField(_("grid"), max_length=15)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed to"),
    )
    # the grid was vacant when the task was dispatched: its cover does it
    via_cover = models.BooleanField(_("vacant grid"), default=False)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices)
    origin_ref = models.CharField(max_length=64, blank=True)  # "list:12", "run:5/request:9"
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)

    objects = GridTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "priority", "id"]
        verbose_name = _("grid task")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(status="open"),
                name="grid_task_open_once",
            )
        ]
        indexes = [
            models.Index(fields=["grid_code", "status"], name="grid_task_grid"),
            models.Index(fields=["community_code", "status"], name="grid_task_community"),
            models.Index(fields=["town_code", "status"], name="grid_task_town"),
            models.Index(fields=["assignee", "status"], name="grid_task_assignee"),
            models.Index(fields=["status", "due_date"], name="grid_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.person_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def overdue_on(self, today) -> bool:
        return self.is_open and self.due_date < today


class TaskResult(models.Model):
    """What the worker submitted for a task: one per task. The phone's idempotency key is
    unique, so a submit retried on a bad connection finds the first one instead of making a
    second. `data` holds the form's cleaned values; the fact row of 网格采集 it became is
    named by `batch_id`/`row`."""

    task = models.OneToOneField(GridTask, models.PROTECT, related_name="result")
    key = models.UUIDField(unique=True)
    data = models.JSONField(default=dict)
    photo = models.BinaryField(null=True, editable=False)
    signature = models.BinaryField(null=True, editable=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    batch_id = models.IntegerField()
    row = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.task_id}:{self.key}"


class DeviceToken(models.Model):
    """A grid worker's phone, allowed to call the API (`/api/grid/`) as that worker until
    revoked. Only the token's SHA-256 is kept; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="devices")
    name = models.CharField(_("device"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("device token")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.name}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
