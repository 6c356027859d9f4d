"""The doors to the supervision centre's pages (网格督导).

The pages show counts and scores only: no resident's name, ID or address ever, and of the
staff only the grid workers' display names. Who reads them:

- the supervision centre (市域社会治理指挥中心), their main user: the whole city;
- city bureau staff: the whole city;
- district, street and community clerks and read-only users: their own area.

Grid workers (their colleagues' scores are not theirs to see) and the three administrators
(no business data) are refused (403). An area or a worker outside the user's area, or one
that does not exist, is a 404. Every refusal is audited.
"""

from __future__ import annotations

from minsheng.accounts.models import User
from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny
from minsheng.geo.models import Area

READERS = CITY_STAFF | {
    Role.SUPERVISION,
    Role.DISTRICT_CLERK,
    Role.STREET_CLERK,
    Role.COMMUNITY_CLERK,
    Role.VIEWER,
}


def may_supervise(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in READERS
        and user.area is not None
    )


def _require_reader(request, object_type: str, object_id: str = "") -> None:
    if not may_supervise(request.user):
        deny(request, object_type, object_id)


def get_area_for_user(request, code: str | None) -> Area:
    """The area whose figures the user may read (their own when `code` is None), with its
    ancestors up to the city in the same query."""
    _require_reader(request, "grid_supervision", code or "")
    user = request.user
    if code is None:
        code = user.area.code
    area = Area.objects.select_related("parent__parent__parent__parent").filter(code=code).first()
    if area is None or not user.area.contains(area):
        deny(request, "grid_supervision", code, not_found=True)
    return area


def get_worker_for_user(request, username: str) -> User:
    """A grid worker whose own grid lies in the user's area."""
    _require_reader(request, "grid_supervision_worker", username)
    worker = (
        User.objects.select_related("area__parent__parent__parent__parent")
        .filter(username=username, role=Role.GRID_WORKER)
        .first()
    )
    if worker is None or worker.area is None or not request.user.area.contains(worker.area):
        deny(request, "grid_supervision_worker", username, not_found=True)
    return worker


def may_open_worker(user, worker_area: Area | None) -> bool:
    """Whether a worker row links to the worker's page (their grid is in the user's area)."""
    return worker_area is not None and user.area.contains(worker_area)
