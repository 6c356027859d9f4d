"""The doors of the smart doorplate (智慧门牌).

A doorplate's QR code carries its house's token (`geo.House.doorplate_token`), never the
house code. Whoever opens it gets the public page of the house's community: the service
guide, no personal data and nothing that tells the house. A grid worker who holds the
house's grid (their own or a vacant one they cover: `GridPost.objects.held_by`) gets the
house instead: its residents, masked as a grid worker reads them, and the 信息更新 form.

Every other signed-in user, a worker of another grid as much as a clerk or an
administrator, gets the public page too, and that refusal to open the house is audited
(`DENIED`, object `house`): a signed-in scan of a house not one's own is worth knowing
about, an anonymous scan is not (it would only flood the trail, and names nobody).

The label sheets (PDF) are for the district, street and community clerks of the area
(403 for other roles, 404 for a community or building outside the area); they hold no
personal data, but each export is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import get_language

from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType, Result
from minsheng.catalogue import dictionary
from minsheng.geo.models import Area, Building, House
from minsheng.residents.models import Resident, field_name
from minsheng.residents.plain import Plain

from ..actions import CLERKS
from ..cards import CardLine, shown
from ..forms import CARD_ITEMS
from ..models import GridPost, TaskKind

# What the house page shows of each resident: who they are (masked) and what the 信息更新
# form changes, as the phone's resident card of that task shows it.
CARD = ("identity.name", "identity.sex", "identity.age", *CARD_ITEMS[TaskKind.INFO_UPDATE])
SURVIVAL = "identity.survival_status"
ALIVE = (None, "", "1")  # survival status: unknown or 生存


def house_by_token(token: str) -> House | None:
    """The house of a token, with its grid and the grid's ancestors. An unknown token costs
    one small indexed query (its 404 is then about as quick as any unknown URL's: the
    query with the ancestors' joins alone took 1.4 ms to build); a known one a second."""
    pk = House.objects.filter(doorplate_token=token).values_list("pk", flat=True).first()
    if pk is None:
        return None
    return House.objects.select_related("building__grid__parent__parent__parent__parent").get(pk=pk)


def held_grids(user) -> list[str]:
    """The codes of the grids a grid worker holds (none for any other role)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.role != Role.GRID_WORKER or not user.may_see_personal_data:
        return []
    return list(GridPost.objects.held_by(user).values_list("grid__code", flat=True))


def open_house(request, house: House) -> list[str] | None:
    """The grids the user holds if one of them holds the house (they may open it); None
    otherwise, with the refusal audited for a signed-in user."""
    user = request.user
    if not user.is_authenticated:
        return None
    grids = held_grids(user)
    if house.building.grid.code in grids:
        return grids
    record_event(
        EventType.DENIED,
        actor=user,
        request=request,
        object_type="house",
        object_id=house.code,
        result=Result.DENIED,
        details={"via": "doorplate", "shown": "public guide"},
    )
    return None


def access_house_for_update(request, token: str) -> tuple[House, list[str]]:
    """The house a grid worker updates a resident of: 403 for any other role, 404 for a
    house of a grid they do not hold or an unknown token (the same from outside), both
    audited."""
    user = request.user
    if user.role != Role.GRID_WORKER or not user.may_see_personal_data:
        deny(request, "house")
    house = house_by_token(token)
    grids = held_grids(user)
    if house is None or house.building.grid.code not in grids:
        deny(request, "house", house.code if house else "unknown", not_found=True)
    return house, grids


def house_residents(house: House, grids: list[str]):
    """The archive rows of the house's residents in grids the worker holds (their doorplate
    code is the house's), for a worker given `grids` by `open_house`."""
    columns = [field_name(c) for c in (*CARD, SURVIVAL)]
    return (
        Resident.objects.filter(grid_code__in=grids, residence_doorplate_code=house.code)
        .only("person_id", *columns)
        .order_by("person_id")
    )


@dataclass
class ResidentCard:
    person_id: int
    lines: list[CardLine]
    alive: bool
    survival: str | None


def resident_cards(residents) -> list[ResidentCard]:
    english = get_language() == "en"
    plain = Plain()
    items = [dictionary.item(c) for c in CARD]
    survival = dictionary.item(SURVIVAL)
    cards = []
    for r in residents:
        lines = []
        for item in items:
            value = getattr(r, field_name(item.code))
            if item.encrypted:
                value = plain(value)
            lines.append(
                CardLine(item.code, item.name_en if english else item.name_zh, shown(item, value))
            )
        status = r.identity_survival_status
        cards.append(
            ResidentCard(
                person_id=r.person_id,
                lines=lines,
                alive=status in ALIVE,
                survival=shown(survival, status),
            )
        )
    return cards


# -- the label sheets ---------------------------------------------------------------------


def may_print(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in CLERKS
        and user.area is not None
        and user.area.level != "grid"
    )


def access_sheets(request) -> Area:
    """The user's area, for a clerk (403, audited, for any other role)."""
    if not may_print(request.user):
        deny(request, "doorplate_sheets")
    return request.user.area


def access_community(request, code: str) -> Area:
    """A community of the clerk's area: 404 (audited) outside it or unknown."""
    access_sheets(request)
    community = (
        Area.objects.select_related("parent__parent__parent")
        .filter(code=code, level="community")
        .first()
    )
    if community is None or not request.user.area.contains(community):
        deny(request, "doorplate_community", code, not_found=True)
    return community


def access_building(request, code: str) -> Building:
    """A building of the clerk's area: 404 (audited) outside it or unknown."""
    access_sheets(request)
    building = (
        Building.objects.select_related("grid__parent__parent__parent__parent")
        .filter(code=code)
        .first()
    )
    if building is None or not request.user.area.contains(building.grid):
        deny(request, "doorplate_building", code, not_found=True)
    return building


def communities_of(area: Area):
    """The communities of an area, each with its counts of buildings and houses (one
    query)."""
    qs = Area.objects.filter(level="community")
    if area.level != "city":
        qs = qs.filter(**{f"{area.level}_code": area.code})
    return qs.order_by("code").values("code", "name")


def house_counts(area: Area) -> dict[str, tuple[int, int]]:
    """Community code → (buildings, houses) in an area (one query)."""
    buildings = Building.objects.all()
    if area.level != "city":
        buildings = buildings.filter(**{f"grid__{area.level}_code": area.code})
    rows = buildings.values("grid__community_code").annotate(
        buildings=Count("pk", distinct=True), houses=Count("houses")
    )
    return {r["grid__community_code"]: (r["buildings"], r["houses"]) for r in rows}


def buildings_of(community: Area):
    """The buildings of a community with their house counts (one query)."""
    return (
        Building.objects.filter(grid__community_code=community.code)
        .annotate(house_count=Count("houses"))
        .select_related("grid")
        .order_by("code")
    )


def houses_of(*, community: Area | None = None, building: Building | None = None):
    """(code, token) of the houses of a community or a building, in doorplate order."""
    houses = House.objects.all()
    if building is not None:
        houses = houses.filter(building=building)
    else:
        houses = houses.filter(building__grid__community_code=community.code)
    return houses.order_by("code").values_list("code", "doorplate_token")
