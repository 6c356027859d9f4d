import polars as pl
import pytest
from django.core.management import call_command

from minsheng.audit.models import AuditEvent
from minsheng.geo.models import Area, Building, House


@pytest.mark.django_db
def test_it_loads_grids_buildings_and_houses_of_the_synthetic_city(synth_city):
    call_command("load_city", str(synth_city))

    grids = pl.read_csv(synth_city / "city" / "grids.csv", infer_schema=False)
    houses = pl.read_csv(synth_city / "city" / "houses.csv", infer_schema=False)
    assert Area.objects.filter(level="grid").count() == grids.height
    assert House.objects.count() == houses.height
    assert Building.objects.count() == pl.read_csv(synth_city / "city" / "buildings.csv").height
    # Every grid hangs under its community with consistent ancestor codes.
    for grid in Area.objects.filter(level="grid").select_related("parent")[:50]:
        assert grid.parent.code == grid.community_code and grid.code.startswith(grid.community_code)
    assert AuditEvent.objects.filter(event_type="import", object_type="city").count() == 1


@pytest.mark.django_db
def test_it_adds_up_populations_at_every_level(synth_city):
    call_command("load_city", str(synth_city))
    city = Area.objects.get(level="city")
    districts = Area.objects.filter(level="district")
    communities = Area.objects.filter(level="community")
    assert (
        city.population
        == sum(d.population for d in districts)
        == sum(c.population or 0 for c in communities)
    )
    assert city.population == 5581


@pytest.mark.django_db
def test_it_is_idempotent_and_keeps_doorplate_tokens(synth_city):
    call_command("load_city", str(synth_city))
    tokens = dict(House.objects.values_list("code", "doorplate_token"))
    call_command("load_city", str(synth_city))
    assert dict(House.objects.values_list("code", "doorplate_token")) == tokens
    assert len(set(tokens.values())) == len(tokens)


@pytest.mark.django_db
def test_it_says_which_file_is_missing(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="grids.csv is missing"):
        call_command("load_city", str(tmp_path))
