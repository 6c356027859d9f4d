"""The theme pages' figures kept per grid beside the archive (screening/figures.py): the
pages show from them exactly what a count over the archive shows, for every user's area, in
a few queries; a refresh of a few persons gives what a full recompute gives.

The hand-made residents: the graduates of conftest.py (清泉社区 grids 1 and 2, and 李四 in
巴音赛街道), and
  孙婆   清泉社区 grid 1, 81, no sex or employment recorded (unknown buckets)
  吴某   清泉社区 grid 2, age not known (the '?' band)
  郑闲   no grid at all: counted for the city only (the unassigned)
  冯散   in 海勃湾区 but no street, community or grid: counted for the district
  陈保   清泉社区 grid 2, 低保 in force, in household H2 (a household aggregate for others)
and households: 王小明 and 周老 share H1; 赵丽 is alone in H3.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minsheng.pipeline.actions import refresh_persons
from minsheng.residents.models import Resident
from minsheng.screening import catalog, figures
from minsheng.screening.models import FigureSet, GridFigure, PersonFigure

from .conftest import make_resident

pytestmark = pytest.mark.django_db

ALIVE_ADULTS = ("wang", "zhao", "qian", "zhou")
NOWHERE = SimpleNamespace(
    district_code="",
    town_code="",
    community_code="",
    code="",
    parent=SimpleNamespace(name="", parent=SimpleNamespace(name="")),
)
DISTRICT_ONLY = SimpleNamespace(
    district_code="150302",
    town_code="",
    community_code="",
    code="",
    parent=SimpleNamespace(name="", parent=SimpleNamespace(name="")),
)


@pytest.fixture
def residents(crypto, areas, batch, graduates):
    g = areas["grids"]
    made = dict(graduates)
    made["sun"] = make_resident(crypto, batch, 20, "孙婆", "2", date(1944, 3, 1), g["qingquan1"])
    made["wu"] = make_resident(crypto, batch, 21, "吴某", "1", date(1990, 3, 1), g["qingquan2"])
    made["zheng"] = make_resident(
        crypto, batch, 22, "郑闲", "1", date(1980, 3, 1), NOWHERE, employment_status="3"
    )
    made["feng"] = make_resident(
        crypto, batch, 23, "冯散", "2", date(1975, 3, 1), DISTRICT_ONLY, employment_status="1"
    )
    made["chen"] = make_resident(
        crypto,
        batch,
        24,
        "陈保",
        "2",
        date(1970, 3, 1),
        g["qingquan2"],
        assistance_dibao=True,
        assistance_status="1",
        employment_status="3",
    )
    ids = {key: person.pk for key, (person, _number) in made.items()}
    # unknown values, and the households (QuerySet.update: the archive's own kind of write)
    Resident.objects.filter(pk=ids["sun"]).update(identity_sex=None, employment_status=None)
    Resident.objects.filter(pk=ids["wu"]).update(identity_age=None)
    Resident.objects.filter(pk__in=[ids["wang"], ids["zhou"]]).update(hukou_household_number="H1")
    Resident.objects.filter(pk=ids["chen"]).update(hukou_household_number="H2")
    Resident.objects.filter(pk=ids["zhao"]).update(hukou_household_number="H3")
    return ids


def theme_figures(client, theme: str, area: str | None = None) -> dict:
    response = client.get(reverse("screening:theme", args=[theme]), {"area": area} if area else {})
    assert response.status_code == 200
    ctx = response.context
    return {
        "total": ctx["total"],
        "lists": {row["rule"].code: row["count"] for row in ctx["lists"]},
        "children": [(c.code, c.count) for c in ctx["children"]],
        "charts": ctx["charts"],
        "as_of": ctx["as_of"],
    }


def index_figures(client) -> dict:
    response = client.get(reverse("screening:index"))
    assert response.status_code == 200
    return {
        "cards": {c["theme"].code: c["count"] for c in response.context["cards"]},
        "as_of": response.context["as_of"],
    }


def stored() -> dict:
    return {
        (
            f.district_code,
            f.town_code,
            f.community_code,
            f.grid_code,
            f.code,
            f.dimension,
            f.bucket,
        ): f.n
        for f in GridFigure.objects.all()
    }


def persons() -> dict:
    return {
        p.person_id: (p.grid_code, p.household, p.band, p.sex, p.employment, p.held, p.held_more)
        for p in PersonFigure.objects.all()
    }


def recomputed() -> tuple[dict, dict]:
    """The figures a full recompute gives now."""
    FigureSet.objects.all().delete()
    assert figures.refresh() == "full"
    return stored(), persons()


VIEWS = [
    ("city_staff", [None, "150302", "150302001", "150302001001", "150302001001002"]),
    ("viewer", [None, "150302001"]),
    ("street_clerk", [None, "150302001001"]),
    ("clerk", [None, "150302001001001"]),
    ("grid_worker", [None]),
    ("outsider", [None]),
]


def test_the_pages_show_from_the_figures_what_a_count_over_the_archive_shows(
    cast, login, residents
):
    # given the figures computed for the hand-made residents
    assert figures.refresh() == "full"

    # when every user opens the index and every theme, in their area and below it
    seen = {}
    for who, areas in VIEWS:
        client = login(cast[who])
        seen[who, "index"] = index_figures(client)
        for t in catalog.themes():
            for area in areas:
                seen[who, t.code, area] = theme_figures(client, t.code, area)

    # then the pages counting over the archive (no figures) show the very same
    FigureSet.objects.all().delete()
    for who, areas in VIEWS:
        client = login(cast[who])
        assert seen[who, "index"] == index_figures(client), who
        for t in catalog.themes():
            for area in areas:
                assert seen[who, t.code, area] == theme_figures(client, t.code, area), (
                    who,
                    t.code,
                    area,
                )


def test_the_figures_count_the_residents_without_a_grid_where_the_archive_does(
    cast, login, residents
):
    # given the figures
    figures.refresh()

    # when city staff, the district's viewer and the street clerk open the whole population
    city = theme_figures(login(cast["city_staff"]), "population")
    district = theme_figures(login(cast["viewer"]), "population")
    street = theme_figures(login(cast["street_clerk"]), "population")

    # then the city counts everyone alive, 郑闲 (no grid) included but in no district's bar
    assert city["total"] == 10
    assert sum(city["charts"]["area"]["values"]) == 9
    # and the district counts 冯散 (no street), who is in none of its streets' bars
    assert district["total"] == 8
    assert sum(district["charts"]["area"]["values"]) == 7
    assert street["total"] == 7
    # and the unknown age, sex and employment are buckets of their own
    assert city["charts"]["age"]["names"][-1] == "?"
    assert city["charts"]["age"]["values"][-1] == 1
    assert "未知" in city["charts"]["sex"]["names"] or "Unknown" in city["charts"]["sex"]["names"]
    # and the pyramid counts men and women of a known band (not 孙婆, not 吴某)
    assert -sum(city["charts"]["pyramid"]["male"]) == 4
    assert sum(city["charts"]["pyramid"]["female"]) == 4


def test_the_pages_read_the_figures_in_a_few_queries_and_never_the_archive(
    cast, login, residents, django_assert_num_queries
):
    # given the figures, and city staff logged in
    figures.refresh()
    client = login(cast["city_staff"])
    client.get(reverse("screening:index"))  # the session, once

    # when they open the index and a theme page, and drill down to a community
    # (each request: the session, the user, and the session's save in three; then the
    # figures' record and the sums; then the child areas; then the area asked for)
    with CaptureQueriesContext(connection) as queries:
        with django_assert_num_queries(5 + 2):
            client.get(reverse("screening:index"))
        with django_assert_num_queries(5 + 3):
            client.get(reverse("screening:theme", args=["graduates"]))
        with django_assert_num_queries(5 + 4):
            client.get(reverse("screening:theme", args=["graduates"]), {"area": "150302001001"})

    # then no query reads the archive
    assert not [q["sql"] for q in queries.captured_queries if "residents_resident" in q["sql"]]


def test_a_refresh_of_a_few_persons_gives_what_a_full_recompute_gives(residents):
    # given the figures
    assert figures.refresh() == "full"
    ids = residents
    dibao_member = {"graduates_job_subsidy", "employment_difficulty__population"}

    # when 陈保 (低保) joins 赵丽's household, 钱多 finds work and moves to grid 1, and 周老 dies,
    # as the archive would write them
    Resident.objects.filter(pk=ids["chen"]).update(hukou_household_number="H3")
    Resident.objects.filter(pk=ids["qian"]).update(
        employment_status="1", grid_code="150302001001001"
    )
    Resident.objects.filter(pk=ids["zhou"]).update(identity_survival_status="2")
    touched = [ids["chen"], ids["qian"], ids["zhou"]]
    assert figures.refresh(touched) == "delta"

    # then the figures are those a full recompute gives, 赵丽 (not touched) included
    after = stored(), persons()
    assert after == recomputed()
    zhao = PersonFigure.objects.get(pk=ids["zhao"])
    held = {f.rule.code for i, f in enumerate(figures.rules()) if bit(zhao, i)}
    assert "graduates_job_subsidy" in held, held

    # and when 陈保 leaves again, 赵丽 (in 陈保's household before) is refreshed too
    Resident.objects.filter(pk=ids["chen"]).update(hukou_household_number="H2")
    assert figures.refresh([ids["chen"]]) == "delta"
    after = stored(), persons()
    assert after == recomputed()
    zhao = PersonFigure.objects.get(pk=ids["zhao"])
    held = {f.rule.code for i, f in enumerate(figures.rules()) if bit(zhao, i)}
    assert not held & dibao_member
    # and no figure is kept at zero or below
    assert not GridFigure.objects.filter(n__lte=0).exists()


def bit(person: PersonFigure, i: int) -> bool:
    column, b = divmod(i, figures.BITS)
    return bool((getattr(person, figures.HELD[column]) >> b) & 1)


def reads_archive(client, url: str) -> bool:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return any("residents_resident" in q["sql"] for q in queries.captured_queries)


def test_an_edited_rule_is_counted_over_the_archive_until_the_next_refresh(
    cast, login, residents, monkeypatch
):
    # given the figures, and city staff's pages from them
    figures.refresh()
    client = login(cast["city_staff"])
    graduates = reverse("screening:theme", args=["graduates"])
    before = theme_figures(client, "graduates"), index_figures(client)
    assert not reads_archive(client, graduates)

    # when a rule of the graduates theme is edited (a new version)
    t = catalog.theme("graduates")
    edited = replace(t.lists[0], version=t.lists[0].version + "-edited")
    themes = tuple(
        replace(x, lists=(edited, *t.lists[1:])) if x is t else x for x in catalog.themes()
    )
    monkeypatch.setattr(catalog, "themes", lambda: themes)

    # then that theme's page counts over the archive, the same numbers, and the others not
    assert reads_archive(client, graduates)
    assert theme_figures(client, "graduates") == before[0]
    assert not reads_archive(client, reverse("screening:theme", args=["population"]))
    assert not reads_archive(client, reverse("screening:index"))
    assert index_figures(client) == before[1]

    # and the next refresh recomputes everything, even for one person, and is used again
    assert figures.refresh([residents["wang"]]) == "full"
    assert not reads_archive(client, graduates)

    # and if the layout of the figures changed, no page uses them
    monkeypatch.setattr(figures, "FORMAT", figures.FORMAT + 1)
    assert figures.usable() is None
    assert reads_archive(client, reverse("screening:index"))
    assert index_figures(client) == before[1]


def test_a_new_archive_date_recomputes_everything(residents):
    # given the figures
    figures.refresh()

    # when the archive's date moves (rules speak of `today`), everything is recomputed
    Resident.objects.update(as_of=date(2026, 4, 1))
    assert figures.refresh([residents["wang"]]) == "full"
    assert FigureSet.objects.get().as_of == date(2026, 4, 1)
    assert figures.usable().as_of == date(2026, 4, 1)

    # while nothing to refresh, on the same date, does nothing
    assert figures.refresh([]) == ""


def test_a_resident_written_outside_the_pipeline_leaves_the_pages_counting_the_archive(
    cast, login, residents, crypto, batch, areas, more_graduates
):
    # given the figures
    figures.refresh()
    assert figures.usable() is not None

    # when residents are written by the ORM, not by the archive refresh
    more_graduates(2)

    # then the figures are no longer used, and the pages count the new residents
    assert figures.usable() is None
    assert theme_figures(login(cast["city_staff"]), "graduates")["total"] == 6


def test_the_archive_refresh_of_persons_refreshes_their_figures(residents):
    # given the figures
    figures.refresh()

    # when the archive rebuilds two persons from their facts (they have none: their rows
    # empty out), as a clerk's relink decision does
    refresh_persons([residents["wang"], residents["chen"]])

    # then their figures follow, as a full recompute has them
    assert figures.usable() is not None
    assert (stored(), persons()) == recomputed()
