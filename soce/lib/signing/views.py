"""Vérification publique des documents scellés : /verifier/ et /verifier/<référence>/."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from soce.lib import ratelimit
from soce.lib.audit import client_ip

from . import pki, services
from .forms import ReferenceForm, VerifyUploadForm
from .models import normalise_reference

ROOT_FILENAME = "soce-racine.pem"
# The offline check, with nothing but pyHanko's command line and the published root (see _trust.html).
CLI_INSTALL = 'pip install "pyhanko-cli==0.6.0"'
CLI_VALIDATE = f"pyhanko sign validate --trust {ROOT_FILENAME} --trust-replace --pretty-print charte.pdf"


def _context(**extra) -> dict:
    try:
        fingerprint = services.trust_root_fingerprint()
    except Exception:  # no PKI configured: the page still explains how to verify
        fingerprint = ""
    return {
        "root_fingerprint": fingerprint,
        "root_filename": ROOT_FILENAME,
        "cli_install": CLI_INSTALL,
        "cli_validate": CLI_VALIDATE,
        **extra,
    }


@login_not_required
@require_http_methods(["GET"])
def root_certificate(request):
    """The association's root certificate (PEM), public: what the offline recipe trusts."""
    try:
        pem = pki.trust_root_pem()
    except pki.SealUnavailable as exc:
        raise Http404 from exc
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{ROOT_FILENAME}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request):
    upload_form = VerifyUploadForm()
    reference_form = ReferenceForm()
    if request.method == "POST":
        if not ratelimit.hit(f"verify:{client_ip(request)}", limit=30, period_s=600):
            messages.error(request, _("Trop de vérifications depuis votre adresse : réessayez dans quelques minutes."))
            return redirect("signing:verify")
        if "reference" in request.POST:
            reference_form = ReferenceForm(request.POST)
            if reference_form.is_valid():
                return redirect(
                    "signing:result", reference=normalise_reference(reference_form.cleaned_data["reference"])
                )
        else:
            upload_form = VerifyUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                result = services.verify_pdf(data=upload_form.cleaned_data["pdf"].read())
                return render(
                    request,
                    "signing/result.html",
                    _context(result=result, uploaded=True, parties=_parties(result)),
                )
    return render(request, "signing/verify.html", _context(upload_form=upload_form, reference_form=reference_form))


def _parties(result):
    if result is None or result.document is None:
        return []
    return services.parties_for_public(document=result.document)


@login_not_required
@require_http_methods(["GET"])
def result(request, reference: str):
    normalised = normalise_reference(reference)
    if normalised != reference:
        return redirect("signing:result", reference=normalised)
    if not ratelimit.hit(f"verify-ref:{client_ip(request)}", limit=120, period_s=600):
        raise Http404
    outcome = services.verify_reference(reference=reference)
    if outcome is None:
        return render(request, "signing/result.html", _context(result=None, reference=reference), status=404)
    return render(
        request,
        "signing/result.html",
        _context(result=outcome, reference=reference, parties=_parties(outcome), upload_form=VerifyUploadForm()),
    )
