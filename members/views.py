"""Mon espace et cotisations : lire, déléguer aux services, afficher."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from soce.lib.audit import audit_log
from soce.lib.exceptions import BusinessError

from . import payments, selectors, services, tokens
from .forms import RenewForm
from .models import AssociationSettings, CotisationStatus
from .pdf import certificate_render
from .rates import lifetime_rate


def home(request):
    member = selectors.member_for_user(user=request.user)
    context = {"member": member, "memberships": [], "year": timezone.localdate().year}
    if member:
        context["memberships"] = list(selectors.group_memberships_of(member=member))
        context["up_to_date"] = member.is_up_to_date(context["year"])
        context["renewal_year"] = services.renewal_year_for(member)
        context["pending"] = (
            member.cotisations.filter(status__in=[CotisationStatus.DUE, CotisationStatus.PARTIAL])
            .order_by("-year")
            .first()
        )
    return render(request, "members/home.html", context)


def dues(request):
    member = selectors.member_get_for(user=request.user)
    conf = AssociationSettings.load()
    cotisations = list(selectors.cotisations_of(member=member))
    for c in cotisations:
        option = payments.OPTIONS.get(c.declared_method)
        c.instructions = option.instructions(c, conf) if option and c.status != CotisationStatus.PAID else {}
    return render(
        request,
        "members/dues.html",
        {
            "member": member,
            "cotisations": cotisations,
            "renewal_year": services.renewal_year_for(member),
            "year": timezone.localdate().year,
        },
    )


def _renew_page(request, member, year, *, template, by, after_url):
    try:
        choice = services.rate_choice_for(member, year)
    except BusinessError as exc:
        messages.error(request, str(exc))
        return redirect(after_url)
    grid = services.grid_published(year)
    life = lifetime_rate(grid)
    form = RenewForm(request.POST or None, lifetime_rate=life)
    if request.method == "POST" and form.is_valid():
        try:
            cotisation = services.cotisation_open(
                member=member,
                year=year,
                gift_eur=form.cleaned_data["gift_eur"],
                method=form.cleaned_data["method"],
                lifetime=form.cleaned_data.get("lifetime", False),
                by=by,
            )
        except BusinessError as exc:
            messages.error(request, str(exc))
        else:
            option = payments.OPTIONS[cotisation.declared_method]
            started = option.start(cotisation, request)
            if started is not None:
                return started
            return render(
                request,
                "members/renew_done.html",
                {
                    "member": member,
                    "cotisation": cotisation,
                    "option": option,
                    "instructions": option.instructions(cotisation, AssociationSettings.load()),
                    "after_url": after_url,
                },
            )
    return render(request, template, {"member": member, "year": year, "choice": choice, "form": form})


def dues_renew(request):
    member = selectors.member_get_for(user=request.user)
    year = services.renewal_year_for(member)
    if year is None:
        messages.info(request, _("Votre cotisation est à jour : rien à régler pour le moment."))
        return redirect("dues")
    return _renew_page(request, member, year, template="members/renew.html", by=request.user, after_url="dues")


@login_not_required
def renew_with_token(request, token):
    """From a reminder e-mail: no login needed (someone else may pay for the member)."""
    found = tokens.renewal_from_token(token)
    if found is None:
        return render(request, "members/renew_expired.html", status=410)
    member, year = found
    if member.status == member.Lifecycle.DECEASED or member.anonymised_at:
        return render(request, "members/renew_expired.html", status=410)
    if member.is_up_to_date(year):
        return render(request, "members/renew_already.html", {"member": member, "year": year})
    by = request.user if request.user.is_authenticated else None
    return _renew_page(request, member, year, template="members/renew_public.html", by=by, after_url="home")


def receipt_pdf(request, public_id):
    receipt = selectors.receipt_get_for(user=request.user, public_id=public_id)
    data = services.tax_receipt_pdf(receipt=receipt)
    audit_log(receipt, action="receipt.download", by=request.user, request=request)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recu-fiscal-{receipt.number}.pdf"'
    return response


def certificate_pdf(request, year):
    member = selectors.member_get_for(user=request.user)
    if not selectors.member_paid_year(member=member, year=year):
        raise Http404("Pas d'attestation pour une année non réglée.")
    response = HttpResponse(certificate_render(member, year), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-adhesion-{year}.pdf"'
    return response


@login_not_required
@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a CSRF token; the token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    member = tokens.member_from_unsubscribe_token(token)
    if member is None:
        return render(request, "members/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.member_set_reminders_opt_out(member=member, opt_out=True, by=None, request=request)
        return render(request, "members/unsubscribe.html", {"done": True})
    return render(request, "members/unsubscribe.html", {"member": member, "token": token})
