from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from minsheng.accounts.actions import totp_device_for
from minsheng.accounts.models import User


class Command(BaseCommand):
    help = "Demo only: print an administrator's current one-time code, so the demo runs without a phone."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username: str, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "demo_totp works only with the demo secrets; a real deployment uses authenticator apps."
            )
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_admin_role:
            raise CommandError(f"{username} is not an administrator account.")
        device = totp_device_for(user)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
