from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts import actions
from minsheng.accounts.access import access_user, access_user_admin
from minsheng.accounts.forms import LoginForm, PasswordChangeForm, PermissionForm, UserCreateForm
from minsheng.accounts.models import User
from minsheng.accounts.persons import normalize_staff_no


def safe_next_url(request, candidate: str | None) -> str:
    """`candidate` if it is a relative URL on this site (a path), else "". Never another
    host, another scheme or a scheme-relative `//host` (an open redirect)."""
    candidate = (candidate or "").strip()
    if (
        candidate.startswith("/")
        and not candidate.startswith("//")
        and "\\" not in candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts=None, require_https=request.is_secure()
        )
    ):
        return candidate
    return ""


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        return safe_next_url(
            self.request,
            self.request.POST.get(self.redirect_field_name)
            or self.request.GET.get(self.redirect_field_name),
        )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        actions.do_record_logout(request.user, request=request)
    logout(request)
    return redirect("accounts:login")


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_password(
                request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
                acting_user=request.user,
                request=request,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def second_factor(request):
    user = request.user
    if not user.is_admin_role or user.is_verified():
        return redirect("home")
    device = actions.totp_device_for(user)
    error = ""
    if request.method == "POST":
        if actions.do_verify_second_factor(user, request.POST.get("token", ""), request=request):
            return redirect(safe_next_url(request, request.GET.get("next")) or reverse("home"))
        error = _("The code is wrong or has expired. Enter the current six-digit code.")
    context = {"enrolling": not device.confirmed, "error": error}
    if not device.confirmed:
        import base64

        import segno

        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/second_factor.html", context)


def security_admin_required(view):
    """User administration is the security administrator's (refusals audited)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access_user_admin(request, kwargs.get("pk", ""))
        return view(request, *args, **kwargs)

    return wrapper


@security_admin_required
def user_list(request):
    users = (
        User.objects.visible_to(request.user).select_related("area").order_by("role", "username")
    )
    q = request.GET.get("q", "").strip()
    if q:
        users = (
            users.filter(username__icontains=q)
            | users.filter(display_name__icontains=q)
            | users.filter(staff_no=normalize_staff_no(q))
        )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "q": q})


@security_admin_required
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = actions.do_create_user(
                username=data["username"],
                staff_no=data["staff_no"],
                role=data["role"],
                area=data["area"],
                display_name=data["display_name"],
                phone=data["phone"],
                acting_user=request.user,
                request=request,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return render(
                request, "accounts/user_created.html", {"new_user": user, "password": password}
            )
    return render(request, "accounts/user_form.html", {"form": form})


@security_admin_required
def user_detail(request, pk: int):
    user = access_user(request, pk)
    form = PermissionForm(
        request.POST or None,
        initial={"role": user.role, "area_code": user.area.code if user.area else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_user_permissions(
                user,
                role=form.cleaned_data["role"],
                area=form.cleaned_data["area"],
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as e:
            form.add_error(None, e.messages if isinstance(e, ValidationError) else str(e))
        else:
            messages.success(request, _("Permissions updated."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_detail.html", {"subject": user, "form": form})


@security_admin_required
@require_POST
def user_unlock(request, pk: int):
    user = access_user(request, pk)
    actions.do_unlock_user(user, acting_user=request.user, request=request)
    messages.success(request, _("Account unlocked."))
    return redirect("accounts:user_detail", pk=pk)


@security_admin_required
@require_POST
def user_reset_password(request, pk: int):
    user = access_user(request, pk)
    password = actions.do_reset_password(user, acting_user=request.user, request=request)
    return render(
        request,
        "accounts/user_created.html",
        {"new_user": user, "password": password, "reset": True},
    )


@security_admin_required
@require_POST
def user_set_active(request, pk: int):
    user = access_user(request, pk)
    active = request.POST.get("active") == "1"
    try:
        actions.do_set_user_active(
            user,
            active=active,
            acting_user=request.user,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except PermissionDenied as e:
        messages.error(request, str(e))
    return redirect("accounts:user_detail", pk=pk)


@security_admin_required
@require_POST
def user_reset_second_factor(request, pk: int):
    user = access_user(request, pk)
    actions.do_reset_second_factor(
        user, acting_user=request.user, reason=request.POST.get("reason", ""), request=request
    )
    messages.success(
        request, _("The authenticator was reset; the holder enrols a new one at the next login.")
    )
    return redirect("accounts:user_detail", pk=pk)
