"""The form of each task type, checked on the server whatever the phone sent.

A form's `facts()` turns its cleaned values into the columns of a 网格采集 fact row
(`registry.GRID_COLLECT`): only what that task asks, so the archive reads each item from
the latest row that holds it. Code columns carry the dictionary's label and code.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.catalogue import dictionary, registry
from minsheng.catalogue.codes import code_map

from .models import TaskKind

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")
YES_NO = [("1", _("Yes")), ("0", _("No"))]


def _codes(item: str, *, blank: bool = False) -> list[tuple[str, str]]:
    choices = list(dictionary.item(item).codes.items())
    return [("", "—"), *choices] if blank else choices


def _label(column: str, value: str) -> str:
    """The label a code column stores beside its code (the reverse of its code map)."""
    labels = {code: label for label, code in code_map(registry.GRID_COLLECT.column(column)).items()}
    return labels[value]


def _coded(column: str, value: str | None) -> dict[str, str]:
    if value in (None, ""):
        return {}
    return {column: _label(column, value), f"{column}_code": value}


def image_type(data: bytes) -> str | None:
    """The image type its first bytes declare (JPEG or PNG), else None."""
    return next((t for magic, t in IMAGE_MAGIC.items() if data.startswith(magic)), None)


class ImageField(forms.FileField):
    """A JPEG or PNG of at most 2 MB, judged by its bytes, not its name; cleaned to bytes."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        if upload.size > MAX_IMAGE_BYTES:
            raise ValidationError(_("The image is larger than 2 MB."), code="too_large")
        content = upload.read()
        if image_type(content) is None:
            raise ValidationError(_("The file is not a JPEG or PNG image."), code="not_image")
        return content


class TaskForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def facts(self) -> dict:
        """The 网格采集 columns of this result (besides task, worker and date)."""
        note = self.cleaned_data.get("note")
        return {"note": note} if note else {}


