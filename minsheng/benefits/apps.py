from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "minsheng.benefits"
    label = "benefits"
    verbose_name = "免申即享"
