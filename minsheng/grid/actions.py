"""The writes of grid work, each in one transaction with one audit event.

`do_staff_grids` provisions the city's grid posts and grid-worker accounts from the roster
(the `grids.csv` of a city directory: grid, worker's name and phone; no name = vacant);
`do_vacate_post` records that a worker left and who covers the grid; `do_assign_post` gives
a grid its new worker. Open work stays with the grid (see models), so each of these moves
it with the post.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng import keys
from minsheng.accounts.models import User
from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.catalogue import registry
from minsheng.geo.models import Area
from minsheng.pipeline.jobs import enqueue_refresh
from minsheng.residents.archive import false, true
from minsheng.screening.models import TargetList, TargetListMember
from minsheng.sources.bulk import analyze
from minsheng.sources.models import Batch, BatchStatus, LinkMethod, fact_model

from .forms import TaskForm
from .models import (
    DeviceToken,
    GridPost,
    GridTask,
    Origin,
    Priority,
    TaskKind,
    TaskResult,
    TaskStatus,
)

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
        # the grid's open tasks not handed to someone go to whoever holds it now
        moving = GridTask.objects.filter(
            grid_code=post.grid.code, status=TaskStatus.OPEN, assignee__isnull=True
        ).count()
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_post",
            object_id=post.grid.code,
            reason=reason,
            details={**details, "before": before, "open_tasks": moving},
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


# -- tasks ----------------------------------------------------------------------------------

DISPATCHERS = CLERKS | CITY_STAFF
DEFAULT_DUE_DAYS = 14
# results wait this long for the archive refresh, which takes up all that came meanwhile
REFRESH_DELAY = timedelta(seconds=30)
ANALYZE_AFTER = 1000  # tasks created at once: refresh the table's statistics
REMIND_DAYS = 2  # a task due within this many days is reminded once


class Dispatched(NamedTuple):
    """What a dispatch did with the people it was given (each counted once)."""

    asked: int  # people in the list, requests or hand pick
    created: int  # tasks created
    already_open: int  # a task of the kind is open for them already
    no_grid: int  # no archive row with a grid: nobody to send
    deceased: int  # dead (or reported dead) by the archive
    via_cover: int  # of those created, in a vacant grid: its cover does them
    unheld: int  # of those created, in a grid nobody holds: flagged for the clerk

    def as_dict(self) -> dict[str, int]:
        return self._asdict()


def dispatched_message(done) -> str:
    return (
        _(
            "%(created)s tasks dispatched to %(asked)s residents; %(already_open)s already had "
            "one open, %(deceased)s are deceased, %(no_grid)s have no grid. %(via_cover)s are in "
            "vacant grids (done by their cover), %(unheld)s in grids nobody holds."
        )
        % done.as_dict()
    )


def may_dispatch(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in DISPATCHERS
        and user.area is not None
    )


def _require_dispatch(user) -> None:
    if not may_dispatch(user):
        raise PermissionDenied(_("Only clerks and city staff dispatch grid tasks."))


def _scope_sql(user) -> tuple[str, list]:
    """SQL over the archive row `r`: inside the user's area."""
    if user.area.level == "city":
        return "1 = 1", []
    return f"r.{user.area.level}_code = %s", [user.area.code]


