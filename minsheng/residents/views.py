from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minsheng.residents import dictionary
from minsheng.residents.dictionary import SOURCES

RESOLUTION_LABELS = {
    "authoritative": _("Most authoritative source"),
    "most_recent": _("Most recent value"),
    "single": _("Single source"),
    "derived": _("Derived"),
}


@login_required
def dictionary_list(request):
    """The data dictionary for staff: 13 categories, 122 items. It describes the archive and
    holds no personal data, so every signed-in role may read it."""
    category = request.GET.get("category", "")
    q = request.GET.get("q", "").strip()
    groups = []
    for cat in dictionary.categories():
        if category and cat.code != category:
            continue
        items = [
            i
            for i in dictionary.items_by_category()[cat.code]
            if not q or q in i.name_zh or q.lower() in i.name_en.lower() or q in i.code
        ]
        if items:
            rows = [
                {
                    "item": i,
                    "sources": [SOURCES[s] for s in i.sources],
                    "resolution": RESOLUTION_LABELS[i.resolution],
                    "authority": " > ".join(SOURCES[s] for s in i.authority),
                }
                for i in items
            ]
            groups.append((cat, rows))
    context = {
        "groups": groups,
        "categories": dictionary.categories(),
        "category": category,
        "q": q,
        "total": len(dictionary.items()),
        "shown": sum(len(rows) for _, rows in groups),
        "english": get_language() == "en",
    }
    return render(request, "residents/dictionary.html", context)
