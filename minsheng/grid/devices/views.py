"""A grid worker's phones (设备令牌): the tokens that let the 网格通 app call the JSON API
(`/api/grid/`) as that worker. The worker and the clerks of the worker's area list a
worker's devices, issue a token (shown once, only its hash is kept) and revoke one. A
worker outside the user's area is a 404; a role that manages no devices gets 403. Every
refusal is audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny
from minsheng.ui import StyledFormMixin

from ..actions import CLERKS, do_issue_device_token, do_revoke_device_token, may_manage_devices
from ..models import DeviceToken

MANAGERS = CLERKS | {Role.GRID_WORKER}
PAGE_SIZE = 50


class DeviceForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Device"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Huawei phone, 2026")}),
    )


def _get_worker_for_user(request, pk: int) -> User:
    """A grid worker whose devices the user manages: themselves, or a worker of a clerk's
    area (404 for anyone else or no such worker); 403 for a role that manages none."""
    if request.user.role not in MANAGERS:
        deny(request, "device_tokens", pk)
    worker = User.objects.select_related("area").filter(pk=pk, role=Role.GRID_WORKER).first()
    if worker is None or not may_manage_devices(request.user, worker):
        deny(request, "device_tokens", pk, not_found=True)
    return worker


def _page(request, worker: User, *, form=None, token=None, issued=None):
    return render(
        request,
        "grid/devices/device_list.html",
        {
            "worker": worker,
            "devices": list(
                DeviceToken.objects.filter(user=worker).select_related("created_by", "revoked_by")
            ),
            "form": form or DeviceForm(),
            "token": token,
            "issued": issued,
            "own": worker.pk == request.user.pk,
        },
    )


@login_required
def devices(request):
    """A grid worker's own devices; for a clerk, the grid workers of their area."""
    user = request.user
    if user.role == Role.GRID_WORKER:
        return redirect("grid:device_list", pk=user.pk)
    if user.role not in CLERKS or user.area is None:
        deny(request, "device_tokens")
    workers = (
        User.objects.visible_to(user)
        .filter(role=Role.GRID_WORKER)
        .select_related("area")
        .annotate(active=Count("devices", filter=Q(devices__revoked_at__isnull=True)))
        .order_by("area__code", "username")
    )
    page = Paginator(workers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grid/devices/workers.html", {"page": page})


@login_required
def device_list(request, pk: int):
    return _page(request, _get_worker_for_user(request, pk))


@login_required
@require_POST
def device_issue(request, pk: int):
    """Issue a token for one of the worker's phones: the page shows it this once."""
    worker = _get_worker_for_user(request, pk)
    form = DeviceForm(request.POST)
    if not form.is_valid():
        return _page(request, worker, form=form)
    try:
        device, token = do_issue_device_token(
            worker, name=form.cleaned_data["name"], acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("grid:device_list", pk=worker.pk)
    return _page(request, worker, token=token, issued=device)


@login_required
@require_POST
def device_revoke(request, pk: int, device: int):
    worker = _get_worker_for_user(request, pk)
    found = DeviceToken.objects.filter(pk=device, user=worker).first()
    if found is None:
        deny(request, "device_token", device, not_found=True)
    do_revoke_device_token(found, acting_user=request.user)
    messages.success(request, _("Device %(name)s: revoked.") % {"name": found.name})
    return redirect("grid:device_list", pk=worker.pk)
