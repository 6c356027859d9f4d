"""Session rules of 等保三级: log out after idle minutes, force a password change at
first login and after expiry."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from minsheng.accounts.actions import do_record_logout

LAST_ACTIVITY = "minsheng_last_activity"


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - last > settings.IDLE_TIMEOUT_MINUTES * 60:
                do_record_logout(user, request=request, idle=True)
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d idle minutes.")
                    % {"minutes": settings.IDLE_TIMEOUT_MINUTES},
                )
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
            request.session[LAST_ACTIVITY] = now
            if user.needs_password_change() and not self._exempt(
                request.path, reverse("accounts:password_change")
            ):
                return redirect("accounts:password_change")
            # 等保三级: administrators prove a second factor (TOTP) in every session.
            if user.is_admin_role and not user.is_verified() and not self._exempt(request.path):
                # Come back to the page asked for (the second-factor view follows only
                # paths on this site).
                target = reverse("accounts:second_factor")
                if request.method == "GET" and request.path != reverse("home"):
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str, *also: str) -> bool:
        """Pages reachable before the session is fully established."""
        allowed = (
            reverse("accounts:second_factor"),
            reverse("accounts:logout"),
            reverse("set_language"),
            "/" + settings.STATIC_URL.lstrip("/"),
            *also,
        )
        return any(path.startswith(p) for p in allowed)