def dispatch_sql(
    people_sql: str,
    params: list,
    *,
    kind_sql: str,
    origin: str,
    due: date,
    priority: int,
    user,
) -> Dispatched:
    """Create the tasks of a set of people in one statement. `people_sql` selects
    `person_id`, `reason` and `ref` (the origin's reference), and whatever `kind_sql` reads
    (as `s.…`). The
    archive row routes each to its grid; a person outside the user's area is not asked at
    all (a list saved for a bigger area by someone else), one dead or without a grid is
    counted, and one with that kind of task open already is skipped by the partial unique
    index."""
    t, posts = GridTask._meta.db_table, GridPost._meta.db_table
    scope, scope_params = _scope_sql(user)
    alive = (
        "(r.identity_survival_status IS NULL OR r.identity_survival_status = '1' "
        f"OR ({kind_sql} = '{TaskKind.DEATH_REPORT}' AND r.identity_survival_status = '3'))"
    )
    people = f"FROM ({people_sql}) s JOIN residents_resident r ON r.person_id = s.person_id"
    routed = (
        f"{people} LEFT JOIN geo_area a ON a.code = r.grid_code "
        f"LEFT JOIN {posts} p ON p.grid_id = a.id "
        f"WHERE {scope} AND r.grid_code <> '' AND {alive}"
    )
    now = timezone.now()
    insert = (
        f"INSERT INTO {t} (kind, status, priority, due_date, person_id, district_code, "
        "town_code, community_code, grid_code, via_cover, origin, origin_ref, reason, "
        "created_by_id, created_at, cancel_reason) "
        f"SELECT {kind_sql}, 'open', %s, %s, s.person_id, r.district_code, r.town_code, "
        "r.community_code, r.grid_code, "
        f"CASE WHEN p.id IS NOT NULL AND p.worker_id IS NULL THEN {true()} ELSE {false()} END, "
        f"%s, s.ref, s.reason, %s, %s, '' {routed} "
        # what is open already is skipped here; a person twice in the set by the index
        f"AND NOT EXISTS (SELECT 1 FROM {t} o WHERE o.person_id = s.person_id "
        f"AND o.kind = {kind_sql} AND o.status = 'open') "
        "ORDER BY s.person_id ON CONFLICT DO NOTHING"
    )
    counts = (
        "SELECT COUNT(DISTINCT s.person_id), "
        "COUNT(DISTINCT CASE WHEN r.grid_code = '' THEN s.person_id END), "
        f"COUNT(DISTINCT CASE WHEN r.grid_code <> '' AND NOT {alive} THEN s.person_id END) "
        f"{people} WHERE {scope}"
    )
    flags = (
        f"SELECT COUNT(CASE WHEN t.via_cover = {true()} THEN 1 END), "
        "COUNT(CASE WHEN p.id IS NULL OR (p.worker_id IS NULL AND p.cover_id IS NULL) "
        f"THEN 1 END) FROM {t} t LEFT JOIN geo_area a ON a.code = t.grid_code "
        f"LEFT JOIN {posts} p ON p.grid_id = a.id WHERE t.created_at = %s "
        "AND t.created_by_id = %s"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(counts, [*params, *scope_params])
        asked, no_grid, deceased = cursor.fetchone()
        cursor.execute(
            insert, [int(priority), due, str(origin), user.pk, stamp, *params, *scope_params]
        )
        created = max(cursor.rowcount, 0)
        cursor.execute(flags, [stamp, user.pk])
        via_cover, unheld = cursor.fetchone()
    if created >= ANALYZE_AFTER:
        # a worker's list must be planned for the tasks now there (by grid), not for none
        analyze(t)
    return Dispatched(
        asked=asked,
        created=created,
        already_open=asked - created - no_grid - deceased,
        no_grid=no_grid,
        deceased=deceased,
        via_cover=via_cover,
        unheld=unheld,
    )


def _dispatch(people_sql, params, *, acting_user, details: dict, **kw) -> Dispatched:
    with transaction.atomic():
        done = dispatch_sql(people_sql, params, user=acting_user, **kw)
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_tasks",
            object_id=kw["origin"],
            details={**details, **done.as_dict()},
        )
    return done


def _check_kind(kind: str) -> str:
    if kind not in TaskKind.values:
        raise ValidationError(_("Unknown task type: %(kind)s") % {"kind": kind})
    return kind


def _due(due: date | None, days: int = DEFAULT_DUE_DAYS) -> date:
    today = timezone.localdate()
    if due is None:
        return today + timedelta(days=days)
    if due < today:
        raise ValidationError(_("The due date has passed."), code="due_passed")
    return due


def do_dispatch_list(
    target_list: TargetList,
    *,
    kind: str,
    due: date | None = None,
    priority: int = Priority.NORMAL,
    acting_user,
) -> Dispatched:
    """A task of `kind` for every member of a saved target list in the user's area, to the
    holder of each member's grid."""
    _require_dispatch(acting_user)
    kind = _check_kind(kind)
    if not TargetList.objects.visible_to(acting_user).filter(pk=target_list.pk).exists():
        raise PermissionDenied(_("This list is outside your area."))
    return _dispatch(
        f"SELECT person_id, {_text()} AS reason, {_text()} AS ref "
        f"FROM {TargetListMember._meta.db_table} WHERE target_list_id = %s",
        [target_list.name[:500], f"list:{target_list.pk}", target_list.pk],
        kind_sql=f"'{kind}'",
        origin=Origin.LIST,
        due=_due(due),
        priority=priority,
        acting_user=acting_user,
        details={"list": target_list.pk, "kind": kind},
    )


