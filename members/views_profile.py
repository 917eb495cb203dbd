"""Profil, confidentialité et « mes données » (à écrire)."""

from django.http import Http404


def profile_edit(request):
    raise Http404


def privacy(request):
    raise Http404


def my_data(request):
    raise Http404
