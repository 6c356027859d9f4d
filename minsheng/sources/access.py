"""The doors to the import's pages and objects: who may import, read the data quality and
batches, edit a department's column and code mappings, and read or decide the linkage
review queue. Each fetcher scopes, checks the role and audits a refusal (`deny`); the
actions check the same predicates themselves."""

from __future__ import annotations

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny

from .models import (
    Batch,
    CodeMapping,
    ColumnMapping,
    LinkReview,
    ReviewStatus,
    UnresolvedRecord,
    UnresolvedStatus,
)

CLERKS = frozenset({Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK})
# Who decides links: the city's business staff and the area clerks. Read-only users may
# look at their area's queue; grid workers, administrators and supervision have no queue.
REVIEW_DECIDERS = CITY_STAFF | CLERKS
REVIEW_READERS = REVIEW_DECIDERS | {Role.VIEWER}


def may_import(user) -> bool:
    """Imports, batches and the data-quality pages are the city bureau's business."""
    return bool(user.is_authenticated and user.is_city_staff)


def may_edit_mappings(user) -> bool:
    """A department's column and code mappings, and re-applying them to a batch: the city's
    business staff (who import), never a read-only account."""
    return may_import(user) and not user.is_read_only


def may_read_reviews(user) -> bool:
    return user.is_authenticated and user.role in REVIEW_READERS


def may_decide_review(user, review: LinkReview) -> bool:
    return (
        user.is_authenticated
        and user.role in REVIEW_DECIDERS
        and not user.is_read_only
        and review.status == ReviewStatus.PENDING
        and LinkReview.objects.visible_to(user).filter(pk=review.pk).exists()
    )


def may_resolve_unresolved(user, record: UnresolvedRecord) -> bool:
    """An unresolved record is resolved by whoever decides links in its area."""
    return (
        user.is_authenticated
        and user.role in REVIEW_DECIDERS
        and not user.is_read_only
        and record.status == UnresolvedStatus.PENDING
        and UnresolvedRecord.objects.visible_to(user).filter(pk=record.pk).exists()
    )


def access_imports(request, object_type: str, object_id: object = "") -> None:
    """The import pages (upload, progress, data quality): city staff only, else 403."""
    if not may_import(request.user):
        deny(request, object_type, object_id)


def access_batch(request, pk: int, *, object_type: str = "batch", for_write: bool = False) -> Batch:
    """A batch for the import pages (city staff, else 403; 404 if missing); for a write
    (a mapping saved from it, its re-application) the user must also edit mappings."""
    access_imports(request, object_type, pk)
    if for_write and not may_edit_mappings(request.user):
        deny(request, object_type, pk)
    batch = Batch.objects.filter(pk=pk).first()
    if batch is None:
        deny(request, object_type, pk, not_found=True)
    return batch


def access_mappings(request) -> None:
    """The list of the departments' mappings: city staff only, else 403."""
    access_imports(request, "source_mappings")


def access_column_mapping(request, pk: int) -> ColumnMapping:
    """A saved column mapping, to delete it (403 unless the user edits mappings, 404 if
    missing)."""
    access_imports(request, "column_mapping", pk)
    if not may_edit_mappings(request.user):
        deny(request, "column_mapping", pk)
    mapping = ColumnMapping.objects.filter(pk=pk).first()
    if mapping is None:
        deny(request, "column_mapping", pk, not_found=True)
    return mapping


def access_code_mapping(request, pk: int) -> CodeMapping:
    """A saved code mapping, to delete it (as `access_column_mapping`)."""
    access_imports(request, "code_mapping", pk)
    if not may_edit_mappings(request.user):
        deny(request, "code_mapping", pk)
    mapping = CodeMapping.objects.filter(pk=pk).first()
    if mapping is None:
        deny(request, "code_mapping", pk, not_found=True)
    return mapping


def access_review_queue(request) -> None:
    if not may_read_reviews(request.user):
        deny(request, "link_review")


def access_review(request, pk: int, *, for_write: bool = False) -> LinkReview:
    """A review item in the user's area (404 outside it, like a missing one); for a
    decision the user must also be allowed to decide it (403)."""
    access_review_queue(request)
    review = (
        LinkReview.objects.visible_to(request.user)
        .select_related("candidate", "batch", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        # Outside the area and nonexistent look the same, so nothing is learnt from a 404.
        deny(request, "link_review", pk, not_found=True)
    if for_write and not may_decide_review(request.user, review):
        deny(request, "link_review", pk)
    return review


def access_unresolved_list(request) -> None:
    """The unresolved records (待核实) of the user's area: as the review queue."""
    if not may_read_reviews(request.user):
        deny(request, "unresolved_record")


def access_unresolved(request, pk: int, *, for_write: bool = False) -> UnresolvedRecord:
    """An unresolved record in the user's area (404 outside it, like a missing one); to
    resolve it the user must also be allowed to (403)."""
    access_unresolved_list(request)
    record = (
        UnresolvedRecord.objects.visible_to(request.user)
        .select_related("batch", "area", "person", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        deny(request, "unresolved_record", pk, not_found=True)
    if for_write and not may_resolve_unresolved(request.user, record):
        deny(request, "unresolved_record", pk)
    return record
