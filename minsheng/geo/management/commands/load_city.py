from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.geo.actions import do_load_city


class Command(BaseCommand):
    help = "Load grids, buildings and houses from a city directory written by `minsheng synth` (DIR/city)."

    def add_arguments(self, parser):
        parser.add_argument("city_dir", type=Path)

    def handle(self, city_dir: Path, **options):
        if (city_dir / "city").is_dir():
            city_dir = city_dir / "city"
        for name in ("grids.csv", "buildings.csv", "houses.csv", "communities.csv"):
            if not (city_dir / name).exists():
                raise CommandError(
                    f"{city_dir / name} is missing: is {city_dir} a city directory of `minsheng synth`?"
                )
        counts = do_load_city(city_dir)
        self.stdout.write("Loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
