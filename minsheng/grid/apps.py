from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "minsheng.grid"
    verbose_name = "Grid work"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
