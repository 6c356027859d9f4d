from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from minsheng.geo.models import LEVEL_ORDER, Area, Building, House, Level

from .access import access_area


@login_required
def area_detail(request, code: str):
    area = access_area(request, code)
    child_level = LEVEL_ORDER[area.depth + 1] if area.level != Level.GRID else None
    context = {
        "area": area,
        "ancestors": [a for a in area.ancestors() if request.user.area.contains(a)],
    }
    if child_level is not None:
        children = list(Area.objects.visible_to(request.user).filter(parent=area).order_by("code"))
        # One grouped query per figure, whatever the number of children.
        prefix = "" if area.level == Level.CITY else f"{area.level}_code"
        scope = {prefix: area.code} if prefix else {}
        key = f"{child_level}_code"
        grids = dict(
            Area.objects.visible_to(request.user)
            .filter(level=Level.GRID, **scope)
            .values_list(key)
            .annotate(n=Count("id"))
        )
        buildings = dict(
            Building.objects.visible_to(request.user)
            .filter(**{f"grid__{k}": v for k, v in scope.items()})
            .values_list(f"grid__{key}")
            .annotate(n=Count("id"))
        )
        houses = dict(
            House.objects.visible_to(request.user)
            .filter(**{f"building__grid__{k}": v for k, v in scope.items()})
            .values_list(f"building__grid__{key}")
            .annotate(n=Count("id"))
        )
        for child in children:
            child.grid_count = grids.get(child.code, 0)
            child.building_count = buildings.get(child.code, 0)
            child.house_count = houses.get(child.code, 0)
        context["children"] = children
        context["child_level"] = Level(child_level).label
        context["totals"] = {
            "grids": sum(grids.values()),
            "buildings": sum(buildings.values()),
            "houses": sum(houses.values()),
        }
        context["chart"] = {
            "names": [c.name for c in children],
            "houses": [c.house_count for c in children],
            "population": [c.population or 0 for c in children],
        }
    else:
        context["buildings"] = (
            Building.objects.visible_to(request.user)
            .filter(grid=area)
            .annotate(house_count=Count("houses"))
            .order_by("code")
        )
    return render(request, "geo/area_detail.html", context)
