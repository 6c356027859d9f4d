from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from minsheng.accounts.models import User
from minsheng.benefits.actions.deaths import do_collect_death_signals


class Command(BaseCommand):
    help = (
        "Read every death report (公安, 卫健, grid workers' reports, suspected-dead lists) of "
        "persons still paid into death cases for the clerks to verify. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", required=True, help="a city staff member")

    def handle(self, username, **options):
        try:
            counts = do_collect_death_signals(acting_user=User.objects.get(username=username))
        except User.DoesNotExist as exc:
            raise CommandError(f"no user {username!r}") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{counts['signals']} new death signals, {counts['cases_opened']} new cases: "
            + ", ".join(f"{k}={v}" for k, v in counts["by_source"].items())
        )
