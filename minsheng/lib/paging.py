"""A page of an expensive queryset in one pass over its table.

Django's Paginator runs COUNT(*) and then the page's own query: for a screening list that
is two passes over the archive table. Here the page's keys carry the total as a window
aggregate (COUNT(*) OVER ()), computed in the same pass as the sort, and the page's rows
are then read by primary key. Only the keys and the sort columns go through the window
(it holds every matching row), so a list of 200,000 stays cheap.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Window

TOTAL = "_page_total"


def _number(raw) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise PageNotAnInteger from None
    if number < 1:
        raise EmptyPage
    return number


def _fetch(queryset, number: int, per_page: int) -> tuple[list, int | None]:
    bottom = (number - 1) * per_page
    keys = list(
        queryset.values_list("pk")
        .annotate(**{TOTAL: Window(Count("pk"))})
        .values_list("pk", TOTAL)[bottom : bottom + per_page]
    )
    if not keys:
        return [], None
    rows = {row.pk: row for row in queryset.filter(pk__in=[pk for pk, _total in keys])}
    return [rows[pk] for pk, _total in keys if pk in rows], keys[0][1]


def get_page(queryset, raw_number, per_page: int) -> Page:
    """Like Paginator(queryset, per_page).get_page(raw_number): a bad number gives page 1,
    one past the end gives the last page."""
    try:
        number = _number(raw_number)
    except (PageNotAnInteger, EmptyPage):
        number = 1
    rows, total = _fetch(queryset, number, per_page)
    if total is None:  # an empty list, or a page past the end: show the last page
        total = queryset.count() if number > 1 else 0
        number = max(1, -(-total // per_page))
        if total:
            rows, total = _fetch(queryset, number, per_page)
            total = total or 0
    paginator = Paginator(queryset, per_page)
    paginator.count = total  # a cached_property: no second COUNT(*)
    return Page(rows, number, paginator)
