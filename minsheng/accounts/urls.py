from django.urls import path

from minsheng.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<id:pk>/", views.user_detail, name="user_detail"),
    path("users/<id:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<id:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("users/<id:pk>/active/", views.user_set_active, name="user_set_active"),
    path(
        "users/<id:pk>/reset-second-factor/",
        views.user_reset_second_factor,
        name="user_reset_second_factor",
    ),
]
