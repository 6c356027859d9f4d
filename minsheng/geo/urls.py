from django.urls import path

from minsheng.geo import views

app_name = "geo"
urlpatterns = [
    path("<str:code>/", views.area_detail, name="area_detail"),
]
