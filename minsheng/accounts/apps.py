from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "minsheng.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from minsheng.accounts import signals  # noqa: F401
