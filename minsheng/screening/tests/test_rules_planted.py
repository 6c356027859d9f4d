"""The lists with a planted counterpart find the generator's planted cases on the small
synthetic city (imported once for the module)."""

from __future__ import annotations

import pytest

from minsheng.screening import catalog
from minsheng.screening.management.commands.screen import planted_rules, planted_score

pytestmark = pytest.mark.django_db

# Planted people the city's exports cannot show as the truth has them. Each is a set of
# truth rows the rule may miss, with the reason; recall must be complete otherwise.
#  - graduates_job_subsidy: the list leaves out graduates whose 求职创业补贴 is already
#    handled (办结 in the 经办日志; paying twice is not 免申即享), which the truth does not
#    know; and a graduate with no 公安 household row has no household to aggregate over.
ALLOWED_MISSES = {"graduates_job_subsidy": 2}
# Lists whose rule the truth's own evaluation undercounts: the generator drops people with
# no employee-pension record at all (a null `ep_status` fails its `not in` filter), while
# the documented rule, and ours, counts them. Precision is not asserted for these.
TRUTH_UNDERCOUNTS = {"daijiao_candidates"}


@pytest.fixture(scope="module")
def city(imported_city):
    path = imported_city["path"]
    return {"path": path, "scores": {r.code: planted_score(path, r) for r in planted_rules()}}


def test_it_scores_every_list_that_has_a_planted_counterpart(city):
    # given the planted lists of the catalogue
    codes = {r.code for r in planted_rules()}
    # then each was scored against a non-empty truth file
    assert codes == set(city["scores"])
    for code in codes:
        assert city["scores"][code]["expected"] > 0, code


@pytest.mark.parametrize(
    "code", sorted(r.code for t in catalog.themes() for r in t.lists if r.planted)
)
def test_it_finds_the_planted_cases(city, code):
    s = city["scores"][code]
    # then every planted person is found, but for the misses explained above
    assert s["expected"] - s["hit"] <= ALLOWED_MISSES.get(code, 0), s
    # and, where the truth's evaluation is complete, nobody else
    if code not in TRUTH_UNDERCOUNTS:
        assert s["precision"] == 1.0, s
