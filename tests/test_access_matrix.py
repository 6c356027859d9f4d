"""The access matrix: every URL pattern of the project, every member of the fixed cast.

`TABLE` holds one row per named URL pattern (namespace:name). A row has one or more cases;
a case says how to build a concrete URL from the objects `build_world` creates, which HTTP
method to use (GET for pages; POST for actions, with the CSRF check off as the test client
has it by default), and what each actor must get:

    200            the page
    SHOWN / CLEAN  the page (200), and it does / does not show the case's 清泉社区 objects
                   (their links, `markers`): how a list page refuses another area's data
    LOGIN          a redirect to the login page
    to(name, ...)  a redirect to that URL pattern (with those kwargs, if given)
    403, 404, 400, 405

The values are what a real HRSS bureau's system must answer, not what the code happens to
answer: personal data is refused to the supervision centre and the three administrators
(403), a single object of 清泉社区 looks nonexistent (404) to the outsider of 乌达区, lists
show the outsider none of it, the audit trail is the audit administrator's, user
administration the security administrator's, and a POST-only action answers 405 to GET.

`test_every_url_pattern_has_a_row` fails, naming the pattern, when a URL is added without a
row; `test_a_pattern_without_a_row_is_named` proves it by feeding the enumeration a fake
extra pattern. `test_access_matrix` requests every (case, actor) cell, each from a fresh
client in a savepoint rolled back afterwards, and lists every mismatching cell in one
failure as `name[case] actor: expected X got Y`. Nothing is marked xfail: a mismatch is a
view to fix (or a row to correct), never a value to copy from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from conftest import QINGQUAN, make_user
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "clerk",  # community clerk of 清泉社区
    "street_clerk",  # clerk of 新华街道, above 清泉社区
    "viewer",  # read-only, 海勃湾区
    "outsider",  # street clerk of 巴音赛街道, 乌达区
    "grid_worker",  # grid 1 of 清泉社区
    "city_staff",
    "supervision",
    "sys_admin",
    "sec_admin",
    "audit_admin",
)
NO_PERSONAL_DATA = ("supervision", "sys_admin", "sec_admin", "audit_admin")

GRID1 = f"{QINGQUAN}001"  # 清泉社区第1网格, the grid worker's grid (conftest.make_grid)
XINHUA = "150302001"  # 新华街道
HAIBOWAN = "150302"  # 海勃湾区
BAYINSAI = "150304001"  # 巴音赛街道
CITY = "150300"  # 乌海市
POLICY = "resident_pension_daijiao"
THEME, LIST = "graduates", "graduates_unemployed"
ITEM = "identity.name"

# -- outcome vocabulary (used by the table) --------------------------------------------------

LOGIN = "login"
SHOWN = "shown"
CLEAN = "clean"
GET, POST = "GET", "POST"


@dataclass(frozen=True)
class Ref:
    """A value taken from the world the test builds (an id, a code, a token)."""

    attr: str


def ref(attr: str) -> Ref:
    return Ref(attr)


@dataclass(frozen=True)
class To:
    """A redirect to a URL pattern; kwargs compared only when given."""

    name: str
    kwargs: tuple = ()

    def describe(self, world=None) -> str:
        if not self.kwargs:
            return f"302→{self.name}"
        args = ",".join(f"{k}={resolve_value(v, world)}" for k, v in self.kwargs)
        return f"302→{self.name}({args})"


def to(name: str, **kwargs) -> To:
    return To(name, tuple(sorted(kwargs.items())))


def outcomes(default, *, anonymous=LOGIN, **given) -> dict[str, Any]:
    """Every actor's expected outcome: `given` ones, the anonymous visitor's, else default."""
    unknown = set(given) - set(ACTORS)
    assert not unknown, f"not in the cast: {unknown}"
    return {a: anonymous if a == "anonymous" else given.get(a, default) for a in ACTORS}


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    expect: dict
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    # (url name, kwargs) of 清泉社区 objects whose links a SHOWN page has and a CLEAN one lacks
    markers: tuple = ()


@dataclass(frozen=True)
class Row:
    cases: tuple
    personal: bool = False  # shows personal data: outsider and no-personal-data roles refused
    post_only: bool = False  # an action: its GET case must answer 405
    note: str = ""


def row(*cases: Case, **flags) -> Row:
    return Row(cases=cases, **flags)


# Shared expectations, named for what they mean.
ONLY_CITY_STAFF = outcomes(403, city_staff=200)
ONLY_SEC_ADMIN = outcomes(403, sec_admin=200)
ONLY_AUDIT_ADMIN = outcomes(403, audit_admin=200)
EVERY_SIGNED_IN = outcomes(200)
GET_IS_405 = outcomes(405)  # login first, then the method
# one resident of 清泉社区 (grid 1): their area's staff see them, the outsider finds nothing
INSIDE_PERSON = outcomes(
    403, clerk=200, street_clerk=200, viewer=200, outsider=404, grid_worker=200, city_staff=200
)
# one resident of 巴音赛街道
OUTSIDE_PERSON = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=200, grid_worker=404, city_staff=200
)
# a list over the user's own area: 清泉社区's people shown to its staff, not to the outsider
INSIDE_LIST = outcomes(
    403,
    clerk=SHOWN,
    street_clerk=SHOWN,
    viewer=SHOWN,
    outsider=CLEAN,
    grid_worker=SHOWN,
    city_staff=SHOWN,
)
# a personal-data page asked for area=清泉社区 (a community: outside a grid worker's grid)
QINGQUAN_AREA = outcomes(
    403, clerk=200, street_clerk=200, viewer=200, outsider=404, grid_worker=404, city_staff=200
)
OWN_AREA = outcomes(
    403, clerk=200, street_clerk=200, viewer=200, outsider=200, grid_worker=200, city_staff=200
)
# a personal-data object that does not exist: 404 for whoever could see such objects
MISSING = 987654321
NOT_FOUND = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=404, grid_worker=404, city_staff=404
)
# doorplate label sheets of 清泉社区: its clerks; the outsider's clerk finds none
DOORPLATE_LABELS = outcomes(403, clerk=200, street_clerk=200, outsider=404)
DOORPLATE_MISSING = outcomes(403, clerk=404, street_clerk=404, outsider=404)
# a grid post of 清泉社区 changed by a clerk of its area; another area's clerk finds none
STAFFING = outcomes(403, clerk=to("grid:posts"), street_clerk=to("grid:posts"), outsider=404)
# the supervision figures of 清泉社区 (counts only): its area's readers, the city's, not the
# outsider; and of an area or worker that does not exist
SUPERVISED_QINGQUAN = outcomes(
    403, clerk=200, street_clerk=200, viewer=200, outsider=404, city_staff=200, supervision=200
)
SUPERVISED_MISSING = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404, supervision=404
)
# a grid task that does not exist: 404 for those who manage tasks, 403 for the other roles
NOT_FOUND_TASK = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404
)
OUTSIDE_DISPATCH = outcomes(403, clerk=404, street_clerk=404, outsider=200, city_staff=200)
INSIDE = {"person_id": ref("inside")}
OUTSIDE = {"person_id": ref("outside")}
INSIDE_PROFILE = (("residents:profile", INSIDE),)
USER = {"pk": ref("user")}

# -- the table ------------------------------------------------------------------------------


# ---- the benefit roll (issue 14)
BENEFIT_INSIDE = {"pk": ref("benefit_inside")}
BENEFIT_MARKER = (("benefits:benefit", BENEFIT_INSIDE),)
# the roll's readers: city staff, the clerks and the read-only user of the area; grid workers,
# the supervision centre and the administrators refused
ROLL_LIST = outcomes(
    403, clerk=SHOWN, street_clerk=SHOWN, viewer=SHOWN, outsider=CLEAN, city_staff=SHOWN
)
ROLL_INSIDE = outcomes(403, clerk=200, street_clerk=200, viewer=200, outsider=404, city_staff=200)
ROLL_OUTSIDE = outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=200, city_staff=200)
ROLL_MISSING = outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404)
# a change to 清泉社区's benefit: its clerks and city staff (back to the benefit), the
# read-only user 403, the outsider finds nothing
BACK_TO_BENEFIT = to("benefits:benefit", pk=ref("benefit_inside"))
ROLL_CHANGE = outcomes(
    403,
    clerk=BACK_TO_BENEFIT,
    street_clerk=BACK_TO_BENEFIT,
    outsider=404,
    city_staff=BACK_TO_BENEFIT,
)
PAYROLL_RUN = {"pk": ref("payroll_run")}

# death handling: city staff, the clerks and the read-only users within their area; grid
# workers, supervision and the administrators refused; another area's object is a 404
DEATHS_LIST = outcomes(
    403, clerk=SHOWN, street_clerk=SHOWN, viewer=SHOWN, outsider=CLEAN, city_staff=SHOWN
)
DEATHS_INSIDE = outcomes(403, clerk=200, street_clerk=200, viewer=200, outsider=404, city_staff=200)
DEATHS_OUTSIDE = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=200, city_staff=200
)
DEATHS_MISSING = outcomes(
    403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404
)


def deaths_step(name: str, pk: str, *, approve: bool = False) -> dict:
    """A POST on a 清泉社区 object: who may act is sent back to its page (the action done,
    or its refusal as a message); the viewer and the grid worker 403, the outsider 404.
    `approve`: only city staff act (the clerks 403)."""
    back = to(name, pk=ref(pk))
    if approve:
        return outcomes(403, outsider=404, city_staff=back)
    return outcomes(403, clerk=back, street_clerk=back, outsider=404, city_staff=back)


CASE = {"pk": ref("death_case")}  # open, one 公安 signal
PROPOSED_CASE = {"pk": ref("death_case_proposed")}  # proposed by the clerk
CONFIRMED_CASE = {"pk": ref("death_case_confirmed")}  # approved; a recovery is open
RECOVERY = {"pk": ref("recovery")}
DECISION = {"pk": ref("decision")}  # a write-off of the recovery, proposed by the clerk


TABLE: dict[str, Row] = {
    # ---- project
    "home": row(
        Case(
            "landing",
            GET,
            outcomes(
                None,
                clerk=to("geo:area_detail", code=QINGQUAN),
                street_clerk=to("geo:area_detail", code=XINHUA),
                viewer=to("geo:area_detail", code=HAIBOWAN),
                outsider=to("geo:area_detail", code=BAYINSAI),
                grid_worker=to("geo:area_detail", code=GRID1),
                city_staff=to("geo:area_detail", code=CITY),
                supervision=to("geo:area_detail", code=CITY),
                sys_admin=to("system_status"),
                sec_admin=to("accounts:user_list"),
                audit_admin=to("audit:event_list"),
            ),
        )
    ),
    "system_status": row(Case("page", GET, outcomes(403, sys_admin=200))),
    # ---- accounts
    "accounts:login": row(Case("page", GET, outcomes(to("home"), anonymous=200))),
    "accounts:logout": row(
        Case("post", POST, outcomes(LOGIN)),
        Case("get", GET, outcomes(405, anonymous=405)),
        post_only=True,
    ),
    "accounts:password_change": row(Case("page", GET, EVERY_SIGNED_IN)),
    "accounts:second_factor": row(
        # non-administrators have none; administrators have passed it in this session
        Case("page", GET, outcomes(to("home")))
    ),
    "accounts:user_list": row(Case("page", GET, ONLY_SEC_ADMIN)),
    "accounts:user_create": row(Case("page", GET, ONLY_SEC_ADMIN)),
    "accounts:user_detail": row(
        Case("clerk's account", GET, ONLY_SEC_ADMIN, kwargs=USER),
        Case("nonexistent", GET, outcomes(403, sec_admin=404), kwargs={"pk": MISSING}),
    ),
    "accounts:user_unlock": row(
        Case(
            "post",
            POST,
            outcomes(403, sec_admin=to("accounts:user_detail", pk=ref("user"))),
            kwargs=USER,
        ),
        Case("get", GET, outcomes(403, sec_admin=405), kwargs=USER),
        post_only=True,
    ),
    "accounts:user_reset_password": row(
        Case("post", POST, outcomes(403, sec_admin=200), kwargs=USER),
        Case("get", GET, outcomes(403, sec_admin=405), kwargs=USER),
        post_only=True,
    ),
    "accounts:user_set_active": row(
        Case(
            "post",
            POST,
            outcomes(403, sec_admin=to("accounts:user_detail", pk=ref("user"))),
            kwargs=USER,
            data={"active": "1", "reason": "复核账号"},
        ),
        Case("get", GET, outcomes(403, sec_admin=405), kwargs=USER),
        post_only=True,
    ),
    "accounts:user_reset_second_factor": row(
        Case(
            "post",
            POST,
            outcomes(403, sec_admin=to("accounts:user_detail", pk=ref("user"))),
            kwargs=USER,
            data={"reason": "手机丢失"},
        ),
        Case("get", GET, outcomes(403, sec_admin=405), kwargs=USER),
        post_only=True,
    ),
    # ---- audit trail: the audit administrator's alone
    "audit:event_list": row(Case("page", GET, ONLY_AUDIT_ADMIN)),
    "audit:event_export": row(Case("csv", GET, ONLY_AUDIT_ADMIN)),
    # ---- areas: structure and counts, no personal data; scoped by area
    "geo:area_detail": row(
        Case(
            "清泉社区", GET, outcomes(200, outsider=404, grid_worker=404), kwargs={"code": QINGQUAN}
        ),
        Case(
            "巴音赛 community",
            GET,
            outcomes(
                404,
                outsider=200,
                city_staff=200,
                supervision=200,
                sys_admin=200,
                sec_admin=200,
                audit_admin=200,
            ),
            kwargs={"code": ref("bayinsai_community")},
        ),
        Case("nonexistent", GET, outcomes(404), kwargs={"code": "150399999999"}),
    ),
    # ---- residents
    "residents:dictionary": row(Case("page", GET, EVERY_SIGNED_IN)),
    "residents:search": row(
        Case("by name", GET, INSIDE_LIST, query={"q": "张三丰"}, markers=INSIDE_PROFILE),
        Case(
            "by ID number",
            GET,
            INSIDE_LIST,
            query={"q": ref("inside_id_number")},
            markers=INSIDE_PROFILE,
        ),
        personal=True,
    ),
    # One person: 404 outside the user's area (as residents/access.py answers), 403 for the
    # roles that see no personal data at all, whoever the person is.
    "residents:profile": row(
        Case("inside", GET, INSIDE_PERSON, kwargs=INSIDE),
        Case("outside", GET, OUTSIDE_PERSON, kwargs=OUTSIDE),
        # looks exactly like a resident of another area
        Case("nonexistent", GET, NOT_FOUND, kwargs={"person_id": MISSING}),
        personal=True,
    ),
    "residents:conflicts": row(
        Case(
            "open",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=CLEAN,
                city_staff=SHOWN,
            ),
            markers=INSIDE_PROFILE,
        ),
        Case(
            "by kind",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=CLEAN,
                city_staff=SHOWN,
            ),
            query={"kind": "values_differ"},
            markers=INSIDE_PROFILE,
        ),
        personal=True,
    ),
    "residents:reveal": row(
        Case(
            "inside",
            POST,
            outcomes(
                403,
                clerk=to("residents:profile", person_id=ref("inside")),
                street_clerk=to("residents:profile", person_id=ref("inside")),
                outsider=404,
                city_staff=to("residents:profile", person_id=ref("inside")),
            ),
            kwargs=INSIDE,
            data={"reason": "核对就业登记信息"},
        ),
        Case(
            "outside",
            POST,
            outcomes(
                403,
                clerk=404,
                street_clerk=404,
                viewer=404,
                outsider=to("residents:profile", person_id=ref("outside")),
                grid_worker=404,
                city_staff=to("residents:profile", person_id=ref("outside")),
            ),
            kwargs=OUTSIDE,
            data={"reason": "核对就业登记信息"},
        ),
        Case(
            "no reason",
            POST,
            outcomes(403, clerk=400, street_clerk=400, outsider=404, city_staff=400),
            kwargs=INSIDE,
        ),
        Case("get", GET, GET_IS_405, kwargs=INSIDE),
        personal=True,
        post_only=True,
    ),
    "residents:item_history": row(
        Case("inside", GET, INSIDE_PERSON, kwargs={**INSIDE, "code": ITEM}),
        Case("outside", GET, OUTSIDE_PERSON, kwargs={**OUTSIDE, "code": ITEM}),
        Case("unknown item", GET, NOT_FOUND, kwargs={**INSIDE, "code": "identity.nope"}),
        personal=True,
    ),
    # ---- sources: the import pipeline is the city bureau's
    "sources:quality": row(Case("page", GET, ONLY_CITY_STAFF)),
    "sources:upload": row(Case("page", GET, ONLY_CITY_STAFF)),
    "sources:upload_progress": row(
        Case("city staff's upload", GET, ONLY_CITY_STAFF, kwargs={"token": ref("token")}),
        Case(
            "another's upload",
            GET,
            outcomes(403, city_staff=404),
            kwargs={"token": ref("other_token")},
        ),
        Case("malformed token", GET, outcomes(403, city_staff=404), kwargs={"token": "..x"}),
    ),
    "sources:upload_progress_fragment": row(
        Case("city staff's upload", GET, ONLY_CITY_STAFF, kwargs={"token": ref("token")}),
        Case(
            "another's upload",
            GET,
            outcomes(403, city_staff=404),
            kwargs={"token": ref("other_token")},
        ),
    ),
    # quarantined rows are personal data (masked)
    "sources:batch_detail": row(
        Case("batch", GET, ONLY_CITY_STAFF, kwargs={"pk": ref("batch")}),
        Case("nonexistent", GET, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        personal=True,
    ),
    "sources:batch_report": row(
        Case("xlsx", GET, ONLY_CITY_STAFF, kwargs={"pk": ref("batch")}),
        Case("nonexistent", GET, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        personal=True,
    ),
    # a department's mappings are data the city's business staff keep (no personal data)
    "sources:batch_column_mapping": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("sources:batch_detail", pk=ref("batch"))),
            kwargs={"pk": ref("batch")},
            data={"header": "现住地", "column": "hukou_address"},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("batch")}),
        post_only=True,
    ),
    "sources:batch_code_mapping": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("sources:batch_detail", pk=ref("batch"))),
            kwargs={"pk": ref("batch")},
            data={"column": "hukou_status", "label": "在册", "code": "1"},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("batch")}),
        post_only=True,
    ),
    # queued as a job: the upload's progress page follows it
    "sources:batch_reapply": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("sources:upload_progress")),
            kwargs={"pk": ref("batch")},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("batch")}),
        post_only=True,
    ),
    "sources:mapping_list": row(Case("page", GET, ONLY_CITY_STAFF)),
    "sources:column_mapping_delete": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("sources:mapping_list")),
            kwargs={"pk": ref("column_mapping")},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("column_mapping")}),
        post_only=True,
    ),
    "sources:code_mapping_delete": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("sources:mapping_list")),
            kwargs={"pk": ref("code_mapping")},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("code_mapping")}),
        post_only=True,
    ),
    # the review queue: city staff, clerks and read-only users of the area; no grid workers
    "sources:review_list": row(
        Case(
            "pending",
            GET,
            outcomes(
                403, clerk=SHOWN, street_clerk=SHOWN, viewer=SHOWN, outsider=CLEAN, city_staff=SHOWN
            ),
            markers=(("sources:review_detail", {"pk": ref("review_inside")}),),
        ),
        personal=True,
    ),
    "sources:review_detail": row(
        Case(
            "inside",
            GET,
            outcomes(403, clerk=200, street_clerk=200, viewer=200, outsider=404, city_staff=200),
            kwargs={"pk": ref("review_inside")},
        ),
        Case(
            "outside",
            GET,
            outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=200, city_staff=200),
            kwargs={"pk": ref("review_outside")},
        ),
        Case(
            "nonexistent",
            GET,
            outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404),
            kwargs={"pk": MISSING},
        ),
        Case(
            # an empty decision: the form again, for those who may decide; viewer read-only
            "inside, empty decision",
            POST,
            outcomes(403, clerk=200, street_clerk=200, outsider=404, city_staff=200),
            kwargs={"pk": ref("review_inside")},
        ),
        personal=True,
    ),
    # unresolved records (待核实): as the review queue, seen in the record's community
    "sources:unresolved_list": row(
        Case(
            "pending",
            GET,
            outcomes(
                403, clerk=SHOWN, street_clerk=SHOWN, viewer=SHOWN, outsider=CLEAN, city_staff=SHOWN
            ),
            markers=(("sources:unresolved_detail", {"pk": ref("unresolved_inside")}),),
        ),
        personal=True,
    ),
    "sources:unresolved_detail": row(
        Case(
            "inside",
            GET,
            outcomes(403, clerk=200, street_clerk=200, viewer=200, outsider=404, city_staff=200),
            kwargs={"pk": ref("unresolved_inside")},
        ),
        Case(
            "outside",
            GET,
            outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=200, city_staff=200),
            kwargs={"pk": ref("unresolved_outside")},
        ),
        Case(
            "nonexistent",
            GET,
            outcomes(403, clerk=404, street_clerk=404, viewer=404, outsider=404, city_staff=404),
            kwargs={"pk": MISSING},
        ),
        Case(
            # an empty decision: the form again, for those who may resolve; viewer read-only
            "inside, empty decision",
            POST,
            outcomes(403, clerk=200, street_clerk=200, outsider=404, city_staff=200),
            kwargs={"pk": ref("unresolved_inside")},
        ),
        personal=True,
    ),
    # ---- benefits (免申即享): city staff
    "benefits:policy_list": row(Case("page", GET, ONLY_CITY_STAFF)),
    "benefits:policy_detail": row(
        Case("policy", GET, ONLY_CITY_STAFF, kwargs={"code": POLICY}),
        Case("unknown policy", GET, outcomes(403, city_staff=404), kwargs={"code": "nope"}),
    ),
    "benefits:run_propose": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("benefits:run_detail")),
            kwargs={"code": POLICY},
        ),
        Case("unknown policy", POST, outcomes(403, city_staff=404), kwargs={"code": "nope"}),
        Case("get", GET, GET_IS_405, kwargs={"code": POLICY}),
        post_only=True,
    ),
    "benefits:run_detail": row(
        Case("proposed run", GET, ONLY_CITY_STAFF, kwargs={"pk": ref("run")}),
        Case("nonexistent", GET, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        personal=True,
    ),
    "benefits:run_approve": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("benefits:run_detail", pk=ref("run"))),
            kwargs={"pk": ref("run")},
        ),
        Case("nonexistent", POST, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("run")}),
        post_only=True,
    ),
    "benefits:run_reject": row(
        Case(
            "post",
            POST,
            outcomes(403, city_staff=to("benefits:run_detail", pk=ref("run"))),
            kwargs={"pk": ref("run")},
        ),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("run")}),
        post_only=True,
    ),
    "benefits:run_deliver": row(
        Case(
            "approved run",
            POST,
            outcomes(403, city_staff=to("benefits:run_detail", pk=ref("approved_run"))),
            kwargs={"pk": ref("approved_run")},
        ),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("approved_run")}),
        post_only=True,
    ),
    # ---- the benefit roll: the area's staff and read-only users; payment runs city staff
    "benefits:roll": row(
        Case("own area", GET, ROLL_LIST, markers=BENEFIT_MARKER),
        Case(
            "filtered", GET, ROLL_LIST, query={"kind": "employee_pension"}, markers=BENEFIT_MARKER
        ),
        personal=True,
    ),
    "benefits:benefit": row(
        Case("inside", GET, ROLL_INSIDE, kwargs=BENEFIT_INSIDE),
        Case("outside", GET, ROLL_OUTSIDE, kwargs={"pk": ref("benefit_outside")}),
        Case("nonexistent", GET, ROLL_MISSING, kwargs={"pk": MISSING}),
        personal=True,
    ),
    "benefits:benefit_stop": row(
        Case(
            "清泉社区's benefit",
            POST,
            ROLL_CHANGE,
            kwargs=BENEFIT_INSIDE,
            data={"reason": "本人申请停发"},
        ),
        Case("nonexistent", POST, ROLL_MISSING, kwargs={"pk": MISSING}, data={"reason": "x"}),
        Case("get", GET, GET_IS_405, kwargs=BENEFIT_INSIDE),
        post_only=True,
    ),
    "benefits:benefit_resume": row(
        # a paying benefit cannot be resumed: the action says so on the benefit's page
        Case(
            "清泉社区's benefit",
            POST,
            ROLL_CHANGE,
            kwargs=BENEFIT_INSIDE,
            data={"reason": "核实有误"},
        ),
        Case("get", GET, GET_IS_405, kwargs=BENEFIT_INSIDE),
        post_only=True,
    ),
    "benefits:certify": row(
        Case(
            "at a window",
            POST,
            ROLL_CHANGE,
            kwargs=BENEFIT_INSIDE,
            data={"on": "2026-11-20", "note": "本人到窗口"},
        ),
        Case("get", GET, GET_IS_405, kwargs=BENEFIT_INSIDE),
        post_only=True,
    ),
    "benefits:certifications": row(
        Case("own area", GET, ROLL_LIST, markers=BENEFIT_MARKER),
        Case(
            "overdue only",
            GET,
            outcomes(403, clerk=200, street_clerk=200, viewer=200, outsider=200, city_staff=200),
            query={"show": "overdue"},
        ),
        personal=True,
    ),
    "benefits:certify_silent": row(
        Case("post", POST, outcomes(403, city_staff=to("benefits:certifications"))),
        Case("get", GET, GET_IS_405),
        post_only=True,
    ),
    "benefits:certify_visits": row(
        Case("post", POST, outcomes(403, city_staff=to("benefits:certifications"))),
        Case("get", GET, GET_IS_405),
        post_only=True,
    ),
    "benefits:payroll": row(Case("page", GET, ONLY_CITY_STAFF)),
    "benefits:payroll_start": row(
        # the month already paid: straight to its run, nothing queued
        Case(
            "a done month",
            POST,
            outcomes(403, city_staff=to("benefits:payroll_run", pk=ref("payroll_run"))),
            data={"month": "2026-11"},
        ),
        Case(
            "a new month",
            POST,
            outcomes(403, city_staff=to("benefits:payroll")),
            data={"month": "2026-12"},
        ),
        Case("get", GET, GET_IS_405),
        post_only=True,
    ),
    # totals by benefit and district only: no person on the page
    "benefits:payroll_run": row(
        Case("done run", GET, ONLY_CITY_STAFF, kwargs=PAYROLL_RUN),
        Case("nonexistent", GET, outcomes(403, city_staff=404), kwargs={"pk": MISSING}),
    ),
    # the bank's file: full ID numbers and accounts, with a stated reason
    "benefits:payroll_file": row(
        Case(
            "csv",
            POST,
            outcomes(403, city_staff=200),
            kwargs=PAYROLL_RUN,
            data={"reason": "十一月养老金银行代发", "fmt": "csv"},
        ),
        Case(
            "filler reason",
            POST,
            outcomes(403, city_staff=to("benefits:payroll_run", pk=ref("payroll_run"))),
            kwargs=PAYROLL_RUN,
            data={"reason": "test", "fmt": "csv"},
        ),
        Case(
            "nonexistent",
            POST,
            outcomes(403, city_staff=404),
            kwargs={"pk": MISSING},
            data={"reason": "十一月养老金银行代发", "fmt": "csv"},
        ),
        Case("get", GET, GET_IS_405, kwargs=PAYROLL_RUN),
        personal=True,
        post_only=True,
    ),
    # ---- death handling (issue 14): the area's clerks and city staff, read-only users see
    "benefits:deaths": row(
        Case(
            "own area",
            GET,
            DEATHS_LIST,
            markers=(("benefits:death_case", CASE),),
        ),
        Case(
            "open only",
            GET,
            DEATHS_LIST,
            query={"status": "open"},
            markers=(("benefits:death_case", CASE),),
        ),
        personal=True,
        note="read-only users see the list without its collect button",
    ),
    "benefits:death_collect": row(
        Case("post", POST, outcomes(403, city_staff=to("benefits:deaths"))),
        Case("get", GET, GET_IS_405),
        post_only=True,
    ),
    "benefits:death_case": row(
        Case("清泉社区's case", GET, DEATHS_INSIDE, kwargs=CASE),
        Case("巴音赛's case", GET, DEATHS_OUTSIDE, kwargs={"pk": ref("death_case_outside")}),
        Case("nonexistent", GET, DEATHS_MISSING, kwargs={"pk": MISSING}),
        personal=True,
    ),
    "benefits:death_propose": row(
        Case(
            "open case",
            POST,
            deaths_step("benefits:death_case", "death_case"),
            kwargs=CASE,
            data={"death_date": "2026-03-31", "check_note": "电话联系家属，见到火化证明"},
        ),
        Case("nonexistent", POST, DEATHS_MISSING, kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs=CASE),
        personal=True,
        post_only=True,
    ),
    "benefits:death_approve": row(
        Case(
            "proposed case",
            POST,
            deaths_step("benefits:death_case", "death_case_proposed", approve=True),
            kwargs=PROPOSED_CASE,
        ),
        Case("get", GET, GET_IS_405, kwargs=PROPOSED_CASE),
        personal=True,
        post_only=True,
    ),
    "benefits:death_dismiss": row(
        Case(
            "open case",
            POST,
            deaths_step("benefits:death_case", "death_case"),
            kwargs=CASE,
            data={"reason": "本人到社区办理业务"},
        ),
        Case("get", GET, GET_IS_405, kwargs=CASE),
        personal=True,
        post_only=True,
    ),
    "benefits:death_revert": row(
        Case(
            "confirmed case",
            POST,
            deaths_step("benefits:death_case", "death_case_confirmed"),
            kwargs=CONFIRMED_CASE,
            data={"reason": "误报，本人在世"},
        ),
        Case("get", GET, GET_IS_405, kwargs=CONFIRMED_CASE),
        personal=True,
        post_only=True,
    ),
    "benefits:decisions": row(
        Case(
            "awaiting approval",
            GET,
            DEATHS_LIST,
            markers=(("benefits:recovery", RECOVERY),),
        ),
        personal=True,
        note="only city staff see the approve and reject buttons",
    ),
    "benefits:decision_approve": row(
        Case(
            "write-off",
            POST,
            outcomes(403, outsider=404, city_staff=to("benefits:decisions")),
            kwargs=DECISION,
        ),
        Case("nonexistent", POST, DEATHS_MISSING, kwargs={"pk": MISSING}),
        Case("get", GET, GET_IS_405, kwargs=DECISION),
        personal=True,
        post_only=True,
    ),
    "benefits:decision_reject": row(
        Case(
            "write-off",
            POST,
            outcomes(403, outsider=404, city_staff=to("benefits:decisions")),
            kwargs=DECISION,
            data={"reason": "家属有能力退还"},
        ),
        Case("get", GET, GET_IS_405, kwargs=DECISION),
        personal=True,
        post_only=True,
    ),
    "benefits:recoveries": row(
        Case("own area", GET, DEATHS_LIST, markers=(("benefits:recovery", RECOVERY),)),
        personal=True,
    ),
    "benefits:recovery": row(
        Case("清泉社区's recovery", GET, DEATHS_INSIDE, kwargs=RECOVERY),
        Case("nonexistent", GET, DEATHS_MISSING, kwargs={"pk": MISSING}),
        personal=True,
    ),
    "benefits:recovery_contact": row(
        Case(
            "post",
            POST,
            deaths_step("benefits:recovery", "recovery"),
            kwargs=RECOVERY,
            data={"note": "联系其子，同意退还"},
        ),
        Case("get", GET, GET_IS_405, kwargs=RECOVERY),
        personal=True,
        post_only=True,
    ),
    "benefits:recovery_instalments": row(
        Case(
            "post",
            POST,
            deaths_step("benefits:recovery", "recovery"),
            kwargs=RECOVERY,
            data={"count": "3"},
        ),
        Case("get", GET, GET_IS_405, kwargs=RECOVERY),
        personal=True,
        post_only=True,
    ),
    "benefits:recovery_receipt": row(
        Case(
            "post",
            POST,
            deaths_step("benefits:recovery", "recovery"),
            kwargs=RECOVERY,
            data={"amount": "100.00", "received_on": "2026-11-25"},
        ),
        Case("get", GET, GET_IS_405, kwargs=RECOVERY),
        personal=True,
        post_only=True,
    ),
    "benefits:recovery_write_off": row(
        Case(
            # a write-off is already proposed: refused with a message, back to the page
            "post",
            POST,
            deaths_step("benefits:recovery", "recovery"),
            kwargs=RECOVERY,
            data={"reason": "无遗产可追"},
        ),
        Case("get", GET, GET_IS_405, kwargs=RECOVERY),
        personal=True,
        post_only=True,
    ),
    # ---- grid work (网格): staffing by the clerks of the area
    "grid:posts": row(
        Case(
            "own area",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=CLEAN,
                city_staff=SHOWN,
            ),
            markers=(("geo:area_detail", {"code": GRID1}),),
        ),
        note="read-only users and city staff see the page without its forms",
    ),
    "grid:post_vacate": row(
        Case(
            "grid 1 of 清泉社区",
            POST,
            STAFFING,
            kwargs={"code": GRID1},
            data={"reason": "辞职"},
        ),
        Case("unknown grid", POST, outcomes(404), kwargs={"code": "150302001001999"}),
        Case("get", GET, GET_IS_405, kwargs={"code": GRID1}),
        post_only=True,
    ),
    "grid:post_assign": row(
        Case(
            "grid 1 of 清泉社区",
            POST,
            STAFFING,
            kwargs={"code": GRID1},
            data={"worker": "grid_worker"},
        ),
        Case("get", GET, GET_IS_405, kwargs={"code": GRID1}),
        post_only=True,
    ),
    # ---- grid tasks, for the clerks of the area (read-only users see the list)
    "grid:tasks": row(
        Case(
            "own area",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=CLEAN,
                city_staff=SHOWN,
            ),
            markers=INSIDE_PROFILE,
        ),
        personal=True,
        note="a grid worker's own tasks are on the phone pages",
    ),
    "grid:tasks_reassign": row(
        Case(
            "清泉社区's task, back to its grid",
            POST,
            outcomes(
                403,
                clerk=to("grid:tasks"),
                street_clerk=to("grid:tasks"),
                outsider=404,
                city_staff=to("grid:tasks"),
            ),
            data={"task": ref("task_inside")},
        ),
        Case("get", GET, GET_IS_405),
        post_only=True,
    ),
    "grid:task_cancel": row(
        Case(
            "清泉社区's task",
            POST,
            outcomes(
                403,
                clerk=to("grid:tasks"),
                street_clerk=to("grid:tasks"),
                outsider=404,
                city_staff=to("grid:tasks"),
            ),
            kwargs={"pk": ref("task_inside")},
            data={"reason": "居民已搬离"},
        ),
        Case("missing", POST, NOT_FOUND_TASK, kwargs={"pk": MISSING}, data={"reason": "x"}),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("task_inside")}),
        post_only=True,
    ),
    "grid:dispatch_list": row(
        Case(
            "清泉社区's snapshot",
            GET,
            outcomes(
                403,
                clerk=200,
                street_clerk=200,
                outsider=404,
                city_staff=200,
            ),
            kwargs={"pk": ref("snapshot")},
        ),
        personal=True,
    ),
    "grid:dispatch_person": row(
        Case(
            "a resident of 清泉社区",
            GET,
            outcomes(403, clerk=200, street_clerk=200, outsider=404, city_staff=200),
            kwargs=INSIDE,
        ),
        Case("another area's resident", GET, OUTSIDE_DISPATCH, kwargs=OUTSIDE),
        personal=True,
    ),
    # ---- the 网格通 phone pages: grid workers only, the tasks of the grids they hold; another
    # grid's task looks nonexistent. The service worker script holds no data: anyone.
    "grid:phone_tasks": row(
        Case(
            "my tasks",
            GET,
            outcomes(403, grid_worker=SHOWN),
            markers=(("grid:phone_task", {"pk": ref("task_inside")}),),
        ),
        personal=True,
    ),
    "grid:phone_task": row(
        Case(
            "grid 1's task", GET, outcomes(403, grid_worker=200), kwargs={"pk": ref("task_inside")}
        ),
        Case(
            "巴音赛's task", GET, outcomes(403, grid_worker=404), kwargs={"pk": ref("task_outside")}
        ),
        Case("nonexistent", GET, outcomes(403, grid_worker=404), kwargs={"pk": MISSING}),
        Case(
            "submit",
            POST,
            outcomes(403, grid_worker=to("grid:phone_task", pk=ref("task_inside"))),
            kwargs={"pk": ref("task_inside")},
            data={"key": "0b7e6a52-3c1d-4f5e-9a8b-7c6d5e4f3a2b", "phone": "13800000000"},
        ),
        Case(
            "submit to 巴音赛's",
            POST,
            outcomes(403, grid_worker=404),
            kwargs={"pk": ref("task_outside")},
            data={"key": "1c8f7b63-4d2e-4a6f-8b9c-8d7e6f5a4b3c", "phone": "13800000000"},
        ),
        personal=True,
    ),
    "grid:phone_sw": row(Case("script", GET, outcomes(200, anonymous=200))),
    # ---- a grid worker's device tokens (the API's credentials): the worker and the clerks of
    # the worker's area; another area's worker, or an account that is none, looks nonexistent
    "grid:devices": row(
        Case(
            "workers of the area",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                outsider=CLEAN,
                grid_worker=to("grid:device_list", pk=ref("grid_worker")),
            ),
            markers=(("grid:device_list", {"pk": ref("grid_worker")}),),
        ),
        note="a grid worker goes to their own devices",
    ),
    "grid:device_list": row(
        Case(
            "清泉 1's worker",
            GET,
            outcomes(403, clerk=200, street_clerk=200, outsider=404, grid_worker=200),
            kwargs={"pk": ref("grid_worker")},
        ),
        Case(
            "not a grid worker",
            GET,
            outcomes(403, clerk=404, street_clerk=404, outsider=404, grid_worker=404),
            kwargs=USER,
        ),
    ),
    "grid:device_issue": row(
        Case(
            "清泉 1's worker",
            POST,
            outcomes(403, clerk=200, street_clerk=200, outsider=404, grid_worker=200),
            kwargs={"pk": ref("grid_worker")},
            data={"name": "备用手机"},
        ),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("grid_worker")}),
        post_only=True,
        note="the answer page shows the new token once",
    ),
    "grid:device_revoke": row(
        Case(
            "清泉 1's worker's phone",
            POST,
            outcomes(
                403,
                clerk=to("grid:device_list", pk=ref("grid_worker")),
                street_clerk=to("grid:device_list", pk=ref("grid_worker")),
                outsider=404,
                grid_worker=to("grid:device_list", pk=ref("grid_worker")),
            ),
            kwargs={"pk": ref("grid_worker"), "device": ref("device")},
        ),
        Case(
            "nonexistent",
            POST,
            outcomes(403, clerk=404, street_clerk=404, outsider=404, grid_worker=404),
            kwargs={"pk": ref("grid_worker"), "device": MISSING},
        ),
        Case("get", GET, GET_IS_405, kwargs={"pk": ref("grid_worker"), "device": ref("device")}),
        post_only=True,
    ),
    # ---- the grid API (/api/grid/): its only credential is a device token, so every
    # operation answers a session (or nobody) 401. What token holders get (the worker's own
    # token, another grid's worker's, a revoked one, none) is the API's own matrix,
    # minsheng/grid/tests/test_api_scope.py. The OpenAPI document and docs page are public.
    "grid-api:openapi-json": row(Case("document", GET, outcomes(200, anonymous=200))),
    "grid-api:openapi-view": row(Case("docs page", GET, outcomes(200, anonymous=200))),
    "grid-api:api-root": row(Case("nothing there", GET, outcomes(404, anonymous=404))),
    "grid-api:me": row(Case("session", GET, outcomes(401, anonymous=401))),
    "grid-api:tasks": row(Case("session", GET, outcomes(401, anonymous=401))),
    "grid-api:task": row(
        Case(
            "grid 1's task",
            GET,
            outcomes(401, anonymous=401),
            kwargs={"task_id": ref("task_inside")},
        )
    ),
    "grid-api:task_result": row(
        Case(
            "grid 1's task",
            POST,
            outcomes(401, anonymous=401),
            kwargs={"task_id": ref("task_inside")},
            data={"phone": "13800000000"},
        ),
        Case("get", GET, outcomes(405, anonymous=405), kwargs={"task_id": ref("task_inside")}),
        post_only=True,
    ),
    "healthz": row(Case("ok", GET, outcomes(200, anonymous=200))),
    # ---- grid supervision (网格督导): counts and scores, no personal data; the supervision
    # centre and city staff read the city, clerks and read-only users their area; grid
    # workers and the administrators are refused
    "grid:supervision": row(
        Case(
            "own area",
            GET,
            outcomes(
                403,
                clerk=200,
                street_clerk=200,
                viewer=200,
                outsider=200,
                city_staff=200,
                supervision=200,
            ),
        )
    ),
    "grid:supervision_area": row(
        Case("清泉社区", GET, SUPERVISED_QINGQUAN, kwargs={"code": QINGQUAN}),
        Case("unknown area", GET, SUPERVISED_MISSING, kwargs={"code": "150302001999"}),
    ),
    "grid:supervision_workers": row(
        Case("清泉社区", GET, SUPERVISED_QINGQUAN, kwargs={"code": QINGQUAN}),
    ),
    "grid:supervision_export": row(
        Case("清泉社区", GET, SUPERVISED_QINGQUAN, kwargs={"code": QINGQUAN}),
    ),
    "grid:supervision_worker": row(
        Case("grid 1's worker", GET, SUPERVISED_QINGQUAN, kwargs={"username": "grid_worker"}),
        Case("not a grid worker", GET, SUPERVISED_MISSING, kwargs={"username": "clerk"}),
    ),
    # ---- smart doorplate (智慧门牌): a house's QR code opens the community's public guide
    # for anyone, signed in or not; the grid worker holding the house's grid gets the house
    # (its residents, masked: the phone pages' back link is the marker). A token nobody has
    # is a plain 404. The label sheets are for the clerks of the area.
    "grid:doorplate": row(
        Case(
            "清泉 grid 1's house",
            GET,
            outcomes(CLEAN, anonymous=CLEAN, grid_worker=SHOWN),
            kwargs={"token": ref("doorplate")},
            markers=(("grid:phone_tasks", {}),),
        ),
        Case("unknown token", GET, outcomes(404, anonymous=404), kwargs={"token": "x" * 24}),
        note="public; personal data only for the worker holding the house's grid",
    ),
    "grid:doorplate_update": row(
        Case(
            "no resident named",
            POST,
            outcomes(403, grid_worker=400),
            kwargs={"token": ref("doorplate")},
        ),
        Case("unknown token", POST, outcomes(403, grid_worker=404), kwargs={"token": "x" * 24}),
        Case("get", GET, GET_IS_405, kwargs={"token": ref("doorplate")}),
        post_only=True,
    ),
    "grid:doorplate_sheets": row(
        Case(
            "own area",
            GET,
            outcomes(403, clerk=SHOWN, street_clerk=SHOWN, outsider=CLEAN),
            markers=(("grid:doorplate_community", {"code": QINGQUAN}),),
        )
    ),
    "grid:doorplate_community": row(
        Case("清泉社区", GET, DOORPLATE_LABELS, kwargs={"code": QINGQUAN}),
        Case("unknown", GET, DOORPLATE_MISSING, kwargs={"code": "150302001999"}),
    ),
    "grid:doorplate_community_pdf": row(
        Case("清泉社区", GET, DOORPLATE_LABELS, kwargs={"code": QINGQUAN}),
        Case("unknown", GET, DOORPLATE_MISSING, kwargs={"code": "150302001999"}),
    ),
    "grid:doorplate_building_pdf": row(
        Case(
            "清泉 grid 1's building",
            GET,
            DOORPLATE_LABELS,
            kwargs={"code": ref("doorplate_building")},
        ),
        Case("unknown", GET, DOORPLATE_MISSING, kwargs={"code": "15030200100100199"}),
    ),
    # ---- screening (精准服务)
    "screening:index": row(
        Case("own area", GET, OWN_AREA),
        personal=True,
        note="takes no area: everyone sees counts of their own area only",
    ),
    "screening:theme": row(
        Case("own area", GET, OWN_AREA, kwargs={"theme": THEME}),
        Case(
            "area=清泉社区", GET, QINGQUAN_AREA, kwargs={"theme": THEME}, query={"area": QINGQUAN}
        ),
        Case("unknown theme", GET, NOT_FOUND, kwargs={"theme": "nope"}),
        personal=True,
    ),
    "screening:list": row(
        Case(
            "own area",
            GET,
            INSIDE_LIST,
            kwargs={"theme": THEME, "code": LIST},
            markers=INSIDE_PROFILE,
        ),
        Case(
            "area=清泉社区",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=404,
                grid_worker=404,
                city_staff=SHOWN,
            ),
            kwargs={"theme": THEME, "code": LIST},
            query={"area": QINGQUAN},
            markers=INSIDE_PROFILE,
        ),
        Case("unknown list", GET, NOT_FOUND, kwargs={"theme": THEME, "code": "nope"}),
        personal=True,
    ),
    "screening:export": row(
        Case("own area", GET, OWN_AREA, kwargs={"theme": THEME, "code": LIST}),
        Case(
            "area=清泉社区",
            GET,
            QINGQUAN_AREA,
            kwargs={"theme": THEME, "code": LIST},
            query={"area": QINGQUAN},
        ),
        personal=True,
    ),
    "screening:save": row(
        Case(
            "area=清泉社区",
            POST,
            outcomes(
                403,
                clerk=to("screening:snapshot"),
                street_clerk=to("screening:snapshot"),
                outsider=404,
                grid_worker=404,
                city_staff=to("screening:snapshot"),
            ),
            kwargs={"theme": THEME, "code": LIST},
            data={"area": QINGQUAN},
        ),
        Case("get", GET, GET_IS_405, kwargs={"theme": THEME, "code": LIST}),
        personal=True,
        post_only=True,
    ),
    "screening:snapshots": row(
        Case(
            "saved lists",
            GET,
            outcomes(
                403,
                clerk=SHOWN,
                street_clerk=SHOWN,
                viewer=SHOWN,
                outsider=CLEAN,
                grid_worker=CLEAN,
                city_staff=SHOWN,
            ),
            markers=(("screening:snapshot", {"pk": ref("snapshot")}),),
        ),
        personal=True,
    ),
    "screening:snapshot": row(
        Case("清泉社区's snapshot", GET, QINGQUAN_AREA, kwargs={"pk": ref("snapshot")}),
        Case("nonexistent", GET, NOT_FOUND, kwargs={"pk": MISSING}),
        personal=True,
    ),
}

# Patterns that are not the project's own pages, skipped by name or by route prefix.
SKIPPED_NAMES = {"set_language": "Django's i18n/setlang/ (django.conf.urls.i18n)"}
SKIPPED_PREFIXES = ("static/", "media/")


# -- enumerating the URL patterns -----------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the full route string, e.g. "archive/residents/<int:person_id>/"
    name: str | None  # "namespace:name", None for an unnamed pattern


def walk(patterns, prefix: str = "", namespace: str | None = None):
    """Every URLPattern below `patterns`, with its full route and namespaced name."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield Route(prefix + str(p.pattern), name)


