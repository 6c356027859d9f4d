from django.urls import include, path

from . import views

app_name = "grid"

urlpatterns = [
    path("posts/", views.posts, name="posts"),
    path("posts/<str:code>/vacate/", views.post_vacate, name="post_vacate"),
    path("posts/<str:code>/assign/", views.post_assign, name="post_assign"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/reassign/", views.tasks_reassign, name="tasks_reassign"),
    path("tasks/<id:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("dispatch/list/<id:pk>/", views.dispatch_list, name="dispatch_list"),
    path("dispatch/person/<id:person_id>/", views.dispatch_person, name="dispatch_person"),
    # the 网格通 phone pages (H5), the smart doorplate and the supervision centre
    path("m/", include("minsheng.grid.phone.urls")),
    path("", include("minsheng.grid.doorplate.urls")),
    path("supervision/", include("minsheng.grid.supervision.urls")),
    path("devices/", include("minsheng.grid.devices.urls")),
]
