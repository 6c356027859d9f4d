from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "minsheng.pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
