"""The benefit roll, the monthly payment runs and survival certification."""

from django.urls import path

from . import roll_views as views

urlpatterns: list = [
    path("roll/", views.roll, name="roll"),
    path("roll/<id:pk>/", views.benefit, name="benefit"),
    path("roll/<id:pk>/stop/", views.benefit_stop, name="benefit_stop"),
    path("roll/<id:pk>/resume/", views.benefit_resume, name="benefit_resume"),
    path("roll/<id:pk>/certify/", views.certify, name="certify"),
    path("payroll/", views.payroll, name="payroll"),
    path("payroll/start/", views.payroll_start, name="payroll_start"),
    path("payroll/<id:pk>/", views.payroll_run, name="payroll_run"),
    path("payroll/<id:pk>/file/", views.payroll_file, name="payroll_file"),
    path("certifications/", views.certifications, name="certifications"),
    path("certifications/silent/", views.certify_silent, name="certify_silent"),
    path("certifications/visits/", views.certify_visits, name="certify_visits"),
]
