import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from minsheng.grid.actions import do_staff_grids


class Command(BaseCommand):
    help = (
        "Create the grid posts and grid-worker accounts from a city directory's roster "
        "(DIR/city/grids.csv of `minsheng synth`); vacant grids are covered by a neighbour."
    )

    def add_arguments(self, parser):
        parser.add_argument("city_dir", type=Path)

    def handle(self, city_dir: Path, **options):
        if (city_dir / "city").is_dir():
            city_dir = city_dir / "city"
        path = city_dir / "grids.csv"
        if not path.exists():
            raise CommandError(
                f"{path} is missing: is {city_dir} a city directory of `minsheng synth`?"
            )
        with path.open(encoding="utf-8-sig", newline="") as f:
            roster = list(csv.DictReader(f))
        try:
            counts = do_staff_grids(roster, acting_user=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write("Grid posts: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