def project_routes(resolver=None) -> list[Route]:
    resolver = resolver or get_resolver()
    return [
        r
        for r in walk(resolver.url_patterns)
        if r.name not in SKIPPED_NAMES and not r.route.startswith(SKIPPED_PREFIXES)
    ]


def coverage_problems(resolver=None, table=None) -> list[str]:
    """Patterns without a row, and rows without a pattern, one sentence each."""
    table = TABLE if table is None else table
    routes = project_routes(resolver)
    names = {r.name for r in routes}
    problems = [
        f"URL pattern {r.route!r} has no name, so it cannot have a row in TABLE"
        for r in routes
        if r.name is None
    ]
    problems += [
        f"URL pattern {r.name!r} ({r.route!r}) has no row in TABLE: add its expected outcomes"
        for r in routes
        if r.name is not None and r.name not in table
    ]
    problems += [f"TABLE row {n!r} matches no URL pattern" for n in table if n not in names]
    return problems


def test_every_url_pattern_has_a_row():
    problems = coverage_problems()
    assert not problems, "\n".join(problems)


def test_a_pattern_without_a_row_is_named():
    # given the project's patterns plus a new page and a new app, without rows in the table
    from django.urls import include, path
    from django.urls.resolvers import RoutePattern

    def view(request):  # pragma: no cover - never called
        raise AssertionError

    extra = [
        *get_resolver().url_patterns,
        path("reports/", view, name="reports"),
        path("grid/", include(([path("tasks/<int:pk>/", view, name="task")], "grid"))),
        path("static/app.css", view, name="static_file"),
    ]
    resolver = URLResolver(RoutePattern(""), extra)

    # when the coverage is checked
    problems = coverage_problems(resolver)

    # then the two new pages are named, with their full routes, and static is skipped
    assert (
        "URL pattern 'reports' ('reports/') has no row in TABLE: add its expected outcomes"
        in problems
    )
    assert (
        "URL pattern 'grid:task' ('grid/tasks/<int:pk>/') has no row in TABLE: "
        "add its expected outcomes" in problems
    )
    assert not [p for p in problems if "static" in p]
    # and the same check over the project's own patterns is what
    # test_every_url_pattern_has_a_row asserts to be empty
    assert len(problems) == len(coverage_problems()) + 2


