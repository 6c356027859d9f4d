"""The rows of a target list as pages and exports show them: masked, with the explanation."""

from __future__ import annotations

from django.utils.translation import gettext as _

from minsheng.catalogue import dictionary
from minsheng.geo.models import Area
from minsheng.residents.plain import Plain

from . import engine


def label(code: str, value) -> str:
    if value in (None, ""):
        return str(_("Unknown"))
    return dictionary.item(code).label(value) or str(value)


def rows_for(residents, r, as_of, plain=None) -> list[dict]:
    """Masked rows with their explanation, for a page (or a chunk) of residents."""
    plain = plain or Plain()
    residents = list(residents)
    why = engine.explain_many([x.person_id for x in residents], r.rule, rule=r.code, as_of=as_of)
    codes = {x.grid_code or x.community_code for x in residents}
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    name_item = dictionary.item("identity.name")
    id_item = dictionary.item("identity.id_number")
    return [
        {
            "person_id": x.person_id,
            "name": name_item.mask(x.identity_name),
            "id_number": id_item.mask(plain(x.identity_id_number)),
            "sex": label("identity.sex", x.identity_sex),
            "age": x.identity_age,
            "area": names.get(x.grid_code or x.community_code, x.community_code),
            "why": why.get(x.person_id, []),
        }
        for x in residents
    ]
