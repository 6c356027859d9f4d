"""The doors of the 网格通 phone pages: only grid workers, and only the tasks they hold.

A grid worker's scope on the phone is their tasks (`GridTask.objects.held_by`): the tasks
of their grid, of the vacant grids they cover and those handed to them. A resident is read
only through one of those tasks, and only the items the task needs, masked as a grid
worker reads them (grid workers never see a sensitive value in full). A task they do not
hold, another grid's or one that does not exist, is a 404; any other role is refused the
pages (403). Every refusal is audited (`deny`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import get_language

from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny
from minsheng.catalogue import dictionary
from minsheng.geo.models import Area
from minsheng.lib.masking import mask_name
from minsheng.residents.models import Resident, field_name
from minsheng.residents.plain import Plain

from ..actions import REMIND_DAYS
from ..cards import CardLine, shown
from ..forms import CARD_ITEMS
from ..models import GridTask, TaskStatus

LIST_LIMIT = 300  # rows a tab shows (a grid has some tens of open tasks)
CARD_BASE = ("identity.name", "identity.sex", "identity.age", "residence.address")
STATUSES = ("open", "overdue", "done")


def access_phone(request) -> None:
    """The phone pages are the grid workers' (403, audited, for any other role)."""
    user = request.user
    if user.role != Role.GRID_WORKER or not user.may_see_personal_data:
        deny(request, "grid_phone")


def access_task(request, pk: int) -> GridTask:
    """A task the grid worker holds; 404 (audited) for another grid's, another worker's or
    an unknown task, as they must look the same from outside."""
    access_phone(request)
    task = GridTask.objects.held_by(request.user).filter(pk=pk).select_related("result").first()
    if task is None:
        deny(request, "grid_task", pk, not_found=True)
    return task


@dataclass
class TaskRow:
    task: GridTask
    name: str
    grid: str
    overdue: bool
    due_soon: bool


def held_tasks(request, status: str, *, today: date | None = None) -> dict:
    """The tabs of the worker's task list: the counts of each, and the rows of `status`
    (open: by due date then priority; overdue: the open ones past due; done: latest
    first), each with the resident's masked name and the grid's name. Four queries,
    whatever the number of tasks."""
    access_phone(request)
    today = today or timezone.localdate()
    soon = today + timedelta(days=REMIND_DAYS)
    held = GridTask.objects.held_by(request.user)
    is_open = Q(status=TaskStatus.OPEN)
    counts = held.aggregate(
        open=Count("pk", filter=is_open),
        overdue=Count("pk", filter=is_open & Q(due_date__lt=today)),
        due_soon=Count("pk", filter=is_open & Q(due_date__gte=today, due_date__lte=soon)),
        done=Count("pk", filter=Q(status=TaskStatus.DONE)),
    )
    if status == "done":
        rows = held.filter(status=TaskStatus.DONE).order_by("-closed_at", "-id")
    elif status == "overdue":
        rows = held.filter(is_open, due_date__lt=today).order_by("due_date", "priority", "id")
    else:
        rows = held.filter(is_open).order_by("due_date", "priority", "id")
    names = Resident.objects.filter(person_id=OuterRef("person_id")).values("identity_name")
    tasks = list(rows.annotate(resident_name=Subquery(names[:1]))[:LIST_LIMIT])
    grids = dict(
        Area.objects.filter(code__in={t.grid_code for t in tasks}).values_list("code", "name")
    )
    return {
        "counts": counts,
        "total": counts[status],
        "rows": [
            TaskRow(
                task=t,
                name=mask_name(t.resident_name) or "—",
                grid=grids.get(t.grid_code, t.grid_code),
                overdue=t.overdue_on(today),
                due_soon=t.is_open and today <= t.due_date <= soon,
            )
            for t in tasks
        ],
    }


def resident_card(task: GridTask) -> list[CardLine]:
    """The resident card of a task the user holds (from `access_task`): name, sex, age and
    address, and the items its kind needs (`forms.CARD_ITEMS`), masked."""
    codes = (*CARD_BASE, *CARD_ITEMS.get(task.kind, ()))
    items = [dictionary.item(c) for c in codes]
    columns = [field_name(i.code) for i in items]
    resident = Resident.objects.filter(person_id=task.person_id).only(*columns).first()
    english = get_language() == "en"
    plain = Plain()
    lines = []
    for item, column in zip(items, columns, strict=True):
        value = getattr(resident, column) if resident is not None else None
        if item.encrypted:
            value = plain(value)
        lines.append(
            CardLine(
                code=item.code,
                label=item.name_en if english else item.name_zh,
                value=shown(item, value),
            )
        )
    return lines