def test_the_enumeration_builds_full_routes_and_namespaced_names():
    routes = {r.name: r.route for r in project_routes()}
    history = routes["residents:item_history"]
    assert history.startswith("archive/residents/<") and history.endswith("/item/<str:code>/")
    assert routes["home"] == ""
    assert "set_language" not in routes


def test_every_personal_data_row_refuses_the_outsider_and_the_administrators():
    problems = []
    for name, r in TABLE.items():
        if not r.personal:
            continue
        refused = {403, 404, CLEAN}
        if not r.note and not any(c.expect["outsider"] in refused for c in r.cases):
            problems.append(f"{name}: no case where the outsider is refused")
        for c in r.cases:
            for actor in NO_PERSONAL_DATA:
                if c.expect[actor] not in (403, 405):
                    problems.append(f"{name}[{c.label}] {actor}: personal data not refused")
    assert not problems, "\n".join(problems)


def test_every_post_only_action_answers_405_to_get():
    problems = []
    for name, r in TABLE.items():
        gets = [c for c in r.cases if c.method == GET]
        if r.post_only and not any(
            405 in c.expect.values() and 200 not in c.expect.values() for c in gets
        ):
            problems.append(f"{name}: POST-only, but no GET case expecting 405")
        if not r.post_only and not gets:
            problems.append(f"{name}: no GET case (mark it post_only=True if it is an action)")
    assert not problems, "\n".join(problems)


