from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "minsheng.synth"
    verbose_name = "Synthetic city"
    default_auto_field = "django.db.models.BigAutoField"
