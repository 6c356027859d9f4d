import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.residents.tests.conftest import PHONE_NOW, PHONE_OLD, ZHANG_ID


def reveal(client, person, reason):
    return client.post(reverse("residents:reveal", args=[person.pk]), {"reason": reason})


def profile(client, person):
    return client.get(reverse("residents:profile", args=[person.pk]))


@pytest.mark.django_db
def test_it_reveals_full_values_for_a_reason_and_audits_it(cast, people, login):
    # Given the clerk of 张三丰's community
    client = login(cast["clerk"])
    # When they ask for full values with a reason
    response = reveal(client, people["zhang"], "养老金待遇申请 2026-0012 核对")
    # Then they return to the profile, which shows the full ID, name and phones
    assert response.status_code == 302
    body = profile(client, people["zhang"]).content.decode()
    assert ZHANG_ID in body and "张三丰" in body and PHONE_NOW in body and PHONE_OLD in body
    # And the reveal is in the audit trail with its reason, and the next view says so
    event = AuditEvent.objects.get(event_type="view", details__action="reveal")
    assert (event.actor_username, event.object_id, event.reason) == (
        "clerk",
        str(people["zhang"].pk),
        "养老金待遇申请 2026-0012 核对",
    )
    last = AuditEvent.objects.filter(event_type="view").order_by("-seq").first()
    assert last.details == {"revealed": True}


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "查看"[:1] * 3])
def test_it_requires_a_reason_of_at_least_four_characters(cast, people, login, reason):
    # Given the clerk
    client = login(cast["clerk"])
    # When they ask without a real reason
    response = reveal(client, people["zhang"], reason)
    # Then nothing is revealed and no reveal is recorded
    assert response.status_code == 400
    assert response.context["reveal_form"].errors
    assert ZHANG_ID not in response.content.decode()
    assert not AuditEvent.objects.filter(details__action="reveal").exists()
    assert ZHANG_ID not in profile(client, people["zhang"]).content.decode()


@pytest.mark.django_db
def test_it_reveals_only_the_person_asked_for(cast, people, login):
    # Given the clerk revealed 张三丰
    client = login(cast["clerk"])
    reveal(client, people["zhang"], "核对就业登记信息")
    # When they open 张伟
    response = profile(client, people["wei"])
    # Then 张伟 stays masked
    assert not response.context["revealed"]
    assert "张*" in response.content.decode() and "张伟" not in response.content.decode()


@pytest.mark.django_db
def test_it_ends_the_reveal_after_ten_minutes(cast, people, login, monkeypatch):
    # Given the clerk revealed 张三丰
    client = login(cast["clerk"])
    reveal(client, people["zhang"], "核对就业登记信息")
    # When eleven minutes pass
    import time

    from minsheng.residents import views

    now = time.time()
    monkeypatch.setattr(views.time, "time", lambda: now + 11 * 60)
    # Then the values are masked again
    assert ZHANG_ID not in profile(client, people["zhang"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "grid_worker"])
def test_it_refuses_to_reveal_to_viewers_and_grid_workers(cast, people, login, role):
    # Given a user who may see the person masked only
    client = login(cast[role])
    # When they post a reveal anyway
    response = reveal(client, people["zhang"], "我想看看完整号码")
    # Then it is forbidden and denied in the trail, and the page stays masked
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type="denied", actor_username=role, details__action="reveal"
    ).exists()
    assert ZHANG_ID not in profile(client, people["zhang"]).content.decode()


@pytest.mark.django_db
def test_it_refuses_an_outsider_before_looking_at_the_reason(cast, people, login):
    # Given the clerk of another street
    client = login(cast["outsider"])
    # When they try to reveal 张三丰
    response = reveal(client, people["zhang"], "核对就业登记信息")
    # Then he is not found, and the attempt is denied in the trail
    assert response.status_code == 404
    assert AuditEvent.objects.filter(event_type="denied", actor_username="outsider").exists()
    assert not AuditEvent.objects.filter(details__action="reveal", result="success").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sys_admin", "supervision"])
def test_it_refuses_administrators_and_supervision(cast, people, login, role):
    client = login(cast[role])
    assert reveal(client, people["zhang"], "核对就业登记信息").status_code == 403


@pytest.mark.django_db
def test_it_lets_city_staff_reveal(cast, people, login):
    # Given the pension department of the city bureau
    client = login(cast["city_staff"])
    # When it reveals with a reason
    reveal(client, people["zhang"], "养老待遇资格核查")
    # Then the full ID shows
    assert ZHANG_ID in profile(client, people["zhang"]).content.decode()


def test_it_grants_reveal_by_role(cast):
    may = {name for name, user in cast.items() if user.may_reveal_personal_data}
    assert may == {"clerk", "street_clerk", "outsider", "city_staff"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason",
    ["aaaa", "1111", "。。。。", "asdf", "test", "测试。。", "测试一下", "哈哈哈哈", "2026-0012"],
)
def test_it_refuses_a_filler_reason(cast, people, login, reason):
    # Given the clerk
    client = login(cast["clerk"])
    # When they give filler for a reason
    response = reveal(client, people["zhang"], reason)
    # Then they are told, in Chinese, to state the actual reason, and nothing is revealed
    assert response.status_code == 400
    assert response.context["reveal_form"].errors["reason"] == [
        "请写明实际的查询事由（办理事项或业务编号），不能只填占位词、“测试”或重复的字符。"
    ]
    assert not AuditEvent.objects.filter(details__action="reveal").exists()
    assert ZHANG_ID not in profile(client, people["zhang"]).content.decode()


@pytest.mark.django_db
def test_it_refuses_a_reason_of_too_few_meaningful_characters(cast, people, login):
    client = login(cast["clerk"])
    response = reveal(client, people["zhang"], "低保。。。")
    assert response.status_code == 400
    assert response.context["reveal_form"].errors["reason"] == [
        "查询事由至少需要 4 个汉字、字母或数字。"
    ]
    assert not AuditEvent.objects.filter(details__action="reveal").exists()