# -- the world the URLs point at ------------------------------------------------------------


def build_world(areas, cast, crypto) -> dict[str, Any]:
    """The objects the table's URLs name: a resident inside 清泉社区 and one in 巴音赛街道
    (both graduates not in work, with a fact row each), a batch with a quarantined row and
    its file kept, a saved column and code mapping, a review item per area, a proposed and
    an approved 免申即享 run, a snapshot of 清泉社区, an upload of city staff in progress and
    an account to administer."""
    from minsheng.benefits import actions as benefit_actions
    from minsheng.benefits import policies
    from minsheng.residents.models import Resident
    from minsheng.residents.tests.conftest import LOADED, id_number, make_batch, make_person
    from minsheng.screening import catalog
    from minsheng.screening.actions import do_save_target_list
    from minsheng.sources import progress
    from minsheng.sources.models import (
        CodeMapping,
        ColumnMapping,
        LinkReview,
        QuarantinedRow,
        ReviewKind,
        UnresolvedRecord,
        fact_model,
    )

    grids = areas["grids"]
    hukou = make_batch("gongan_hukou", "20260110")
    inside_id = id_number("15030219900101123")
    outside_id = id_number("15030419700505301")
    inside, _ = make_person(
        crypto, hukou, inside_id, "张三丰", "1", date(1990, 1, 1), grids["qingquan1"]
    )
    outside, _ = make_person(
        crypto, hukou, outside_id, "李四", "1", date(1970, 5, 5), grids["bayinsai1"]
    )
    # both on the graduates-not-in-work list
    Resident.objects.filter(person__in=[inside, outside]).update(
        education_recent_graduate=True, employment_status="3"
    )
    for n, (person, number, name) in enumerate(
        [(inside, inside_id, "张三丰"), (outside, outside_id, "李四")], start=2
    ):
        fact_model("gongan_hukou").objects.create(
            batch=hukou,
            row=n,
            loaded_at=LOADED,
            person=person,
            link_method="exact",
            id_number_enc=crypto.encrypt(number),
            id_number_hash=crypto.blind_index(number),
            name=name,
            sex="1",
        )
    from minsheng.residents.models import Conflict

    for person in (inside, outside):
        Conflict.objects.create(
            resident_id=person.pk,
            item="identity.death_date",
            kind="values_differ",
            facts=[
                {
                    "role": "value",
                    "source": s,
                    "batch": hukou.pk,
                    "file": hukou.file_name,
                    "row": n,
                    "value": v,
                    "reported": None,
                    "what": None,
                    "item": "identity.death_date",
                }
                for n, (s, v) in enumerate(
                    [("wj_death", "2026-03-13"), ("gongan_death", "2026-03-14")], start=2
                )
            ],
            shown="2026-03-13",
            detected_at=LOADED,
        )
    QuarantinedRow.objects.create(
        batch=hukou,
        row=9,
        column="id_number",
        raw_value_enc=crypto.encrypt("15030219900101123Y"),
        reason_code="no_identifying_data",
        reason="id_number: no_identifying_data",
    )

    kept = Path(settings.VAR_DIR) / "uploads" / "kept" / hukou.file_name
    kept.parent.mkdir(parents=True)
    kept.write_text("姓名\n张三丰\n", encoding="utf-8")
    hukou.stored_path = str(kept)
    hukou.save(update_fields=["stored_path"])
    column_mapping = ColumnMapping.objects.create(source="gongan_hukou", header="备注", column="")
    code_mapping = CodeMapping.objects.create(
        source="gongan_hukou", column="hukou_status", label="在册", code="1"
    )

    employment = make_batch("rs_employment", "20260301")
    reviews = {}
    for row_no, (key, person, number, name) in enumerate(
        [("inside", inside, inside_id, "张三风"), ("outside", outside, outside_id, "李思")],
        start=4,
    ):
        fact = fact_model("rs_employment").objects.create(
            batch=employment,
            row=row_no,
            loaded_at=LOADED,
            person=None,
            link_method="review",
            match_weight=8.5,
            id_number_enc=crypto.encrypt(number),
            id_number_hash=crypto.blind_index(number),
            name=name,
        )
        reviews[key] = LinkReview.objects.create(
            batch=employment,
            source="rs_employment",
            row=row_no,
            fact_id=fact.pk,
            kind=ReviewKind.PROBABLE,
            candidate=person,
            match_weight=8.5,
        )

    unresolved = {
        key: UnresolvedRecord.objects.create(
            batch=employment,
            source="rs_employment",
            group_key=row_no,
            rows=[
                [
                    row_no,
                    fact_model("rs_employment")
                    .objects.create(
                        batch=employment,
                        row=row_no,
                        loaded_at=LOADED,
                        person=None,
                        link_method="unresolved",
                        name=name,
                    )
                    .pk,
                ]
            ],
            area=area,
        )
        for row_no, key, name, area in [
            (6, "inside", "周芷若", areas["qingquan"]),
            (7, "outside", "王五", areas["bayinsai_community"]),
        ]
    }

    # every grid has its post: the grid worker holds 清泉社区第1网格 and covers the others
    # of 新华街道; 巴音赛's grid stays uncovered
    from minsheng.grid.actions import do_staff_grids

    do_staff_grids([{"grid_code": g.code, "worker_name": ""} for g in grids.values()])
    # an information-update task for each resident (the phone pages)
    from minsheng.grid.actions import do_create_task
    from minsheng.grid.models import GridTask

    for person in (inside, outside):
        do_create_task(person.pk, kind="info_update", reason="矩阵", acting_user=cast["city_staff"])
    phone_tasks = dict(
        GridTask.objects.filter(person__in=[inside, outside], kind="info_update").values_list(
            "person_id", "pk"
        )
    )

    # one of the grid worker's phones (the device pages)
    from minsheng.grid.actions import do_issue_device_token

    device, _token = do_issue_device_token(
        cast["grid_worker"], name="矩阵手机", acting_user=cast["grid_worker"]
    )

    proposer = make_user("city_staff2", Role.CITY_EMPLOYMENT, Area.objects.get(code=CITY))
    policy = policies.policy(POLICY)
    run = benefit_actions.do_propose_policy_run(policy, acting_user=proposer)
    approved = benefit_actions.do_propose_policy_run(policy, acting_user=proposer)
    benefit_actions.do_approve_policy_run(approved, acting_user=cast["city_staff"])

    theme = catalog.theme(THEME)
    snapshot = do_save_target_list(
        theme, theme.list(LIST), area=areas["qingquan"], acting_user=cast["clerk"]
    )

    other_token = progress.new_token()  # another city staff member's upload
    progress.start(other_token, user_id=proposer.pk, file_name="x.csv", source="")
    token = progress.new_token()
    progress.start(
        token,
        user_id=cast["city_staff"].pk,
        file_name="gongan_hukou_20260110.csv",
        source="gongan_hukou",
    )
    # ---- the benefit roll (issue 14)
    # the benefit roll: an employee pension each for the two residents, certified on
    # 2025-12-15 (due 2026-12-15: on the certification list from mid-October 2026 on, and
    # overdue later), and the payment run of 2026-11, done
    from minsheng.benefits.actions.roll import do_run_payroll
    from minsheng.benefits.models import Benefit
    from minsheng.lib.benefit_rules import month_index
    from minsheng.residents.models import Resident

    now = timezone.now()
    on_roll = {}
    for key, person in (("inside", inside), ("outside", outside)):
        archive_row = Resident.objects.get(person=person)
        on_roll[key] = Benefit.objects.create(
            person=person,
            kind="employee_pension",
            reference="1",
            monthly_amount=Decimal("3000.00"),
            start_month=month_index(date(2020, 1, 1)),
            certified_on=date(2025, 12, 15),
            source="matrix",
            created_at=now,
            updated_at=now,
            **{
                f: getattr(archive_row, f)
                for f in ("district_code", "town_code", "community_code", "grid_code")
            },
        )
    payroll = do_run_payroll(month_index(date(2026, 11, 1)), acting_user=cast["city_staff"])
    deaths = death_world(areas, cast, crypto, hukou, proposer)
    return {
        "inside": inside.pk,
        "outside": outside.pk,
        "inside_id_number": inside_id,
        "bayinsai_community": areas["bayinsai_community"].code,
        "batch": hukou.pk,
        "column_mapping": column_mapping.pk,
        "code_mapping": code_mapping.pk,
        "review_inside": reviews["inside"].pk,
        "review_outside": reviews["outside"].pk,
        "unresolved_inside": unresolved["inside"].pk,
        "unresolved_outside": unresolved["outside"].pk,
        "run": run.pk,
        "approved_run": approved.pk,
        "snapshot": snapshot.pk,
        "token": token,
        "other_token": other_token,
        "user": cast["clerk"].pk,
        # the doorplate of 清泉 grid 1's house and its building
        "doorplate": areas["houses"]["qingquan1"].doorplate_token,
        "doorplate_building": areas["houses"]["qingquan1"].building.code,
        "task_inside": phone_tasks[inside.pk],
        "task_outside": phone_tasks[outside.pk],
        # the grid worker and one of their phones (the device pages)
        "grid_worker": cast["grid_worker"].pk,
        "device": device.pk,
        "benefit_inside": on_roll["inside"].pk,
        "benefit_outside": on_roll["outside"].pk,
        "payroll_run": payroll.pk,
        **deaths,
    }


