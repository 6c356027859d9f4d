from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from minsheng.residents import dictionary
from minsheng.residents.dictionary import SOURCES


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
            groups.append((cat, items))
    context = {
        "groups": groups,
        "categories": dictionary.categories(),
        "category": category,
        "q": q,
        "total": len(dictionary.items()),
        "shown": sum(len(items) for _, items in groups),
        "sources": SOURCES,
        "english": get_language() == "en",
    }
    return render(request, "residents/dictionary.html", context)
