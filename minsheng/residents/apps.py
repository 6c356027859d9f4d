from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "minsheng.residents"
    verbose_name = _("Livelihood archive")
