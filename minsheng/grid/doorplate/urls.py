from django.urls import path, re_path

from . import views

# A doorplate token is what `geo.models.new_doorplate_token` makes (URL-safe base64); any
# other path under d/ is an unknown URL like any other, answered by Django's own 404.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{16,64})"

urlpatterns = [
    re_path(rf"^d/{TOKEN}/$", views.doorplate, name="doorplate"),
    re_path(rf"^d/{TOKEN}/update/$", views.doorplate_update, name="doorplate_update"),
    path("doorplates/", views.sheets, name="doorplate_sheets"),
    path("doorplates/<str:code>/", views.sheets_community, name="doorplate_community"),
    path("doorplates/<str:code>/labels.pdf", views.sheet_community, name="doorplate_community_pdf"),
    path(
        "doorplates/building/<str:code>/labels.pdf",
        views.sheet_building,
        name="doorplate_building_pdf",
    ),
]
