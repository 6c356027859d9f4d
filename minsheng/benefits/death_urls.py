"""The death cases, the decisions awaiting a second person, and the recoveries."""

from django.urls import path

from . import death_views as views

urlpatterns: list = [
    path("deaths/", views.death_list, name="deaths"),
    path("deaths/collect/", views.death_collect, name="death_collect"),
    path("deaths/<id:pk>/", views.death_case, name="death_case"),
    path("deaths/<id:pk>/propose/", views.death_propose, name="death_propose"),
    path("deaths/<id:pk>/approve/", views.death_approve, name="death_approve"),
    path("deaths/<id:pk>/dismiss/", views.death_dismiss, name="death_dismiss"),
    path("deaths/<id:pk>/revert/", views.death_revert, name="death_revert"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<id:pk>/approve/", views.decision_approve, name="decision_approve"),
    path("decisions/<id:pk>/reject/", views.decision_reject, name="decision_reject"),
    path("recoveries/", views.recovery_list, name="recoveries"),
    path("recoveries/<id:pk>/", views.recovery_detail, name="recovery"),
    path("recoveries/<id:pk>/contact/", views.recovery_contact, name="recovery_contact"),
    path(
        "recoveries/<id:pk>/instalments/",
        views.recovery_instalments,
        name="recovery_instalments",
    ),
    path("recoveries/<id:pk>/receipt/", views.recovery_receipt, name="recovery_receipt"),
    path("recoveries/<id:pk>/write-off/", views.recovery_write_off, name="recovery_write_off"),
]
