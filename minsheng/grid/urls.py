from django.urls import path

from . import views

app_name = "grid"

urlpatterns = [
    path("posts/", views.posts, name="posts"),
    path("posts/<str:code>/vacate/", views.post_vacate, name="post_vacate"),
    path("posts/<str:code>/assign/", views.post_assign, name="post_assign"),
]
