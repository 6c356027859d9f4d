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
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path(
        "users/<int:pk>/reset-second-factor/",
        views.user_reset_second_factor,
        name="user_reset_second_factor",
    ),
]
