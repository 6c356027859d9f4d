"""The person-level policies find the generator's planted cases on the small synthetic city
(imported once for the module), as the screening lists they mirror do."""

from __future__ import annotations

import pytest

from minsheng.benefits import policies as catalogue
from minsheng.screening.management.commands.screen import planted_ids

# As in screening/tests/test_rules_planted.py: the truth does not know of a 求职创业补贴
# already handled, and a graduate with no 公安 household row has no household; the truth
# drops people with no employee-pension record from 代缴, which the rule (rightly) counts.
ALLOWED_MISSES = {"graduate_job_subsidy": 2}
TRUTH_UNDERCOUNTS = {"resident_pension_daijiao"}

# Without a django_db test in the session pytest-django sets up no test database, and a
# module fixture would then write to (and clean up) the development database.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def city(imported_city):
    path = imported_city["path"]
    scores = {}
    for p in catalogue.policies():
        if not p.planted:
            continue
        expected = planted_ids(path, p.planted)
        got = set(catalogue.people(p).values_list("person_id", flat=True))
        scores[p.code] = {"expected": len(expected), "hit": len(expected & got), "got": got}
    return scores


@pytest.mark.parametrize("code", sorted(p.code for p in catalogue.policies() if p.planted))
def test_it_finds_the_planted_cases_of_each_policy(city, code):
    s = city[code]
    # given a planted truth with people in it
    assert s["expected"] > 0
    # then every planted person is found, but for the misses explained above
    assert s["expected"] - s["hit"] <= ALLOWED_MISSES.get(code, 0), s
    # and, where the truth's evaluation is complete, nobody else
    if code not in TRUTH_UNDERCOUNTS:
        assert s["hit"] == len(s["got"]), s