def death_world(areas, cast, crypto, hukou, proposer) -> dict:
    """Three pensioners of 清泉社区 grid 1 with a death case each (open with a 公安 signal;
    proposed by the clerk; confirmed by the clerk and city_staff2, with its recovery and a
    write-off the clerk proposed), and one of 巴音赛 with an open case."""
    from minsheng.benefits.actions import deaths as death_actions
    from minsheng.benefits.models import DeathSignal, Recovery
    from minsheng.benefits.tests.roll_world import m, on_roll, signal_case
    from minsheng.residents.tests.conftest import id_number, make_person

    grids = areas["grids"]
    made = {}
    for key, body, name, grid in [
        ("open", "15030219400101111", "赵大爷", "qingquan1"),
        ("proposed", "15030219400202222", "钱大爷", "qingquan1"),
        ("confirmed", "15030219400303333", "孙大爷", "qingquan1"),
        ("outside", "15030419400404444", "周大爷", "bayinsai1"),
    ]:
        person, _ = make_person(
            crypto, hukou, id_number(body), name, "1", date(1940, 1, 1), grids[grid]
        )
        on_roll(person, opening_through=m(2026, 10))
        made[key] = signal_case(person, DeathSignal.Source.GONGAN)
    clerk = cast["clerk"]
    for key in ("proposed", "confirmed"):
        death_actions.do_propose_death(
            made[key], death_date=date(2026, 3, 31), check_note="见到火化证明", acting_user=clerk
        )
    death_actions.do_approve_death(made["confirmed"], acting_user=proposer)  # city_staff2
    recovery = Recovery.objects.get(case=made["confirmed"])
    decision = death_actions.do_propose_write_off(recovery, reason="无遗产", acting_user=clerk)
    return {
        "death_case": made["open"].pk,
        "death_case_proposed": made["proposed"].pk,
        "death_case_confirmed": made["confirmed"].pk,
        "death_case_outside": made["outside"].pk,
        "recovery": recovery.pk,
        "decision": decision.pk,
    }


