from django.urls import include, path, register_converter

from minsheng import views
from minsheng.grid.api import api as grid_api


class IdConverter:
    """A database id: 1 to 18 digits. A longer number is a 404 here, not an overflow in the
    database (a 25-digit resident id once gave a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="home"),
    path("system/", views.system_status, name="system_status"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("minsheng.accounts.urls")),
    path("areas/", include("minsheng.geo.urls")),
    path("audit/", include("minsheng.audit.urls")),
    path("archive/", include("minsheng.residents.urls")),
    path("sources/", include("minsheng.sources.urls")),
    path("benefits/", include("minsheng.benefits.urls")),
    path("grid/", include("minsheng.grid.urls")),
    # the grid app's JSON API (device tokens): /api/grid/openapi.json, /api/grid/docs
    path("api/grid/", grid_api.urls),
    path("screening/", include("minsheng.screening.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
