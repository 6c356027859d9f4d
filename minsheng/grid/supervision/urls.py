from django.urls import path

from . import views

# included by grid/urls.py at /grid/supervision/, in the `grid` namespace
urlpatterns = [
    path("", views.index, name="supervision"),
    path("area/<str:code>/", views.area, name="supervision_area"),
    path("area/<str:code>/workers/", views.workers, name="supervision_workers"),
    path("area/<str:code>/export/", views.export, name="supervision_export"),
    path("workers/<str:username>/", views.worker, name="supervision_worker"),
]
