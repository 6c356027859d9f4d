from django.urls import include, path

from minsheng import views

urlpatterns = [
    path("", views.home, name="home"),
    path("system/", views.system_status, name="system_status"),
    path("accounts/", include("minsheng.accounts.urls")),
    path("areas/", include("minsheng.geo.urls")),
    path("audit/", include("minsheng.audit.urls")),
    path("archive/", include("minsheng.residents.urls")),
    path("sources/", include("minsheng.sources.urls")),
    path("benefits/", include("minsheng.benefits.urls")),
    path("screening/", include("minsheng.screening.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
