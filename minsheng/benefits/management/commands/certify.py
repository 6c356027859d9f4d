from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minsheng.benefits.actions.roll import do_certify_silently


class Command(BaseCommand):
    help = (
        "Survival certification by data comparison (--silent): recipients due within 60 days "
        "or overdue who show activity in other departments' data of the last 90 days are "
        "certified, and suspended pensions resume with back pay. Runs as the system."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--silent", action="store_true", required=True, help="certify by data comparison"
        )
        parser.add_argument("--on", help="the comparison date, YYYY-MM-DD (default: today)")

    def handle(self, silent, on, **options):
        try:
            day = date.fromisoformat(on) if on else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--on must be YYYY-MM-DD, got {on!r}") from exc
        counts = do_certify_silently(on=day, acting_user=None)
        self.stdout.write(
            f"certified {counts['certified']} recipients on {day}; {counts['resumed']} "
            f"benefits resumed with {counts['back_pay']} back-pay lines"
        )
