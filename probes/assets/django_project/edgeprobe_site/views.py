"""The three views the agent drives: a template with a loop and a context, an ORM read and write of one row,
and a JSON response of fixed size. Every response says which process served it (X-Edgeprobe-Worker), so that
the agent can tell that N workers really shared the load."""
import itertools
import os

from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import render

from .models import Row

ROWS = 16
ITEMS = [
    {"id": i, "name": "Item %d" % i, "price": i * 1.25, "tags": ["new", "sale"] if i % 3 == 0 else ["plain"], "stock": i % 4}
    for i in range(1, 41)
]
# 64 entries of fixed-width text: the body has the same length on every request.
PAYLOAD = {"kind": "edgeprobe-fixed", "entries": [{"id": i, "label": "entry-%04d" % i, "value": i * 7} for i in range(64)]}
_turn = itertools.count()


def served_by(get_response):
    pid = str(os.getpid())

    def middleware(request):
        response = get_response(request)
        response["X-Edgeprobe-Worker"] = pid
        return response

    return middleware


def page(request):
    context = {"title": "edgeprobe catalogue", "visitor": "guest", "items": ITEMS, "total": len(ITEMS)}
    return render(request, "edgeprobe_site/page.html", context)


def orm(request):
    key = next(_turn) % ROWS + 1
    row = Row.objects.get(pk=key)
    Row.objects.filter(pk=key).update(hits=F("hits") + 1)
    return JsonResponse({"id": row.pk, "name": row.name, "hits": row.hits + 1})


def fixed_json(request):
    return JsonResponse(PAYLOAD)
