from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from minsheng.accounts.actions import do_record_login


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    do_record_login(user, request=request)
