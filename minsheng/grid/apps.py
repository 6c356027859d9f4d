from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "minsheng.grid"
    verbose_name = "Grid work"
