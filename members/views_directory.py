"""Annuaire et pages de groupe (à écrire)."""

from django.http import Http404


def directory(request):
    raise Http404


def group_detail(request, slug):
    raise Http404


def group_export(request, slug):
    raise Http404
