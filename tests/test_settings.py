import pytest
from django.core.exceptions import ImproperlyConfigured

from minsheng import settings as project_settings


def test_it_refuses_production_mode_with_the_demo_secret(monkeypatch):
    monkeypatch.setattr(project_settings, "DEMO_MODE", True)
    monkeypatch.setattr(project_settings, "DEBUG", False)
    monkeypatch.delenv("MINSHENG_ALLOW_DEMO_SECRETS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="demo secret key"):
        project_settings.refuse_demo_secrets_in_production()


def test_it_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setattr(project_settings, "DEMO_MODE", False)
    monkeypatch.setattr(project_settings, "DEBUG", False)
    project_settings.refuse_demo_secrets_in_production()


def test_it_defaults_to_chinese_and_shanghai_time():
    assert project_settings.LANGUAGE_CODE == "zh-hans"
    assert project_settings.TIME_ZONE == "Asia/Shanghai" and project_settings.USE_TZ
