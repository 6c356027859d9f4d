import re

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from minsheng.accounts.models import User
from minsheng.benefits.actions.roll import do_run_payroll, do_seed_roll
from minsheng.lib.benefit_rules import month_index
from minsheng.screening.engine import archive_as_of


def month_arg(text: str) -> int:
    """`2026-11` → the month index (year × 12 + month − 1); `next`: the month after the
    archive's date (the departments' exports paid up to its month)."""
    if text.strip() == "next":
        return month_index(archive_as_of()) + 1
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CommandError(f"--month must be YYYY-MM, got {text!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


class Command(BaseCommand):
    help = (
        "Run the monthly benefit payment run (idempotent per month), after seeding the roll "
        "from the archive with --seed. Without --as it runs as the system."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="the payment month, YYYY-MM, or next")
        parser.add_argument(
            "--seed", action="store_true", help="first seed the roll from the archive"
        )
        parser.add_argument("--as", dest="username", help="the city staff member who runs it")

    def handle(self, month, seed, username, **options):
        index = month_arg(month)
        try:
            user = User.objects.get(username=username) if username else None
            if seed:
                as_of = archive_as_of()
                counts = do_seed_roll(acting_user=user, as_of=as_of)
                added = ", ".join(f"{k}={v}" for k, v in counts.items())
                self.stdout.write(f"roll seeded from the archive of {as_of}: {added}")
            run = do_run_payroll(index, acting_user=user)
        except User.DoesNotExist as exc:
            raise CommandError(f"no user {username!r}") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"payroll {index // 12}-{index % 12 + 1:02d}: {run.payments} payments to {run.recipients} recipients, "
            f"total {run.total} yuan, {run.suspended} suspended"
        )
