from django.contrib.auth.backends import ModelBackend

from minsheng.accounts.actions import do_record_login_failure
from minsheng.accounts.models import User


class LockoutBackend(ModelBackend):
    """Django's password check, refusing locked accounts and counting failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            # Hash anyway so response time does not reveal which usernames exist.
            User().set_password(password)
            do_record_login_failure(username, None, request=request, reason="unknown account")
            return None
        if user.is_locked():
            do_record_login_failure(username, user, request=request, reason="account locked")
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
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