def do_dispatch_persons(
    people_sql: str, params: list, *, kind: str, reason: str, ref: str, acting_user
) -> Dispatched:
    """A task of `kind` for every person the query selects (one `person_id` column), sent
    by another app through a signal (the benefit roll's door-to-door certifications)."""
    _require_dispatch(acting_user)
    kind = _check_kind(kind)
    return _dispatch(
        f"SELECT q.person_id, {_text()} AS reason, {_text()} AS ref FROM ({people_sql}) q",
        [reason[:500], ref[:64], *params],
        kind_sql=f"'{kind}'",
        origin=Origin.ROLL,
        due=_due(None),
        priority=Priority.NORMAL,
        acting_user=acting_user,
        details={"kind": kind, "ref": ref},
    )


def do_create_task(
    person_id: int,
    *,
    kind: str,
    reason: str,
    due: date | None = None,
    priority: int = Priority.NORMAL,
    acting_user,
) -> Dispatched:
    """One task by hand (a clerk on a resident's profile, a worker's doorplate visit)."""
    _require_dispatch(acting_user)
    kind = _check_kind(kind)
    return _dispatch(
        f"SELECT CAST(%s AS BIGINT) AS person_id, {_text()} AS reason, '' AS ref",
        [person_id, reason[:500]],
        kind_sql=f"'{kind}'",
        origin=Origin.HAND,
        due=_due(due),
        priority=priority,
        acting_user=acting_user,
        details={"person": person_id, "kind": kind},
    )


def do_dispatch_requests(requests, *, acting_user) -> Dispatched:
    """The grid-task requests of a 免申即享 delivery (a queryset of them: person_id, kind,
    reason, run_id, id), each as a task of its kind in the resident's grid."""
    _require_dispatch(acting_user)
    unknown = set(requests.values_list("kind", flat=True).distinct()) - set(TaskKind.values)
    if unknown:  # a policy asking for a task type this app does not have: the catalogue's error
        raise ValidationError(
            _("Unknown task type: %(kind)s") % {"kind": ", ".join(sorted(unknown))}
        )
    query = requests.values("id", "person_id", "kind", "reason", "run_id").query
    sql, params = query.sql_with_params()
    ref = _concat("'run:'", "q.run_id", "'/request:'", "q.id")
    return _dispatch(
        f"SELECT q.person_id, q.kind, q.reason, {ref} AS ref FROM ({sql}) q",
        list(params),
        kind_sql="s.kind",
        origin=Origin.POLICY,
        due=_due(None),
        priority=Priority.NORMAL,
        acting_user=acting_user,
        details={"runs": sorted(set(requests.values_list("run_id", flat=True)))},
    )


def _text() -> str:
    """A text parameter (PostgreSQL must know its type inside a sub-select)."""
    return "CAST(%s AS TEXT)"


def _concat(*parts: str) -> str:
    if connection.vendor == "postgresql":
        return "CONCAT(" + ", ".join(parts) + ")"
    return " || ".join(f"CAST({p} AS TEXT)" for p in parts)


class AlreadyDone(ValidationError):
    """The task has its result already (from another submission)."""


def holds(user, task: GridTask) -> bool:
    """Whether the user does this task now (a grid worker holding it)."""
    if user is None or not user.is_authenticated or user.role != Role.GRID_WORKER:
        return False
    return GridTask.objects.held_by(user).filter(pk=task.pk).exists()


def _fact_row(task: GridTask, form: TaskForm, *, user, now) -> tuple[int, int]:
    """The result as a 网格采集 fact: a batch of its own (one row), linked to the task's
    person, loaded and not yet archived: the archive refresh job takes it up."""
    day = timezone.localdate(now)
    batch = Batch.objects.create(
        source=registry.GRID_COLLECT.name,
        file_name=f"网格采集 任务{task.pk} {user.username} {day.isoformat()}",
        sha256=hashlib.sha256(f"grid_task:{task.pk}".encode()).hexdigest(),
        status=BatchStatus.LOADED,
        rows_read=1,
        rows_accepted=1,
        archived=False,
        created_by=user,
        started_at=now,
        finished_at=now,
    )
    values = {
        "task_id": task.pk,
        "task_kind": task.kind,
        "worker": user.username,
        "collected_date": day,
        **form.facts(),
    }
    phone = values.pop("phone", None)
    if phone:
        crypto = keys.provider()
        values["phone_enc"] = crypto.encrypt(phone)
        values["phone_hash"] = crypto.blind_index(phone)
    fact_model(registry.GRID_COLLECT.name).objects.create(
        batch=batch,
        row=1,
        loaded_at=now,
        person_id=task.person_id,
        link_method=LinkMethod.EXACT,
        **values,
    )
    return batch.pk, 1


