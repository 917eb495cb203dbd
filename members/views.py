from django.shortcuts import render

from . import selectors


def home(request):
    member = selectors.member_for_user(user=request.user)
    memberships = list(selectors.group_memberships_of(member=member)) if member else []
    return render(request, "members/home.html", {"member": member, "memberships": memberships})


def _todo(request, *args, **kwargs):
    from django.http import Http404

    raise Http404


dues = dues_renew = receipt_pdf = certificate_pdf = renew_with_token = unsubscribe = _todo
