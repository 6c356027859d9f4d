from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minsheng.accounts.models import User
from minsheng.benefits.actions.roll import do_certify_silently, do_queue_certification_reminders
from minsheng.benefits.actions.visits import do_request_certification_visits


class Command(BaseCommand):
    help = (
        "The daily survival-certification pass (--silent): recipients due within 60 days or "
        "overdue who show activity in other departments' data of the last 90 days are "
        "certified, the grid workers' door-to-door certifications are taken up, suspended "
        "pensions resume with back pay, and the reminders due 30 and 7 days before a due "
        "date are queued. With --visits --as USER, recipients aged 80+ or severely disabled "
        "who are due get a door-to-door certification task in their grid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--silent", action="store_true", required=True, help="certify by data comparison"
        )
        parser.add_argument("--on", help="the comparison date, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--visits", action="store_true", help="also request door-to-door certifications"
        )
        parser.add_argument("--as", dest="username", help="the city staff member (for --visits)")

    def handle(self, silent, on, visits, username, **options):
        try:
            day = date.fromisoformat(on) if on else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--on must be YYYY-MM-DD, got {on!r}") from exc
        if visits and not username:
            raise CommandError("--visits needs --as USER: grid tasks are sent by a member of staff")
        counts = do_certify_silently(on=day, acting_user=None)
        self.stdout.write(
            f"certified {counts['certified']} recipients on {day} "
            f"({counts['door_to_door']} door to door); {counts['resumed']} "
            f"benefits resumed with {counts['back_pay']} back-pay lines"
        )
        queued = do_queue_certification_reminders(day, acting_user=None)
        self.stdout.write(f"{queued} certification reminders queued")
        if visits:
            try:
                user = User.objects.get(username=username)
                sent = do_request_certification_visits(day, acting_user=user)
            except User.DoesNotExist as exc:
                raise CommandError(f"no user {username!r}") from exc
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"door-to-door certification tasks: {sent}")
