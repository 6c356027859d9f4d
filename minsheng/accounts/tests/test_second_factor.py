import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from minsheng.audit.models import AuditEvent


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sys_admin", "sec_admin", "audit_admin"])
def test_it_sends_an_administrator_without_a_second_factor_to_enrol(cast, login, role):
    client = login(cast[role], second_factor=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:second_factor")
    page = client.get(reverse("accounts:second_factor"))
    assert page.context["enrolling"] and "<svg" in page.content.decode()


@pytest.mark.django_db
def test_it_enrols_and_verifies_with_a_current_code(cast, login):
    admin = cast["audit_admin"]
    client = login(admin, second_factor=False)
    client.get(reverse("accounts:second_factor"))
    device = TOTPDevice.objects.get(user=admin)

    response = client.post(reverse("accounts:second_factor"), {"token": current_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("audit:event_list")).status_code == 200
    assert AuditEvent.objects.filter(
        event_type="second_factor_enrolled", actor_username=admin.username
    ).exists()


@pytest.mark.django_db
def test_it_refuses_a_wrong_code_and_audits_it(cast, login):
    admin = cast["sec_admin"]
    client = login(admin, second_factor=False)
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    response = client.post(reverse("accounts:second_factor"), {"token": "000000"})
    assert response.status_code == 200 and "验证码错误" in response.content.decode()
    assert client.get(reverse("accounts:user_list")).status_code == 302
    assert AuditEvent.objects.get(event_type="login_failed").reason == "wrong second factor"


@pytest.mark.django_db
def test_it_asks_no_second_factor_of_other_roles(cast, login):
    client = login(cast["clerk"])
    assert client.get(reverse("accounts:second_factor")).status_code == 302
    assert client.get(reverse("geo:area_detail", args=["150302001001"])).status_code == 200


@pytest.mark.django_db
def test_it_lets_the_security_admin_reset_a_lost_authenticator(cast, login):
    auditor = cast["audit_admin"]
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    login(cast["sec_admin"]).post(
        reverse("accounts:user_reset_second_factor", args=[auditor.pk]), {"reason": "手机丢失"}
    )
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    assert AuditEvent.objects.get(event_type="second_factor_reset").reason == "手机丢失"


@pytest.mark.django_db
def test_it_prints_a_working_demo_code_only_in_demo_mode(cast, login, settings, capsys):
    from django.core.management import CommandError, call_command

    admin = cast["sys_admin"]
    client = login(admin, second_factor=False)
    call_command("demo_totp", "sys_admin")
    code = capsys.readouterr().out.strip()
    assert client.post(reverse("accounts:second_factor"), {"token": code}).status_code == 302
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo secrets"):
        call_command("demo_totp", "sys_admin")
