"""Roles and what each may do. One role per account; the role fixes the area level."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_EMPLOYMENT = "city_employment", _("City bureau: employment (就业科)")
    CITY_PENSION = "city_pension", _("City bureau: pensions (养老科)")
    CITY_CARD = "city_card", _("City bureau: social security card centre")
    CITY_INSPECTION = "city_inspection", _("City bureau: labour inspection")
    CITY_FUND = "city_fund", _("City bureau: fund supervision")
    DISTRICT_CLERK = "district_clerk", _("District clerk")
    STREET_CLERK = "street_clerk", _("Town / street clerk")
    COMMUNITY_CLERK = "community_clerk", _("Community clerk")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VIEWER = "viewer", _("Read-only user")
    SUPERVISION = "supervision", _("Supervision centre")
    SYS_ADMIN = "sys_admin", _("System administrator")
    SEC_ADMIN = "sec_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


CITY_STAFF = frozenset(
    {Role.CITY_EMPLOYMENT, Role.CITY_PENSION, Role.CITY_CARD, Role.CITY_INSPECTION, Role.CITY_FUND}
)
# 三员分立: the three administrators; no natural person may hold two of them, and none of
# them sees personal data.
ADMIN_ROLES = frozenset({Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN})
NO_PERSONAL_DATA = ADMIN_ROLES | {Role.SUPERVISION}
READ_ONLY = frozenset({Role.VIEWER, Role.SUPERVISION})

# The area level an account of each role must be attached to; None means any level
# (a read-only user may be scoped to a district as well as to a community).
ROLE_LEVEL = {
    **{r: "city" for r in CITY_STAFF | ADMIN_ROLES | {Role.SUPERVISION}},
    Role.DISTRICT_CLERK: "district",
    Role.STREET_CLERK: "town",
    Role.COMMUNITY_CLERK: "community",
    Role.GRID_WORKER: "grid",
    Role.VIEWER: None,
}
