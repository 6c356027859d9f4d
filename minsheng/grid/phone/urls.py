"""The 网格通 phone pages, mounted at /grid/m/ in the `grid` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.task_list, name="phone_tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="phone_task"),
    # served from here, not /static/, so that its scope covers /grid/m/
    path("sw.js", views.service_worker, name="phone_sw"),
]
