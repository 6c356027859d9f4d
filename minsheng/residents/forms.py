"""Forms more than one app's pages use."""

from django import forms
from django.utils.translation import gettext_lazy as _

from minsheng.lib.reasons import reason_problem
from minsheng.ui import StyledFormMixin


class RevealForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for viewing"),
        min_length=4,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. pension application no. 2025-0012")}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        problem = reason_problem(reason)
        if problem == "too_short":
            raise forms.ValidationError(
                _("State the reason in at least 4 Chinese characters, letters or digits."),
                code="reason_too_short",
            )
        if problem is not None:
            raise forms.ValidationError(
                _(
                    "State the actual reason (the matter or its case number), not a placeholder, a test or repeated characters."
                ),
                code=f"reason_{problem}",
            )
        return reason
