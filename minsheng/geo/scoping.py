"""The one scoping mechanism: `Model.objects.visible_to(user)`.

Every query of personal data starts here. A user sees their area and everything below it
(a grid worker only their grid); the three administrators and the supervision centre see no
personal data at all.
"""

from __future__ import annotations

from django.db import models


class ScopedQuerySet(models.QuerySet):
    # Path from the model to the `geo.Area` whose ancestor codes decide visibility
    # ("" when the model is Area itself).
    area_lookup: str = ""
    # Personal data is never shown to administrators or the supervision centre.
    personal_data: bool = True

    def visible_to(self, user) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if self.personal_data and not user.may_see_personal_data:
            return self.none()
        area = user.area
        if area is None:
            return self.none()
        if area.level == "city":
            return self.all()
        prefix = f"{self.area_lookup}__" if self.area_lookup else ""
        return self.filter(**{f"{prefix}{area.level}_code": area.code})
