from django.urls import path

from minsheng.residents import views

app_name = "residents"
urlpatterns = [
    path("dictionary/", views.dictionary_list, name="dictionary"),
    path("residents/", views.resident_search, name="search"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("residents/<id:person_id>/", views.resident_profile, name="profile"),
    path("residents/<id:person_id>/reveal/", views.resident_reveal, name="reveal"),
    path(
        "residents/<id:person_id>/item/<str:code>/",
        views.resident_item_history,
        name="item_history",
    ),
]
