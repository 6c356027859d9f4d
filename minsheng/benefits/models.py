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
from django.utils.translation import pgettext_lazy

from minsheng.geo.scoping import ScopedQuerySet


class AreaScopedQuerySet(ScopedQuerySet):
    area_lookup = ""  # the area codes are columns of the row itself


# the area codes every row about a person copies from the resident's archive row
AREA_FIELDS = ("district_code", "town_code", "community_code", "grid_code")


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
    """The outbox: a later job sends pending messages by SMS or WeChat (a policy run's
    notices, the roll's certification reminders)."""

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
    # a policy run's message names its run and delivery; the roll's reminders name neither
    policy_code = models.CharField(max_length=64, blank=True)
    run = models.ForeignKey(PolicyRun, models.PROTECT, null=True, blank=True, related_name="+")
    delivery = models.OneToOneField(
        PolicyDelivery, models.PROTECT, null=True, blank=True, related_name="notification"
    )
    # what the message is about, once: a second pass over the same day queues nothing
    key = models.CharField(max_length=80, unique=True, null=True, blank=True)
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


# -- the benefit roll ------------------------------------------------------------------
#
# Months are stored as one integer, year × 12 + month − 1 (`lib.benefit_rules.month_index`):
# "the months after the month of death" is then `month > death_month` in SQL on both
# databases, and a range of months is two integers.


class BenefitKind(models.TextChoices):
    EMPLOYEE_PENSION = "employee_pension", _("Employee basic pension")
    RESIDENT_PENSION = "resident_pension", _("Urban-rural resident pension")
    UNEMPLOYMENT = "unemployment", _("Unemployment insurance benefit")
    SUBSIDY = "subsidy", _("Employment subsidy")


# the benefits whose recipients certify once a year that they are alive
CERTIFIED_KINDS = (BenefitKind.EMPLOYEE_PENSION, BenefitKind.RESIDENT_PENSION)


class BenefitStatus(models.TextChoices):
    PAYING = "paying", _("Paying")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")
    ENDED = "ended", _("Ended")


class Benefit(AreaCodes):
    """One entitlement of one person on the roll: what is paid a month, from which month to
    which, and whether it is paid now. `paid_through` is the last month paid (by the
    pension system before the roll took over, then by the payment runs)."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    kind = models.CharField(_("benefit"), max_length=20, choices=BenefitKind.choices)
    # what tells two benefits of one kind apart: a pension's type, a subsidy's policy and
    # period; "" for an unemployment benefit
    reference = models.CharField(max_length=80, blank=True)
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=12, decimal_places=2)
    start_month = models.IntegerField(_("first month"))
    end_month = models.IntegerField(_("last month"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BenefitStatus.choices, default=BenefitStatus.PAYING
    )
    paid_through = models.IntegerField(null=True, blank=True)
    certified_on = models.DateField(_("last certified"), null=True, blank=True)
    # the first month not paid: because the certification was overdue, or after a stop
    suspended_from = models.IntegerField(null=True, blank=True)
    stopped_from = models.IntegerField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "reference"], name="benefit_once"),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="benefit_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=F("start_month")),
                name="benefit_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "kind"], name="benefit_status"),
            *[
                models.Index(fields=[f], name=f"benefit_{f}")
                for f in ("district_code", "town_code", "community_code", "grid_code")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.person_id}"


class PayrollRun(models.Model):
    """The payment run of one month: at most one per month (a second start of the same
    month finds it and pays no one twice)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    month = models.IntegerField(_("month"), unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    recipients = models.IntegerField(_("recipients"), default=0)
    payments = models.IntegerField(_("payments"), default=0)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=0)
    suspended = models.IntegerField(_("suspended this month"), default=0)
    # totals by benefit and district: [{kind, district_code, payments, total}]
    totals = models.JSONField(default=list)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"payroll {self.month}"


class PaymentKind(models.TextChoices):
    OPENING = "opening", _("Paid before the roll")
    REGULAR = "regular", _("Monthly payment")
    BACK_PAY = "back_pay", _("Back pay")


class Payment(AreaCodes):
    """A payment line: `monthly_amount` for each month from `first_month` to `last_month`.
    A run's lines are one month each; the opening line of a pension covers the months the
    pension system paid before the roll took over (its export's first and last months)."""

    benefit = models.ForeignKey(Benefit, models.PROTECT, related_name="payments")
    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    run = models.ForeignKey(PayrollRun, models.PROTECT, null=True, blank=True, related_name="lines")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    first_month = models.IntegerField()
    last_month = models.IntegerField()
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # a month is paid once, and back paid once
            models.UniqueConstraint(fields=["benefit", "kind", "first_month"], name="payment_once"),
            models.CheckConstraint(
                condition=Q(last_month__gte=F("first_month")), name="payment_months_ordered"
            ),
        ]
        indexes = [models.Index(fields=["run"], name="payment_run")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.benefit_id}:{self.first_month}-{self.last_month}"


