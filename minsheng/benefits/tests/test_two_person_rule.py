"""The two-person rule (两人原则) compares natural persons, not accounts: a second account of
the proposer (the same staff number) cannot approve the proposer's run."""

import pytest
from django.core.exceptions import PermissionDenied

from conftest import make_user
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent
from minsheng.benefits import actions
from minsheng.benefits import policies as catalogue
from minsheng.benefits.models import PolicyRun, RunStatus

DAIJIAO = "resident_pension_daijiao"


@pytest.mark.django_db
def test_it_refuses_an_approval_by_the_proposers_second_account(cast, resident):
    # Given a run proposed by city staff, and a second account of the same person (an
    # account from before staff numbers were normalised: the same number in lower case)
    resident(age=30, assistance_dibao=True, assistance_status="1")
    proposer = cast["city_staff"]
    twin = make_user(
        "city_staff_twin", Role.CITY_EMPLOYMENT, proposer.area, staff_no=proposer.staff_no.lower()
    )
    run = actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=proposer)
    # When the second account approves it
    with pytest.raises(PermissionDenied):
        actions.do_approve_policy_run(run, acting_user=twin)
    # Then the run stays proposed and no approval is recorded
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED and run.approved_by is None
    assert not AuditEvent.objects.filter(object_type="policy_run", details__step="approve").exists()


@pytest.mark.django_db
def test_it_accepts_an_approval_by_another_person(cast, resident, second_staff):
    resident(age=30, assistance_dibao=True, assistance_status="1")
    run = actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast["city_staff"])
    run = actions.do_approve_policy_run(run, acting_user=second_staff)
    assert PolicyRun.objects.get(pk=run.pk).status == RunStatus.APPROVED
