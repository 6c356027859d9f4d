"""The doors to the archive's pages: a single resident's archive row, and the list of data
conflicts of the user's area.

Every page about one person opens it here, so that area scope and the audit of refusals
cannot be forgotten by a new view.
"""

from __future__ import annotations

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny
from minsheng.residents.models import Conflict, ConflictStatus, Resident

# The conflicts list is a worklist of the data's keepers: the city's business staff and the
# area clerks, and read-only users of an area. Grid workers work from their task lists;
# administrators and the supervision centre see no personal data.
CONFLICT_READERS = CITY_STAFF | {
    Role.DISTRICT_CLERK,
    Role.STREET_CLERK,
    Role.COMMUNITY_CLERK,
    Role.VIEWER,
}


def access_resident(request, person_id: int, *, provenance: bool = False) -> Resident:
    """The resident if the user may see them; otherwise 404 (403 for a role that sees no
    personal data), with the refusal audited. `provenance`: with its provenance row
    (`resident.person.provenance`) read in the same query.

    A person outside the user's area and a person who does not exist look the same from
    outside (404), so the answer does not tell who lives elsewhere.
    """
    if not request.user.may_see_personal_data:
        # administrators and the supervision centre see no personal data at all: 403
        deny(request, "resident", str(person_id)[:64])
    residents = Resident.objects.visible_to(request.user)
    if provenance:
        residents = residents.select_related("person__provenance")
    resident = residents.filter(person_id=person_id).first()
    if resident is None:
        deny(request, "resident", str(person_id)[:64], not_found=True)
    return resident


def may_read_conflicts(user) -> bool:
    return bool(
        user.is_authenticated and user.may_see_personal_data and user.role in CONFLICT_READERS
    )


def access_conflicts(request):
    """The conflicts of the user's area (a queryset, scoped through the resident's
    archive row); 403, audited, for a role that has no conflicts list."""
    if not may_read_conflicts(request.user):
        deny(request, "conflict_list")
    return Conflict.objects.visible_to(request.user)


def resident_conflicts(resident: Resident):
    """The open conflicts of a resident the user was given by `access_resident` (and so may
    see), for the profile."""
    return Conflict.objects.filter(resident_id=resident.person_id, status=ConflictStatus.OPEN)