class CertificationMethod(models.TextChoices):
    SILENT = "silent", _("Data comparison")
    SELF = "self", _("Self-service")
    GRID = "grid", _("Door to door")
    WINDOW = "window", _("At a window")


class Certification(AreaCodes):
    """A survival certification (待遇资格认证) of a recipient, with what proved it."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    certified_on = models.DateField(_("certified on"))
    method = models.CharField(_("method"), max_length=8, choices=CertificationMethod.choices)
    # silent: {source, date, what}; grid: {task}; window/self: {note}
    evidence = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "certified_on", "method"], name="certification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method}:{self.person_id}:{self.certified_on}"


class DeathCaseStatus(models.TextChoices):
    OPEN = "open", _("To verify")
    PROPOSED = "proposed", _("Confirmed, awaiting approval")
    CONFIRMED = "confirmed", _("Death confirmed")
    DISMISSED = "dismissed", _("Not dead")
    REVERTED = "reverted", _("Reverted")


# the cases that stand: a person has at most one
LIVE_CASES = (DeathCaseStatus.OPEN, DeathCaseStatus.PROPOSED, DeathCaseStatus.CONFIRMED)


class DeathCase(AreaCodes):
    """The verification of a reported death. Signals from independent sources gather on
    it; a confirmation (two sources, or a clerk's documented check) is proposed by one
    person and approved by another, and only then are the benefits stopped."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=DeathCaseStatus.choices, default=DeathCaseStatus.OPEN
    )
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    check_note = models.CharField(_("documented check"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=500, blank=True)
    # survivors' one-off entitlements proposed on approval (employee-pension recipients):
    # {benefit, funeral_grant, allowance_months, survivor_allowance, total, capped, income}
    # or {note} when no national figure applies
    survivors = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=[s.value for s in LIVE_CASES]),
                name="death_case_live_once",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="death_case_two_people",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="death_case_status")]

    def __str__(self) -> str:
        return f"death case {self.pk}:{self.person_id}"


class DeathSignal(AreaCodes):
    """One report that a person died, from one source; `reference` names the report (a
    batch and row, a list, a task) so that the same report read twice is one signal."""

    class Source(models.TextChoices):
        GONGAN = "gongan_death", _("Public security cancellation")
        HEALTH = "wj_death", _("Medical death certificate")
        FUNERAL = "mz_funeral", _("Funeral record")
        GRID = "grid_collect", _("Grid worker's report")
        SCREENING = "screening", _("Suspected-dead list")

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    reference = models.CharField(max_length=64)
    case = models.ForeignKey(DeathCase, models.PROTECT, related_name="signals")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source", "reference"], name="death_signal_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.person_id}"


class DecisionKind(models.TextChoices):
    STOP = "stop", _("Stop")
    RESUME = "resume", _("Resume")
    WRITE_OFF = "write_off", _("Write off")
    REVERT = "revert", _("Revert a death")


class Decision(models.Model):
    """A step that needs two people (maker and checker): one proposes, another approves,
    and only the approval acts. The database refuses an approver who proposed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    benefit = models.ForeignKey(
        Benefit, models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    case = models.ForeignKey(
        DeathCase, models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    recovery = models.ForeignKey(
        "Recovery", models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    reason = models.CharField(_("reason"), max_length=500)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="decision_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("recovery status", "Open")
    INSTALMENTS = "instalments", _("Paying back in instalments")
    CLOSED = "closed", _("Recovered")
    WRITTEN_OFF = "written_off", _("Written off")
    # the death it recovered for was reverted: nothing was owed
    CANCELLED = "cancelled", _("Cancelled")


class Recovery(AreaCodes):
    """What a benefit paid for months after its recipient's death, to be recovered from the
    family: the amount due, what has come back, and how the case ended."""

    person = models.ForeignKey("sources.Person", models.PROTECT, related_name="+")
    case = models.ForeignKey(DeathCase, models.PROTECT, related_name="recoveries")
    benefit = models.ForeignKey(Benefit, models.PROTECT, related_name="recoveries")
    months = models.IntegerField(_("months overpaid"))
    amount_due = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2)
    amount_returned = models.DecimalField(
        _("amount returned"), max_digits=14, decimal_places=2, default=0
    )
    instalments = models.IntegerField(_("instalments agreed"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN
    )
    contact_note = models.CharField(_("family contacted"), max_length=500, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "benefit"], name="recovery_once"),
            models.CheckConstraint(
                condition=Q(amount_returned__lte=F("amount_due")),
                name="recovery_not_above_due",
            ),
        ]

    def __str__(self) -> str:
        return f"recovery {self.pk}:{self.person_id}"


class RecoveryReceipt(models.Model):
    """Money the family returned (one instalment, or all of it)."""

    recovery = models.ForeignKey(Recovery, models.PROTECT, related_name="receipts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    received_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_positive")]

    def __str__(self) -> str:
        return f"receipt {self.amount}:{self.recovery_id}"
