"""The portrait masks what the profile masks: a tag or a trajectory event that shows a
sensitive item (低保, 残疾人 …) is shown only to a user who sees those values unmasked."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.urls import reverse

from minsheng.catalogue import dictionary
from minsheng.residents.actions import REVEAL_SESSION_KEY
from minsheng.screening import catalog
from minsheng.screening.receivers import portrait_tags_and_trajectory
from minsheng.screening.tags import recompute_tags, sensitive_items, tag_items
from minsheng.screening.tests.test_tags import resident
from minsheng.screening.tests.test_timeline import fact
from minsheng.screening.timeline import READERS, REVEALS, UNATTRIBUTED, policy_reveals

REASON = "低保年审 2026-0311 入户核对"


@pytest.fixture
def dibao(crypto, areas):
    """A veteran of 清泉社区 grid 1 on 低保 with a disability certificate, tags computed."""
    person = resident(
        crypto,
        areas,
        1,
        age=50,
        assistance_dibao=True,
        disability_disabled=True,
        veterans_veteran=True,
        card_has_card=True,
        insurance_any_pension=True,
    )
    fact("mz_assistance", person, assistance_type="低保", approval_date=date(2025, 1, 15))
    fact("cl_disability", person, issue_date=date(2023, 4, 1))
    fact("va_veterans", person, discharge_date=date(2012, 9, 1), resettlement="自主就业")
    recompute_tags()
    return person


def portrait(client, person) -> tuple[str, dict]:
    response = client.get(reverse("residents:profile", args=[person.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    start = body.index('data-testid="portrait"')
    return body[start : body.index("</section>", start)], response.context["portrait"]


def shown(context: dict) -> tuple[set[str], set[str]]:
    tags = {t.code for _, group in context["tag_groups"] for t in group}
    return tags, {e["kind"] for e in context["events"]}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clerk", "viewer", "grid_worker", "street_clerk"])
def test_it_hides_the_dibao_and_disability_tags_and_events_from_masked_views(
    cast, login, dibao, who
):
    # Given a resident on 低保 with a disability certificate, and a user who sees those
    # items masked on the profile (nobody has revealed them)
    # When the user opens the profile
    html, context = portrait(login(cast[who]), dibao)
    # Then neither the tags nor the trajectory lines show them; the rest of the portrait does
    tags, kinds = shown(context)
    assert tags == {"veteran"}
    assert kinds == {"discharge"}
    for text in ("低保", "残疾人", "救助审批通过", "残疾人证发放", 'data-tag="dibao"'):
        assert text not in html, text
    assert "退役军人" in html and "自主就业" in html


@pytest.mark.django_db
def test_it_shows_them_to_a_clerk_who_revealed_the_values_for_a_reason(cast, login, dibao):
    # Given the community clerk revealed the resident's values, stating why
    client = login(cast["clerk"])
    response = client.post(reverse("residents:reveal", args=[dibao.pk]), {"reason": REASON})
    assert response.status_code == 302
    # When they open the profile
    html, context = portrait(client, dibao)
    # Then the 低保 and 残疾人 tags and the assistance and certificate lines are there
    tags, kinds = shown(context)
    assert {"dibao", "disabled", "veteran"} <= tags
    assert {"assistance", "disability", "discharge"} <= kinds
    assert 'data-tag="dibao"' in html and "低保" in html and "残疾人" in html
    assert "救助审批通过" in html and "残疾人证发放" in html


@pytest.mark.django_db
def test_it_masks_them_again_when_the_reveal_has_run_out(cast, login, dibao):
    # Given the clerk revealed the values, and the ten-minute grant has since run out
    client = login(cast["clerk"])
    client.post(reverse("residents:reveal", args=[dibao.pk]), {"reason": REASON})
    session = client.session
    session[REVEAL_SESSION_KEY] = {str(dibao.pk): time.time() - 60}
    session.save()
    # When they open the profile
    html, context = portrait(client, dibao)
    # Then the portrait is masked again
    assert shown(context) == ({"veteran"}, {"discharge"})
    assert 'data-tag="dibao"' not in html


@pytest.mark.django_db
def test_it_does_not_take_a_reveal_by_another_user(cast, login, dibao, client):
    # Given the street clerk revealed the resident in their own session
    login(cast["street_clerk"]).post(
        reverse("residents:reveal", args=[dibao.pk]), {"reason": REASON}
    )
    # When the community clerk opens the profile in theirs
    client.logout()
    html, context = portrait(login(cast["clerk"]), dibao)
    # Then it stays masked for them
    assert shown(context) == ({"veteran"}, {"discharge"})


@pytest.mark.django_db
def test_it_follows_the_page_when_the_page_says_whether_values_are_revealed(cast, dibao):
    # A sender that knows the page's reveal state passes it; a user who may not reveal is
    # masked whatever it says
    clerk, viewer = cast["clerk"], cast["viewer"]
    kwargs = {"resident": dibao.resident}
    assert (
        "dibao" in shown(portrait_tags_and_trajectory(None, user=clerk, revealed=True, **kwargs))[0]
    )
    assert (
        "dibao"
        not in shown(portrait_tags_and_trajectory(None, user=clerk, revealed=False, **kwargs))[0]
    )
    assert (
        "dibao"
        not in shown(portrait_tags_and_trajectory(None, user=viewer, revealed=True, **kwargs))[0]
    )


def test_it_knows_the_sensitive_items_each_tag_shows():
    reveals = {code: sensitive_items(items) for code, items in tag_items().items()}
    assert reveals["dibao"] == {"assistance.dibao"}
    assert reveals["tekun"] == {"assistance.tekun"}
    assert reveals["disabled"] == {"disability.disabled"}
    assert "disability.disabled" in reveals["employment_difficulty"]
    assert reveals["veteran"] == reveals["unemployed"] == reveals["aged_80_plus"] == frozenset()
    assert set(reveals) == {t.code for t in catalog.tags()}


def test_it_declares_real_dictionary_items_for_every_timeline_reader():
    assert set(REVEALS) == set(READERS)
    for items in REVEALS.values():
        for code in items:
            dictionary.item(code)  # raises KeyError for a misspelt item
    assert sensitive_items(REVEALS["mz_assistance"])
    assert sensitive_items(REVEALS["cl_disability"]) == {"disability.disabled"}
    assert not sensitive_items(REVEALS["va_veterans"] | REVEALS["rs_employment"])


def test_it_masks_a_policy_event_by_the_items_of_the_policy_it_names():
    # 城乡居民养老保险代缴 goes to 低保, 特困 and severely disabled people; 上门认证 to the old
    assert sensitive_items(policy_reveals("城乡居民养老保险代缴（政策通知）")) >= {
        "assistance.dibao",
        "disability.severe",
    }
    assert sensitive_items(policy_reveals("求职创业补贴申领"))  # a handling-log matter
    assert not sensitive_items(policy_reveals("高龄领取待遇人员上门认证（上门服务）"))
    assert policy_reveals("失业保险金申领") == frozenset()
    assert sensitive_items(policy_reveals("某事项", unattributed=frozenset({UNATTRIBUTED})))
