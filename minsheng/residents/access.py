"""The one door to a single resident's archive row.

Every page about one person opens it here, so that area scope and the audit of refusals
cannot be forgotten by a new view.
"""

from __future__ import annotations

from minsheng.audit.actions import deny
from minsheng.residents.models import Resident


def access_resident(request, person_id: int) -> Resident:
    """The resident if the user may see them; otherwise 404 (403 for a role that sees no
    personal data), with the refusal audited.

    A person outside the user's area and a person who does not exist look the same from
    outside (404), so the answer does not tell who lives elsewhere.
    """
    if not request.user.may_see_personal_data:
        # administrators and the supervision centre see no personal data at all: 403
        deny(request, "resident", str(person_id)[:64])
    resident = Resident.objects.visible_to(request.user).filter(person_id=person_id).first()
    if resident is None:
        deny(request, "resident", str(person_id)[:64], not_found=True)
    return resident
