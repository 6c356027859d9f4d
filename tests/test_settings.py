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


def test_it_keeps_one_address_from_locking_an_account():
    # The per-address throttle stops an address before the account's lockout threshold,
    # for at least the lockout window (accounts/throttle.py).
    assert project_settings.LOGIN_THROTTLE_ACCOUNT_FAILURES < project_settings.LOCKOUT_THRESHOLD
    assert project_settings.LOGIN_THROTTLE_MINUTES >= project_settings.LOCKOUT_WINDOW_MINUTES
    with pytest.raises(ImproperlyConfigured, match="one address could lock"):
        project_settings.check_login_limits(5, 30, 5, 30)


def test_it_remembers_five_passwords():
    assert project_settings.PASSWORD_HISTORY_COUNT == 5
    assert {"NAME": "minsheng.accounts.passwords.PasswordHistoryValidator"} in (
        project_settings.AUTH_PASSWORD_VALIDATORS
    )
