"""`minsheng screen`: counts per list, one theme or list, a rule typed on the command line,
and the error a bad one gives."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from minsheng.residents.models import Resident
from minsheng.screening import catalog
from minsheng.sources.models import Batch, BatchStatus, Person


@pytest.fixture
def two_residents(db):
    batch = Batch.objects.create(
        source="gongan_hukou",
        file_name="gongan_hukou_20261110.csv",
        sha256="e" * 64,
        status=BatchStatus.LOADED,
        archived=True,
    )
    for n, card in enumerate((True, False), start=1):
        person = Person.objects.create(
            first_source="gongan_hukou", first_batch=batch, first_row=n, created_at=timezone.now()
        )
        Resident.objects.create(
            person=person,
            as_of=date(2026, 11, 13),
            refreshed_at=timezone.now(),
            identity_survival_status="1",
            card_has_card=card,
        )


def screen(*args) -> str:
    out = StringIO()
    call_command("screen", *args, stdout=out)
    return out.getvalue()


def test_it_prints_every_list_with_its_count_version_and_time(two_residents):
    # when every list is counted
    out = screen()
    # then each list has a line with its version, and the card-less resident is counted once
    for theme in catalog.themes():
        for rule in theme.lists:
            assert rule.code in out
            assert f"v{rule.version}" in out
    line = next(ln for ln in out.splitlines() if " card_none " in ln)
    assert line.split()[2] == "1"
    assert line.rstrip().endswith(" s")


def test_it_counts_one_theme_or_one_list(two_residents):
    # when one theme, then one list is asked for
    by_theme = screen("--theme", "card")
    by_rule = screen("--rule", "card_none")
    # then only those lists are printed
    assert "card_old_generation" in by_theme
    assert "graduates_unemployed" not in by_theme
    assert "card_none" in by_rule
    assert "card_old_generation" not in by_rule


def test_it_counts_a_rule_typed_on_the_command_line(two_residents):
    # when a rule is given as text
    out = screen("--expr", "card.has_card and identity.survival_status = '生存'")
    # then its count is printed
    line = next(ln for ln in out.splitlines() if ln.startswith("--expr"))
    assert line.split()[2] == "1"


@pytest.mark.parametrize(
    ("expr", "where", "word"),
    [
        ("age >= 16\nand card.no_such", "line 2, column 5", "card.no_such"),
        ("card.status = '丢了'", "line 1, column 15", "丢了"),
        ("age >= ", "line 1, column 8", ""),
    ],
)
def test_it_fails_on_a_bad_rule_with_line_and_column(two_residents, expr, where, word):
    # when a broken rule is given
    with pytest.raises(CommandError) as err:
        screen("--expr", expr)
    # then the error says where and what
    assert where in str(err.value)
    assert word in str(err.value)


def test_it_fails_on_an_unknown_theme(two_residents):
    with pytest.raises(CommandError):
        screen("--theme", "no_such_theme")
