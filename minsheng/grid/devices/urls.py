from django.urls import path

from . import views

# included by minsheng/grid/urls.py under the `grid` namespace
urlpatterns = [
    path("", views.devices, name="devices"),
    path("<id:pk>/", views.device_list, name="device_list"),
    path("<id:pk>/issue/", views.device_issue, name="device_issue"),
    path("<id:pk>/<id:device>/revoke/", views.device_revoke, name="device_revoke"),
]
