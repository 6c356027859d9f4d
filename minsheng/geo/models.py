"""The administrative tree: city → district → town/street → community → grid, then
buildings and houses (doorplates)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.geo.scoping import ScopedQuerySet


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    TOWN = "town", _("Town / street")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")


# Depth order; a user's level decides which ancestor column scopes their queries.
LEVEL_ORDER = [Level.CITY, Level.DISTRICT, Level.TOWN, Level.COMMUNITY, Level.GRID]


class AreaQuerySet(ScopedQuerySet):
    # The tree itself is not personal data: administrators and the supervision centre
    # navigate it too.
    personal_data = False
    area_lookup = ""


class Area(models.Model):
    """One node of the tree. Every node keeps the codes of its ancestors (and its own at
    its level) so that "this area and everything below it" is one indexed equality."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=10, blank=True)  # 街道/镇/社区/村/网格
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children"
    )
    district_code = models.CharField(max_length=6, blank=True, db_index=True)
    town_code = models.CharField(max_length=9, blank=True, db_index=True)
    community_code = models.CharField(max_length=12, blank=True, db_index=True)
    grid_code = models.CharField(max_length=15, blank=True, db_index=True)
    placeholder = models.BooleanField(default=False)
    population = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_ORDER.index(self.level)

    def ancestors(self) -> list[Area]:
        """From the city down to the parent, for breadcrumbs."""
        chain: list[Area] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def full_name(self) -> str:
        return "".join(a.name for a in self.ancestors()[1:]) + self.name

    def contains(self, other: Area) -> bool:
        """Whether `other` is this area or lies below it."""
        if self.level == Level.CITY:
            return True
        return getattr(other, f"{self.level}_code") == self.code

    def child(self, code: str, name: str, level: str, kind: str = "", **extra) -> Area:
        """An unsaved child area carrying this area's ancestor codes and its own."""
        codes = {
            f"{lvl}_code": getattr(self, f"{lvl}_code")
            for lvl in ("district", "town", "community", "grid")
        }
        codes[f"{level}_code"] = code
        return Area(code=code, name=name, level=level, kind=kind, parent=self, **codes, **extra)


class BuildingQuerySet(ScopedQuerySet):
    personal_data = False
    area_lookup = "grid"


class Building(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    grid = models.ForeignKey(
        Area, models.PROTECT, related_name="buildings", limit_choices_to={"level": Level.GRID}
    )
    address = models.CharField(_("address"), max_length=200)
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.address


def new_doorplate_token() -> str:
    # The QR code on a smart doorplate carries this token, never the house code, so that
    # nobody can enumerate houses by guessing codes.
    return secrets.token_urlsafe(18)


class HouseQuerySet(ScopedQuerySet):
    personal_data = False
    area_lookup = "building__grid"


class House(models.Model):
    code = models.CharField(_("doorplate code"), max_length=30, unique=True)
    building = models.ForeignKey(Building, models.PROTECT, related_name="houses")
    unit = models.PositiveSmallIntegerField(_("unit"), default=1)
    floor = models.SmallIntegerField(_("floor"), default=1)
    room = models.CharField(_("room"), max_length=10)
    address = models.CharField(_("address"), max_length=200)
    doorplate_token = models.CharField(max_length=32, unique=True, default=new_doorplate_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.address
