from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "minsheng.screening"
    verbose_name = _("Precision service")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
