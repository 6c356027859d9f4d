from django.urls import path

from minsheng.residents import views

app_name = "residents"
urlpatterns = [
    path("dictionary/", views.dictionary_list, name="dictionary"),
]
