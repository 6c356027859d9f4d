from django.urls import path

from minsheng.benefits import death_urls, roll_urls, views

app_name = "benefits"
urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("policies/<str:code>/", views.policy_detail, name="policy_detail"),
    path("policies/<str:code>/propose/", views.run_propose, name="run_propose"),
    path("runs/<id:pk>/", views.run_detail, name="run_detail"),
    path("runs/<id:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<id:pk>/reject/", views.run_reject, name="run_reject"),
    path("runs/<id:pk>/deliver/", views.run_deliver, name="run_deliver"),
    *roll_urls.urlpatterns,
    *death_urls.urlpatterns,
]