def do_submit_result(
    task: GridTask, *, key: uuid.UUID, form: TaskForm, acting_user
) -> tuple[TaskResult, bool]:
    """Record a task's result (a valid form of its kind) and close the task: the fact of
    网格采集 and one audit event; once it commits, the archive refresh job is queued (the
    person's archive row shows the result when it has run, seconds later). Idempotent on `key`: the
    same key again returns the first result (created False) whatever the form says now; a
    task closed by another submission is refused (`AlreadyDone`)."""
    if not form.is_bound or form.errors:
        raise ValidationError(_("The form has errors."))
    with transaction.atomic():
        task = GridTask.objects.select_for_update().get(pk=task.pk)
        # after the lock: a retry that raced its first attempt finds the first's result
        first = TaskResult.objects.filter(key=key).first()
        if first is not None:
            if first.task_id != task.pk:
                raise ValidationError(_("This submission key belongs to another task."))
            return first, False
        if not holds(acting_user, task):
            raise PermissionDenied(_("This task is not yours."))
        if not task.is_open:
            raise AlreadyDone(_("This task is closed already."), code="closed")
        now = timezone.now()
        batch_id, row = _fact_row(task, form, user=acting_user, now=now)
        result = TaskResult.objects.create(
            task=task,
            key=key,
            data=_json(form.cleaned_data),
            photo=form.cleaned_data.get("photo"),
            signature=form.cleaned_data.get("signature"),
            submitted_by=acting_user,
            submitted_at=now,
            batch_id=batch_id,
            row=row,
        )
        task.status, task.closed_at, task.closed_by = TaskStatus.DONE, now, acting_user
        task.save(update_fields=["status", "closed_at", "closed_by"])
        # the person's archive row is rebuilt by the refresh job, not in the phone's request
        transaction.on_commit(partial(enqueue_refresh, REFRESH_DELAY))
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_task",
            object_id=task.pk,
            details={
                "action": "submit",
                "kind": task.kind,
                "person": task.person_id,
                "key": str(key),
                "batch": batch_id,
            },
        )
    return result, True


def _json(data: dict) -> dict:
    """The form's values as JSON: dates as ISO text, images as their size only."""
    out = {}
    for k, v in data.items():
        if isinstance(v, bytes):
            out[k] = {"bytes": len(v)}
        elif isinstance(v, date):
            out[k] = v.isoformat()
        elif v not in (None, ""):
            out[k] = v
    return out


def may_manage(user, task: GridTask) -> bool:
    """Clerks and city staff whose area holds the task's resident manage it."""
    if not may_dispatch(user):
        return False
    if user.area.level == "city":
        return True
    return getattr(task, f"{user.area.level}_code") == user.area.code


def do_reassign_tasks(tasks, *, worker: User | None, acting_user) -> int:
    """Hand open tasks to another grid worker of the same street (None: back to whoever
    holds each task's grid). One audit event names the tasks."""
    _require_dispatch(acting_user)
    tasks = list(tasks)
    if any(not may_manage(acting_user, t) for t in tasks):
        raise PermissionDenied(_("A task outside your area cannot be handed over."))
    if worker is not None:
        ok = (
            worker.is_active
            and worker.role == Role.GRID_WORKER
            and worker.area is not None
            and all(t.town_code == worker.area.town_code for t in tasks)
        )
        if not ok:
            raise ValidationError(
                _("Tasks are handed to an active grid worker of the same street."),
                code="worker_elsewhere",
            )
    ids = [t.pk for t in tasks if t.is_open]
    with transaction.atomic():
        n = GridTask.objects.filter(pk__in=ids, status=TaskStatus.OPEN).update(assignee=worker)
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_tasks",
            object_id="reassign",
            details={"tasks": ids, "to": getattr(worker, "username", None), "moved": n},
        )
    return n


def do_cancel_task(task: GridTask, *, reason: str, acting_user) -> GridTask:
    if not may_manage(acting_user, task):
        raise PermissionDenied(_("A task outside your area cannot be cancelled."))
    if not reason.strip():
        raise ValidationError(_("Say why the task is cancelled."), code="reason_missing")
    with transaction.atomic():
        task = GridTask.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise AlreadyDone(_("This task is closed already."), code="closed")
        task.status, task.closed_at, task.closed_by = (
            TaskStatus.CANCELLED,
            timezone.now(),
            acting_user,
        )
        task.cancel_reason = reason.strip()[:200]
        task.save(update_fields=["status", "closed_at", "closed_by", "cancel_reason"])
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="grid_task",
            object_id=task.pk,
            reason=task.cancel_reason,
            details={"action": "cancel", "kind": task.kind},
        )
    return task


