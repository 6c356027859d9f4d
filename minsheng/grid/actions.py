"""The writes of grid work, each in one transaction with one audit event.

`do_staff_grids` provisions the city's grid posts and grid-worker accounts from the roster
(the `grids.csv` of a city directory: grid, worker's name and phone; no name = vacant);
`do_vacate_post` records that a worker left and who covers the grid; `do_assign_post` gives
a grid its new worker. Open work stays with the grid (see models), so each of these moves
it with the post.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.geo.models import Area

from .models import GridPost

CLERKS = frozenset({Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK})


def may_staff(user, grid: Area) -> bool:
    """District, street and community clerks staff the grids of their area."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in CLERKS
        and user.area is not None
        and user.area.contains(grid)
    )


def _require_staffing(user, grid: Area) -> None:
    if not may_staff(user, grid):
        raise PermissionDenied(_("Only a clerk of the grid's area may staff it."))


def worker_username(grid_code: str) -> str:
    return f"wg{grid_code}"


def _nearest_cover(grid: Area, staffed: dict[str, User]) -> User | None:
    """The worker of the staffed grid nearest to a vacant one: in its community first (the
    closest grid number), then in its street."""
    for prefix in (grid.community_code, grid.town_code):
        near = [code for code in staffed if code.startswith(prefix)]
        if near:
            best = min(near, key=lambda code: (abs(int(code) - int(grid.code)), code))
            return staffed[best]
    return None


def do_staff_grids(roster: Iterable[dict], *, acting_user=None) -> dict[str, int]:
    """Create the posts of the roster's grids and an account for each named worker of a grid
    that has none yet; cover each vacant grid by its nearest staffed neighbour. Accounts get
    no usable password: the security administrator issues one when the worker starts (the
    roster is not a credential). Safe to run again: what exists is kept."""
    roster = [r for r in roster if r.get("grid_code")]
    grids = {
        a.code: a
        for a in Area.objects.filter(level="grid", code__in=[r["grid_code"] for r in roster])
    }
    missing = sorted({r["grid_code"] for r in roster} - set(grids))
    if missing:
        raise ValidationError(
            _("The roster names grids that are not loaded: %(codes)s")
            % {"codes": ", ".join(missing[:10])}
        )
    now = timezone.now()
    with transaction.atomic():
        posts = {p.grid.code: p for p in GridPost.objects.select_related("grid", "worker", "cover")}
        new_posts = [
            GridPost(grid=grids[code], changed_at=now)
            for code in sorted(grids)
            if code not in posts
        ]
        GridPost.objects.bulk_create(new_posts)
        posts.update({p.grid.code: p for p in new_posts})
        # a grid that already has a grid-worker account keeps it (made by the security
        # administrator or an earlier run); the roster's name makes one for the others. A
        # post nobody holds gets its grid's account; a covered one keeps its cover until a
        # clerk hands the grid over (do_assign_post).
        held = {}
        for user in (
            User.objects.filter(
                role=Role.GRID_WORKER, is_active=True, area__in=list(grids.values())
            )
            .select_related("area")
            .order_by("pk")
        ):
            held.setdefault(user.area.code, user)
        accounts = []
        for r in roster:
            name = (r.get("worker_name") or "").strip()
            code = r["grid_code"]
            if not name or code in held or posts[code].worker_id is not None:
                continue
            user = User(
                username=worker_username(code),
                staff_no=f"WG{code}",
                role=Role.GRID_WORKER,
                area=grids[code],
                display_name=name,
                phone=(r.get("worker_phone") or "").strip(),
                must_change_password=True,
                password_changed_at=now,
            )
            user.set_unusable_password()
            accounts.append(user)
        User.objects.bulk_create(accounts)
        for user in User.objects.filter(username__in=[u.username for u in accounts]).select_related(
            "area"
        ):
            held[user.area.code] = user
        changed = []
        for code, post in posts.items():
            if post.worker_id is None and post.cover_id is None and code in held:
                post.worker, post.changed_at = held[code], now
                changed.append(post)
        staffed = {code: p.worker for code, p in posts.items() if p.worker_id is not None}
        covered = 0
        for post in (posts[code] for code in sorted(posts)):
            if post.worker_id is None and post.cover_id is None:
                post.cover = _nearest_cover(post.grid, staffed)
                if post.cover is not None:
                    post.changed_at = now
                    changed.append(post)
                    covered += 1
        GridPost.objects.bulk_update(changed, ["worker", "cover", "changed_at"], batch_size=500)
        counts = {
            "posts": len(posts),
            "posts_created": len(new_posts),
            "accounts_created": len(accounts),
            "vacant": sum(1 for p in posts.values() if p.worker_id is None),
            "covered": covered,
            "uncovered": sum(1 for p in posts.values() if p.holder is None),
        }
        record_event(
            EventType.SYSTEM if acting_user is None else EventType.CHANGE,
            actor=acting_user,
            object_type="grid_posts",
            object_id="roster",
            details={**counts, "accounts": sorted(u.username for u in accounts)},
        )
    return counts


def do_vacate_post(post: GridPost, *, cover: User | None, reason: str, acting_user) -> GridPost:
    """The grid's worker left: the grid is vacant, covered by `cover` (the worker of another
    grid of the same street) until it has a worker again. Its open work goes to the cover."""
    _require_staffing(acting_user, post.grid)
    if not reason.strip():
        raise ValidationError(_("Say why the grid is vacant."), code="reason_missing")
    if cover is not None:
        _check_cover(post, cover)
    return _hand_over(
        post,
        worker=None,
        cover=cover,
        acting_user=acting_user,
        reason=reason,
        details={"action": "vacate", "cover": getattr(cover, "username", None)},
    )


def do_assign_post(post: GridPost, *, worker: User, acting_user) -> GridPost:
    """A worker takes the grid (their account is the grid's: the security administrator
    creates it for that grid); the cover, if any, hands it back."""
    _require_staffing(acting_user, post.grid)
    if not (
        worker.is_active and worker.role == Role.GRID_WORKER and worker.area_id == post.grid_id
    ):
        raise ValidationError(
            _("Only an active grid worker account of this grid can take it."), code="not_this_grid"
        )
    return _hand_over(
        post,
        worker=worker,
        cover=None,
        acting_user=acting_user,
        details={"action": "assign", "worker": worker.username},
    )


def _hand_over(
    post: GridPost, *, worker, cover, acting_user, details: dict, reason: str = ""
) -> GridPost:
    """Set who holds the grid, with its audit event naming who held it before."""
    with transaction.atomic():
        post = GridPost.objects.select_for_update().select_related("grid").get(pk=post.pk)
        before = {
            "worker": getattr(post.worker, "username", None),
            "cover": getattr(post.cover, "username", None),
        }
        post.worker, post.cover, post.changed_at = worker, cover, timezone.now()
        post.save(update_fields=["worker", "cover", "changed_at"])
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_post",
            object_id=post.grid.code,
            reason=reason,
            details={**details, "before": before},
        )
    return post


def _check_cover(post: GridPost, cover: User) -> None:
    ok = (
        cover.is_active
        and cover.role == Role.GRID_WORKER
        and cover.area is not None
        and cover.area.town_code == post.grid.town_code
        and cover.area_id != post.grid_id
        and GridPost.objects.filter(worker=cover).exists()
    )
    if not ok:
        raise ValidationError(
            _("A grid is covered by the worker of another grid of the same street."),
            code="cover_elsewhere",
        )
