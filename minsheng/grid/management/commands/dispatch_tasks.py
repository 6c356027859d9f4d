from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from minsheng.accounts.models import User
from minsheng.geo.models import Area
from minsheng.grid.actions import dispatched_message, do_dispatch_list
from minsheng.grid.models import TaskKind
from minsheng.screening import catalog
from minsheng.screening.actions import do_save_target_list


class Command(BaseCommand):
    help = (
        "Save a target list for an area as a clerk or city staff member and dispatch a grid "
        "task of one type to each of its residents (what the list page's dispatch button does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--theme", required=True, help="the theme's code")
        parser.add_argument("--list", required=True, dest="rule", help="the list's code")
        parser.add_argument("--kind", required=True, choices=TaskKind.values)
        parser.add_argument("--area", required=True, help="the area's code")
        parser.add_argument("--as", required=True, dest="username", help="who dispatches")

    def handle(self, theme, rule, kind, area, username, **options):
        try:
            user = User.objects.get(username=username)
            where = Area.objects.get(code=area)
            t = catalog.theme(theme)
            saved = do_save_target_list(t, t.list(rule), area=where, acting_user=user)
            done = do_dispatch_list(saved, kind=kind, acting_user=user)
        except (User.DoesNotExist, Area.DoesNotExist, KeyError) as exc:
            raise CommandError(f"not found: {exc}") from exc
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{saved.name} ({where.name}): {dispatched_message(done)}")