def do_mark_due_tasks(*, today: date | None = None) -> dict[str, int]:
    """The daily pass (a worker job): open tasks due within REMIND_DAYS are reminded once,
    those past their due date marked overdue once. Set-based; safe to repeat."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        reminded = GridTask.objects.filter(
            status=TaskStatus.OPEN,
            reminded_at__isnull=True,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=REMIND_DAYS),
        ).update(reminded_at=now)
        overdue = GridTask.objects.filter(
            status=TaskStatus.OPEN, overdue_at__isnull=True, due_date__lt=today
        ).update(overdue_at=now)
        record_event(
            EventType.SYSTEM,
            object_type="grid_tasks",
            object_id="due",
            details={"reminded": reminded, "overdue": overdue, "day": today.isoformat()},
        )
    return {"reminded": reminded, "overdue": overdue}


def do_record_visit(
    person_id: int, *, kind: str, key: uuid.UUID, form: TaskForm, reason: str, acting_user
) -> tuple[TaskResult, bool]:
    """A grid worker's own visit (a doorplate scan, a resident met at the door): the task
    is made and done at once, so the result has the provenance of any task. Idempotent on
    `key` as `do_submit_result`. The person must live in a grid the worker holds."""
    first = TaskResult.objects.filter(key=key).select_related("task").first()
    if first is not None:
        if first.task.person_id != person_id:
            raise ValidationError(_("This submission key belongs to another task."))
        return first, False
    if acting_user is None or acting_user.role != Role.GRID_WORKER:
        raise PermissionDenied(_("Only grid workers record visits."))
    grids = set(GridPost.objects.held_by(acting_user).values_list("grid__code", flat=True))
    from minsheng.residents.models import Resident

    resident = Resident.objects.filter(pk=person_id).only("grid_code").first()
    if resident is None or resident.grid_code not in grids:
        raise PermissionDenied(_("This resident does not live in your grid."))
    kind = _check_kind(kind)
    with transaction.atomic():
        open_task = GridTask.objects.filter(
            person_id=person_id, kind=kind, status=TaskStatus.OPEN
        ).first()
        if open_task is None:
            now = timezone.now()
            open_task = GridTask.objects.create(
                kind=kind,
                due_date=timezone.localdate(),
                person_id=person_id,
                district_code=resident.grid_code[:6],
                town_code=resident.grid_code[:9],
                community_code=resident.grid_code[:12],
                grid_code=resident.grid_code,
                assignee=acting_user,
                origin=Origin.HAND,
                reason=reason[:500],
                created_by=acting_user,
                created_at=now,
            )
        return do_submit_result(open_task, key=key, form=form, acting_user=acting_user)


# -- device tokens --------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_manage_devices(user, worker: User) -> bool:
    """A worker's devices are managed by the worker and by the clerks of their area."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.pk == worker.pk:
        return True
    return bool(
        user.role in CLERKS
        and user.area is not None
        and worker.area is not None
        and user.area.contains(worker.area)
    )


def do_issue_device_token(worker: User, *, name: str, acting_user) -> tuple[DeviceToken, str]:
    """A new token for one of the worker's phones; the token is returned once, only its
    hash kept."""
    if worker.role != Role.GRID_WORKER or not worker.is_active:
        raise ValidationError(_("Device tokens are for active grid workers."))
    if not may_manage_devices(acting_user, worker):
        raise PermissionDenied(_("You may not manage this worker's devices."))
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Name the device."), code="name_missing")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = DeviceToken.objects.create(
            user=worker,
            name=name,
            key_hash=token_hash(token),
            created_by=acting_user,
            created_at=timezone.now(),
        )
        record_event(
            EventType.PERMISSION_CHANGE,
            actor=acting_user,
            object_type="device_token",
            object_id=device.pk,
            details={"action": "issue", "worker": worker.username, "device": name},
        )
    return device, token


def do_revoke_device_token(device: DeviceToken, *, acting_user) -> DeviceToken:
    if not may_manage_devices(acting_user, device.user):
        raise PermissionDenied(_("You may not manage this worker's devices."))
    with transaction.atomic():
        device = DeviceToken.objects.select_for_update().get(pk=device.pk)
        if device.revoked_at is None:
            device.revoked_at, device.revoked_by = timezone.now(), acting_user
            device.save(update_fields=["revoked_at", "revoked_by"])
            record_event(
                EventType.PERMISSION_CHANGE,
                actor=acting_user,
                object_type="device_token",
                object_id=device.pk,
                details={"action": "revoke", "worker": device.user.username},
            )
    return device
