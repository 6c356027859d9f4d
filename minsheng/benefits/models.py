"""Policy runs (proposed → approved → delivered, or rejected), their candidates, and what a
delivery leaves behind: the delivery ledger that makes delivery idempotent, benefit records,
the notification outbox and grid-task requests.

Every row about a person carries the resident's area codes (copied when the run is
proposed, as the archive does) so `visible_to(user)` is one indexed equality.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from minsheng.geo.scoping import ScopedQuerySet


class AreaScopedQuerySet(ScopedQuerySet):
    area_lookup = ""  # the area codes are columns of the row itself


class AreaCodes(models.Model):
    district_code = models.CharField(max_length=6, blank=True)
    town_code = models.CharField(max_length=9, blank=True)
    community_code = models.CharField(max_length=12, blank=True)
    grid_code = models.CharField(max_length=15, blank=True)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class RunStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    DELIVERED = "delivered", _("Delivered")
    REJECTED = "rejected", _("Rejected")


class DeliveryKind(models.TextChoices):
    NOTIFY = "notify", _("Notification")
    BENEFIT_RECORD = "benefit_record", _("Benefit record")
    GRID_TASK = "grid_task", _("Grid task")


class PolicyRun(models.Model):
    """One evaluation of a policy, frozen: who qualified under which rule version and
    thresholds, and what it costs. Two people are needed: one proposes, another approves."""

    policy_code = models.CharField(_("policy"), max_length=64, db_index=True)
    policy_name = models.CharField(_("name"), max_length=200)
    rule_version = models.CharField(_("rule version"), max_length=32)
    rule_text = models.TextField()
    thresholds = models.JSONField(_("thresholds"), default=dict)
    as_of = models.DateField(_("archive date"))
    period = models.CharField(_("period"), max_length=7, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PROPOSED
    )
    candidate_count = models.IntegerField(_("candidates"), default=0)
    delivered_count = models.IntegerField(_("delivered"), default=0)
    skipped_count = models.IntegerField(_("already delivered before"), default=0)
    budget_total = models.DecimalField(_("budget"), max_digits=16, decimal_places=2, default=0)
    budget_line = models.CharField(_("budget line"), max_length=64, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    reject_reason = models.CharField(max_length=500, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("policy run")
        constraints = [
            # 两人原则: the database refuses a run approved by its own proposer, whatever
            # code path tries it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="run_approver_not_proposer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_code} #{self.pk} ({self.status})"


class PolicyCandidate(AreaCodes):
    """A subject the run found: a person (by id) or an enterprise (by USCC)."""

    run = models.ForeignKey(PolicyRun, models.CASCADE, related_name="candidates")
    subject_key = models.CharField(max_length=32)
    person = models.ForeignKey(
        "sources.Person", models.PROTECT, null=True, blank=True, related_name="+"
    )
    enterprise_uscc = models.CharField(max_length=18, blank=True)
    enterprise_name = models.CharField(max_length=200, blank=True)
    employees = models.IntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    explanation = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "subject_key"], name="candidate_once")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.subject_key}"


class PolicyDelivery(AreaCodes):
    """The ledger: a subject has received a policy's benefit for a period. The unique key
    is what makes delivering twice, or a second run, deliver nothing twice."""

    policy_code = models.CharField(max_length=64)
    subject_key = models.CharField(max_length=32)
    period = models.CharField(max_length=7, blank=True)  # "" once, "2026", "2026-03"
    run = models.ForeignKey(PolicyRun, models.PROTECT, related_name="deliveries")
    candidate = models.ForeignKey(PolicyCandidate, models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "sources.Person", models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy_code", "subject_key", "period"], name="delivery_once"
            )
        ]
        indexes = [models.Index(fields=["run"], name="delivery_run")]

    def __str__(self) -> str:
        return f"{self.policy_code}:{self.subject_key}:{self.period}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(AreaCodes):
    """The outbox: a later job sends pending messages by SMS or WeChat."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")

    person = models.ForeignKey(
        "sources.Person", models.PROTECT, null=True, blank=True, related_name="+"
    )
    enterprise_uscc = models.CharField(max_length=18, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    policy_code = models.CharField(max_length=64)
    run = models.ForeignKey(PolicyRun, models.PROTECT, related_name="+")
    delivery = models.OneToOneField(PolicyDelivery, models.PROTECT, related_name="notification")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status"], name="notification_status")]

    def __str__(self) -> str:
        return f"{self.template}:{self.person_id or self.enterprise_uscc}"


class BenefitRecord(AreaCodes):
    """A benefit granted without application, for the fund department to pay."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    kind = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    period = models.CharField(max_length=7, blank=True)
    budget_line = models.CharField(max_length=64, blank=True)
    policy_code = models.CharField(max_length=64)
    run = models.ForeignKey(PolicyRun, models.PROTECT, related_name="+")
    delivery = models.OneToOneField(PolicyDelivery, models.PROTECT, related_name="benefit_record")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind}:{self.person_id}"


class GridTaskRequest(AreaCodes):
    """A request for a door-to-door task; the grid-work app turns it into a task for the
    worker of `grid_code`."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32)
    reason = models.CharField(max_length=500)
    policy_code = models.CharField(max_length=64)
    run = models.ForeignKey(PolicyRun, models.PROTECT, related_name="+")
    delivery = models.OneToOneField(PolicyDelivery, models.PROTECT, related_name="grid_task")
    status = models.CharField(max_length=10, default="pending")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind}:{self.person_id}"