# -- running the cells ----------------------------------------------------------------------


def resolve_value(value, world):
    if isinstance(value, Ref):
        return world[value.attr] if world is not None else f"<{value.attr}>"
    return value


def resolve_all(values: dict, world) -> dict:
    return {k: resolve_value(v, world) for k, v in values.items()}


def session_of(user) -> str | None:
    """A signed-in session for `user` (administrators with their second factor passed, as
    the root conftest's `login` does), made once, outside the cells' savepoints."""
    if user is None:
        return None
    client = Client()
    client.force_login(user)
    if user.is_admin_role:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "test"}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def observed(response, markers: list[str]) -> str:
    """The response as an outcome of the table's vocabulary."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"]).path
        try:
            match = resolve(location)
        except Resolver404:
            return f"{status}→{response['Location']}"
        if match.view_name == "accounts:login":
            return LOGIN if status == 302 else f"{status}→login"
        args = ",".join(f"{k}={v}" for k, v in sorted(match.kwargs.items()))
        return f"{status}→{match.view_name}" + (f"({args})" if args else "")
    if status >= 500:
        exc = getattr(response, "exc_info", None)
        return f"{status} ({exc[0].__name__}: {exc[1]})" if exc else str(status)
    if status == 200 and markers:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        body = body.decode("utf-8", "replace")
        present = [m in body for m in markers]
        return SHOWN if all(present) else CLEAN if not any(present) else "200 (partly shown)"
    return str(status)


def expected(outcome, world) -> str:
    if isinstance(outcome, To):
        return outcome.describe(world)
    return str(outcome)


def agrees(outcome, got: str, world) -> bool:
    want = expected(outcome, world)
    if isinstance(outcome, To) and not outcome.kwargs:
        # a redirect to a new object: the pattern matters, its id cannot be known before
        return got == want or got.startswith(want + "(")
    return got == want


def run_cell(case: Case, url: str, session: str | None, markers: list[str], world) -> str:
    """One request from a fresh client in a savepoint rolled back afterwards: no cell sees
    another's changes (an approved run, a deactivated account, a logout, a reveal)."""
    with transaction.atomic():
        client = Client(raise_request_exception=False)
        if session is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = session
        if case.method == GET:
            response = client.get(url, resolve_all(case.query, world))
        else:
            response = client.post(url, resolve_all(case.data, world))
        got = observed(response, markers)
        transaction.set_rollback(True)
    return got


def test_access_matrix(areas, cast, crypto, settings, tmp_path):
    """Every case of every row for every actor; one failure lists every mismatching cell."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    world = build_world(areas, cast, crypto)
    sessions = {actor: session_of(cast.get(actor)) for actor in ACTORS}
    mismatches, cells = [], 0
    for name, entry in TABLE.items():
        for case in entry.cases:
            url = reverse(name, kwargs=resolve_all(case.kwargs, world))
            markers = [
                f'href="{reverse(n, kwargs=resolve_all(kw, world))}"' for n, kw in case.markers
            ]
            for actor in ACTORS:
                want = case.expect[actor]
                got = run_cell(case, url, sessions[actor], markers, world)
                cells += 1
                if not agrees(want, got, world):
                    mismatches.append(
                        f"{name}[{case.label}] {actor}: expected {expected(want, world)} got {got}"
                    )
    assert cells == CELLS
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


CELLS = sum(len(entry.cases) for entry in TABLE.values()) * len(ACTORS)


def test_the_matrix_has_a_case_for_every_pattern_and_actor():
    assert len(project_routes()) * len(ACTORS) <= CELLS
    assert all(set(c.expect) == set(ACTORS) for entry in TABLE.values() for c in entry.cases)
