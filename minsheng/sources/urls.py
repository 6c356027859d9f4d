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
    path(
        "batches/<id:pk>/column-mapping/", views.batch_column_mapping, name="batch_column_mapping"
    ),
    path("batches/<id:pk>/code-mapping/", views.batch_code_mapping, name="batch_code_mapping"),
    path("batches/<id:pk>/reapply/", views.batch_reapply, name="batch_reapply"),
    path("mappings/", views.mapping_list, name="mapping_list"),
    path(
        "mappings/columns/<id:pk>/delete/",
        views.column_mapping_delete,
        name="column_mapping_delete",
    ),
    path("mappings/codes/<id:pk>/delete/", views.code_mapping_delete, name="code_mapping_delete"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<id:pk>/", views.review_detail, name="review_detail"),
    path("unresolved/", views.unresolved_list, name="unresolved_list"),
    path("unresolved/<id:pk>/", views.unresolved_detail, name="unresolved_detail"),
]