class InsuranceForm(TaskForm):
    insurance_willingness = forms.ChoiceField(
        label=_("Willing to insure"), choices=_codes("insurance.willingness")
    )
    income_band = forms.ChoiceField(
        label=_("Income band"), choices=_codes("insurance.income_band", blank=True), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("insurance_willingness") == "1" and not data.get("income_band"):
            self.add_error("income_band", _("Give the income band of someone willing to insure."))
        return data

    def facts(self) -> dict:
        d = self.cleaned_data
        return {
            **super().facts(),
            **_coded("insurance_willingness", d["insurance_willingness"]),
            **_coded("income_band", d.get("income_band")),
        }


class JobSeekerForm(TaskForm):
    job_seeker = forms.ChoiceField(label=_("Registers as a job seeker"), choices=YES_NO)
    employment_willingness = forms.ChoiceField(
        label=_("Wants to work"), choices=_codes("unemployment.willingness")
    )
    desired_job = forms.CharField(label=_("Desired job"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if data.get("job_seeker") == "1" and not data.get("desired_job"):
            self.add_error("desired_job", _("A job seeker's desired job is required."))
        return data

    def facts(self) -> dict:
        d = self.cleaned_data
        out = {
            **super().facts(),
            **_coded("job_seeker", d["job_seeker"]),
            **_coded("employment_willingness", d["employment_willingness"]),
        }
        if d.get("desired_job"):
            out["desired_job"] = d["desired_job"]
        return out


class TrainingForm(TaskForm):
    training_willingness = forms.ChoiceField(
        label=_("Wants training"), choices=_codes("education.training_willingness")
    )
    training_trade = forms.CharField(label=_("Trade"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if data.get("training_willingness") == "1" and not data.get("training_trade"):
            self.add_error("training_trade", _("Name the trade someone wants training in."))
        return data

    def facts(self) -> dict:
        d = self.cleaned_data
        out = {**super().facts(), **_coded("training_willingness", d["training_willingness"])}
        if d.get("training_trade"):
            out["training_trade"] = d["training_trade"]
        return out


def _not_future(value: date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date is in the future."), code="future")


CERTIFIED = "certified"


class CertificationForm(TaskForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (CERTIFIED, _("Certified in person")),
            ("not_home", _("Not at home")),
            ("refused", _("Refused")),
        ],
    )
    certification_date = forms.DateField(
        label=_("Date seen"), required=False, validators=[_not_future]
    )
    photo = ImageField(label=_("Photo of the pensioner"), required=False)
    signature = ImageField(label=_("Signature"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CERTIFIED:
            for name in ("certification_date", "photo", "signature"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required for a certification."))
        return data

    def facts(self) -> dict:
        d = self.cleaned_data
        out = {**super().facts(), "outcome": d["outcome"]}
        if d["outcome"] == CERTIFIED:
            out["certification_date"] = d["certification_date"]
            out.update(_coded("certification_method", "4"))  # 社区上门认证
        return out


class HomeServiceForm(TaskForm):
    service = forms.MultipleChoiceField(
        label=_("Service given"),
        choices=[
            ("pension_query", _("Pension query")),
            ("policy", _("Policy explanation")),
            ("daijiao", _("Help with subsidised contributions")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("What was done"), max_length=500)

    def facts(self) -> dict:
        return {**super().facts(), "service": ",".join(self.cleaned_data["service"])}


class DeathReportForm(TaskForm):
    death_date = forms.DateField(label=_("Date of death"), validators=[_not_future])
    death_place = forms.CharField(label=_("Place of death"), max_length=100)
    death_evidence = forms.ChoiceField(
        label=_("Evidence"),
        choices=[
            ("family", _("Told by the family")),
            ("certificate", _("Medical death certificate seen")),
            ("cremation", _("Cremation certificate seen")),
            ("other", _("Other")),
        ],
    )

    def facts(self) -> dict:
        d = self.cleaned_data
        return {
            **super().facts(),
            "death_date": d["death_date"],
            "death_place": d["death_place"],
            "death_evidence": d["death_evidence"],
        }


class VerifyForm(TaskForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("confirmed", _("The record is right")),
            ("corrected", _("The record is wrong: see the note")),
            ("not_found", _("Nobody of that name lives here")),
        ],
    )
    note = forms.CharField(label=_("What was found"), max_length=500)

    def facts(self) -> dict:
        return {**super().facts(), "outcome": self.cleaned_data["outcome"]}


class InfoUpdateForm(TaskForm):
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Current address"), max_length=200, required=False)
    lives_alone = forms.ChoiceField(
        label=_("Lives alone"), choices=[("", "—"), *YES_NO], required=False
    )
    marital_status = forms.ChoiceField(
        label=_("Marital status"),
        choices=_codes("identity.marital_status", blank=True),
        required=False,
    )

    def clean_phone(self):
        raw = self.cleaned_data.get("phone") or ""
        digits = re.sub(r"[\s\-()（）]", "", raw.translate(FULLWIDTH))
        digits = re.sub(r"^(?:\+86|0086)", "", digits)
        if digits and not (MOBILE.match(digits) or LANDLINE.match(digits)):
            raise ValidationError(
                _("%(value)s is not a mobile (11 digits) or a landline with its area code.")
                % {"value": raw}
            )
        return digits

    def clean(self):
        data = super().clean()
        fields = ("phone", "address", "lives_alone", "marital_status")
        if not self.errors and not any(data.get(f) for f in fields):
            raise ValidationError(_("Change at least one item."))
        return data

    def facts(self) -> dict:
        d = self.cleaned_data
        out = {**super().facts()}
        if d.get("phone"):
            out["phone"] = d["phone"]
        if d.get("address"):
            out["address"] = d["address"]
        out.update(_coded("lives_alone", d.get("lives_alone")))
        out.update(_coded("marital_status", d.get("marital_status")))
        return out


FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")

FORMS: dict[str, type[TaskForm]] = {
    TaskKind.INSURANCE: InsuranceForm,
    TaskKind.JOB_SEEKER: JobSeekerForm,
    TaskKind.TRAINING: TrainingForm,
    TaskKind.CERTIFICATION: CertificationForm,
    TaskKind.HOME_SERVICE: HomeServiceForm,
    TaskKind.DEATH_REPORT: DeathReportForm,
    TaskKind.VERIFY: VerifyForm,
    TaskKind.INFO_UPDATE: InfoUpdateForm,
}

# What the resident card shows for each task type, besides name, sex, age and address
# (masked as the worker's role reads them): only what the task needs.
CARD_ITEMS: dict[str, tuple[str, ...]] = {
    TaskKind.INSURANCE: ("insurance.any_pension", "insurance.willingness"),
    TaskKind.JOB_SEEKER: ("employment.status", "unemployment.registered"),
    TaskKind.TRAINING: ("education.level", "education.training_willingness"),
    TaskKind.CERTIFICATION: (
        "benefits.pension_type",
        "benefits.last_certification_date",
        "benefits.next_certification_due",
    ),
    TaskKind.HOME_SERVICE: ("benefits.pension_type", "insurance.any_pension"),
    TaskKind.DEATH_REPORT: ("identity.survival_status",),
    TaskKind.VERIFY: ("identity.survival_status",),
    TaskKind.INFO_UPDATE: ("identity.phone", "residence.lives_alone", "identity.marital_status"),
}
