from django.contrib.auth.backends import ModelBackend

from minsheng.accounts import throttle
from minsheng.accounts.actions import do_record_login_failure, do_refuse_throttled_login
from minsheng.accounts.models import User
from minsheng.audit.actions import client_address


class LockoutBackend(ModelBackend):
    """Django's password check, refusing throttled addresses and locked accounts and
    counting failures. Every refusal looks the same to the client (forms.LoginForm)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        address = client_address(request)
        reservation = throttle.reserve_attempt(address, username)
        why = throttle.throttled(address, username)
        if why is not None:
            throttle.release_attempt(reservation)
            do_refuse_throttled_login(username, address=address, request=request, scope=why)
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            # Hash anyway so response time does not reveal which usernames exist.
            User().set_password(password)
            do_record_login_failure(username, None, request=request, reason="unknown account")
            return None
        if user.is_locked():
            # Hash anyway: a locked account answers as slowly as any other.
            User().set_password(password)
            do_record_login_failure(username, user, request=request, reason="account locked")
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            throttle.release_attempt(reservation)
            return user
        do_record_login_failure(
            username,
            user,
            request=request,
            reason="wrong password" if user.is_active else "inactive account",
        )
        return None

    def get_user(self, user_id):
        # Every page needs the user's area (scope, navigation): fetch it with the user.
        user = User.objects.select_related("area").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
