from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.roles import Role


def navigation(request):
    """Menu entries by role: each role sees only the pages it may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = []
    if user.role == Role.AUDIT_ADMIN:
        items.append((_("Audit trail"), reverse("audit:event_list")))
    elif user.role == Role.SEC_ADMIN:
        items.append((_("Accounts and permissions"), reverse("accounts:user_list")))
    elif user.role == Role.SYS_ADMIN:
        items.append((_("System status"), reverse("system_status")))
    if user.area is not None and user.role not in (
        Role.AUDIT_ADMIN,
        Role.SEC_ADMIN,
        Role.SYS_ADMIN,
    ):
        items.append((_("My area"), reverse("geo:area_detail", args=[user.area.code])))
        if user.may_see_personal_data:
            items.append((_("Resident search"), reverse("residents:search")))
            items.append((_("Precision services"), reverse("screening:index")))
            if user.role != Role.GRID_WORKER:
                items.append((_("Linkage review"), reverse("sources:review_list")))
                items.append((_("Data conflicts"), reverse("residents:conflicts")))
                items.append((_("Grid tasks"), reverse("grid:tasks")))
                items.append((_("Grid staffing"), reverse("grid:posts")))
                if user.role in CLERKS:
                    items.append((_("Doorplate labels"), reverse("grid:doorplate_sheets")))
                    items.append((_("Grid workers' devices"), reverse("grid:devices")))
        if user.is_city_staff:
            items.append((_("Data quality"), reverse("sources:quality")))
            items.append((_("Import"), reverse("sources:upload")))
            items.append((_("Benefits without application"), reverse("benefits:policy_list")))
        if user.may_see_personal_data and (user.is_city_staff or user.role in ROLL_READERS):
            items.append((_("Benefit roll"), reverse("benefits:roll")))
            items.append((_("Survival certification"), reverse("benefits:certifications")))
            items.append((_("Death cases"), reverse("benefits:deaths")))
            items.append((_("Decisions awaiting approval"), reverse("benefits:decisions")))
            items.append((_("Recoveries"), reverse("benefits:recoveries")))
            if user.is_city_staff:
                items.append((_("Payment runs"), reverse("benefits:payroll")))
        if user.role != Role.GRID_WORKER:  # counts only: the supervision centre's main page
            items.append((_("Grid supervision"), reverse("grid:supervision")))
        items.append((_("Data dictionary"), reverse("residents:dictionary")))
    # the pages of grid work and of benefits fold into one menu each (the header must fit a
    # 1280 px screen)
    menus = []
    for title, testid, prefix in MENUS:
        group = [(label, url) for label, url in items if url.startswith(prefix)]
        if len(group) >= 2:
            menus.append({"title": title, "testid": testid, "items": group})
    folded = {i for m in menus for i in m["items"]}
    return {"nav": items, "nav_main": [i for i in items if i not in folded], "nav_menus": menus}


MENUS = (
    (_("Grid work"), "nav-grid", "/grid/"),
    (_("Benefits administration"), "nav-benefits", "/benefits/"),
)
CLERKS = frozenset({Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK})
ROLL_READERS = CLERKS | {Role.VIEWER}
