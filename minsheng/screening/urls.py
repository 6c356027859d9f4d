from django.urls import path

from minsheng.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("snapshots/", views.snapshot_list, name="snapshots"),
    path("snapshots/<id:pk>/", views.snapshot_detail, name="snapshot"),
    path("<slug:theme>/", views.theme_detail, name="theme"),
    path("<slug:theme>/<slug:code>/", views.list_detail, name="list"),
    path("<slug:theme>/<slug:code>/export.xlsx", views.list_export, name="export"),
    path("<slug:theme>/<slug:code>/save/", views.list_save, name="save"),
]
