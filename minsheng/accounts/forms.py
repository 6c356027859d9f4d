from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.models import User
from minsheng.accounts.persons import normalize_staff_no
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area
from minsheng.ui import StyledFormMixin

# One message for every refused login: an unknown name, a wrong password, a locked or
# disabled account and a throttled address look the same, so the page does not tell which
# account names exist or which are locked.
LOGIN_REFUSED = _(
    "Login failed: wrong username or password, or logins are locked after repeated failures. Check and try again later."
)


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": LOGIN_REFUSED,
        "inactive": LOGIN_REFUSED,
    }


class PasswordChangeForm(StyledFormMixin, forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            raise ValidationError(_("The two new passwords differ."))
        return data


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.code} {obj.full_name()}"


class UserCreateForm(StyledFormMixin, forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[a-zA-Z0-9_.-]{3,30}$")
    staff_no = forms.CharField(label=_("Staff number"), max_length=20)
    display_name = forms.CharField(label=_("Display name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    area = AreaChoiceField(
        label=_("Area"),
        queryset=Area.objects.exclude(level="grid").select_related("parent__parent__parent"),
    )
    area_code = forms.CharField(
        label=_("Or grid code"),
        max_length=15,
        required=False,
        help_text=_("For a grid worker, the grid's code."),
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("This username is taken."))
        return username

    def clean_staff_no(self):
        staff_no = normalize_staff_no(self.cleaned_data["staff_no"])
        if not staff_no:
            raise ValidationError(_("Enter the staff number."))
        if User.objects.filter(staff_no__iexact=staff_no).exists():
            raise ValidationError(
                _(
                    "Staff number %(staff_no)s already belongs to another account; each person has one account."
                )
                % {"staff_no": staff_no}
            )
        return staff_no

    def clean(self):
        data = super().clean()
        code = data.get("area_code")
        if code:
            area = Area.objects.filter(code=code).first()
            if area is None:
                self.add_error("area_code", _("No area has code %(code)s.") % {"code": code})
            else:
                data["area"] = area
        return data


class PermissionForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    area_code = forms.CharField(label=_("Area code"), max_length=15)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_area_code(self):
        code = self.cleaned_data["area_code"]
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise ValidationError(_("No area has code %(code)s.") % {"code": code})
        self.cleaned_data["area"] = area
        return code
