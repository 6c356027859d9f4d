from django.urls import path

from minsheng.sources import views

app_name = "sources"
urlpatterns = [
    path("", views.quality, name="quality"),
    path("upload/", views.upload, name="upload"),
    path("upload/<str:token>/", views.upload_progress, name="upload_progress"),
    path(
        "upload/<str:token>/progress/",
        views.upload_progress_fragment,
        name="upload_progress_fragment",
    ),
    path("batches/<id:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<id:pk>/report.xlsx", views.batch_report, name="batch_report"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<id:pk>/", views.review_detail, name="review_detail"),
]
