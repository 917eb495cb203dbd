"""Espace bénévole, cérémonie de signature de la charte, contresignature, bilans."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.models import Member
from soce.lib import mfa
from soce.lib.exceptions import BusinessError
from soce.lib.signing import services as signing
from soce.lib.signing.client import ClientInfo
from soce.lib.signing.models import PartyStatus
from soce.lib.signing.services import OTP_VALID_FOR_SIGNING, mask_email

from . import selectors, services
from .forms import (
    CountersignConfirmForm,
    DeclineForm,
    NoticeForm,
    OtpForm,
    ReviewForm,
    SignatureForm,
    SignerConfirmForm,
)
from .models import CharterSignature, EngagementStatus


def _renew_url() -> str:
    try:
        return reverse("dues_renew")
    except Exception:  # the dues pages may not be deployed yet
        return "/cotisation/renouveler/"


def _member_or_404(request) -> Member:
    member = selectors.member_of(request.user)
    if member is None:
        raise Http404(_("Aucune fiche de membre n'est liée à ce compte."))
    return member


@require_GET
def home(request):
    member = selectors.member_of(request.user)
    if member is None:
        return render(request, "volunteers/home.html", {"member": None})
    current = selectors.charter_current()
    latest = selectors.latest_signature_of(member=member)
    context = {
        "member": member,
        "engagements": list(selectors.engagements_of(member=member)),
        "pending_reviews": list(selectors.pending_reviews_of(member=member)),
        "done_reviews": list(selectors.done_reviews_of(member=member)),
        "signatures": list(selectors.signatures_of(member=member)),
        "current": current,
        "latest": latest,
        "signed_current": selectors.has_signed_current(member=member, current=current),
        "is_representative": bool(selectors.mandates_for(member=member)),
        "notice_form": NoticeForm(),
    }
    return render(request, "volunteers/home.html", context)


@require_POST
def engagement_accept(request, public_id):
    engagement = selectors.engagement_for_volunteer(user=request.user, public_id=public_id)
    try:
        services.engagement_accept(engagement=engagement, by=request.user)
    except BusinessError as error:
        messages.error(request, str(error))
        return redirect("volunteers:home")
    if engagement.status == EngagementStatus.AWAITING_SIGNATURE:
        messages.success(request, _("Mission acceptée. Dernière étape : signer la charte du bénévole."))
        return redirect("volunteers:charter")
    messages.success(request, _("Mission acceptée : votre engagement commence."))
    return redirect("volunteers:home")


@require_POST
def engagement_notice(request, public_id):
    engagement = selectors.engagement_for_volunteer(user=request.user, public_id=public_id)
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_give_notice(engagement=engagement, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("Votre préavis est enregistré. Merci pour votre engagement."))
        except BusinessError as error:
            messages.error(request, str(error))
    return redirect("volunteers:home")


# ---------------------------------------------------------------------------------------------- signer


def _charter_page_context(member: Member, today) -> dict:
    current = selectors.charter_current()
    engagement = selectors.engagement_to_sign_for(member=member)
    return {
        "member": member,
        "version": current,
        "identity": services.identity_of(member, mission=engagement.mission if engagement else None),
        "engagement": engagement,
        "consent_text": services.CONSENT_TEXT,
        "consent_version": services.CONSENT_VERSION,
        "evidence_text": services.EVIDENCE_TEXT,
        "evidence_version": services.EVIDENCE_VERSION,
    }


@require_http_methods(["GET", "POST"])
def charter(request):
    """Preconditions, then the charter in full with the identity to confirm and the consents to accept."""
    today = timezone.localdate()
    member = selectors.member_of(request.user)
    problems = selectors.charter_preconditions(member=member, today=today)
    if problems:
        return render(
            request,
            "volunteers/charter_blocked.html",
            {"problems": problems, "codes": {p.code for p in problems}, "renew_url": _renew_url()},
        )
    latest = selectors.latest_signature_of(member=member)
    if selectors.has_signed_current(member=member) and latest is not None:
        if latest.document_id is None:
            messages.info(request, _("Vous avez signé la charte en vigueur sur papier : rien de plus à faire."))
            return redirect("volunteers:home")
        return redirect("volunteers:charter_step", public_id=latest.public_id)
    form = SignerConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = ClientInfo.from_request(request)
        try:
            signature = services.charter_signature_start(member=member, user=request.user, client=client, today=today)
            services.charter_signer_confirm(signature=signature, user=request.user, client=client)
        except BusinessError as error:
            messages.error(request, str(error))
            return redirect("volunteers:charter")
        messages.info(request, _("Un code vous a été envoyé par e-mail : saisissez-le pour continuer."))
        return redirect("volunteers:charter_step", public_id=signature.public_id)
    context = _charter_page_context(member, today)
    context.update(form=form, pending=latest if latest and latest.document.status == "pending" else None)
    return render(request, "volunteers/charter.html", context)


def _step_of(party) -> str:
    if party.status == PartyStatus.SIGNED:
        return "done"
    if party.status == PartyStatus.DECLINED:
        return "declined"
    if not party.consent_accepted_at:
        return "confirm"
    if not party.otp_verified_at or party.otp_verified_at < timezone.now() - OTP_VALID_FOR_SIGNING:
        return "code"
    return "sign"


def _ceremony(request, *, signature: CharterSignature, party, role: str, extra: dict | None = None):
    member = signature.volunteer
    step = _step_of(party)
    last_otp = party.otps.order_by("-created_at").first() if step == "code" else None
    prefix = "volunteers:charter" if role == "signer" else "volunteers:countersign"
    context = {
        "role": role,
        "signature": signature,
        "version": signature.version,
        "document": signature.document,
        "party": party,
        "step": step,
        "volunteer": member,
        "otp_form": OtpForm(),
        "sign_form": SignatureForm(initial={"place": member.city if role == "signer" else ""}),
        "decline_form": DeclineForm(),
        "sent_to": mask_email(last_otp.sent_to) if last_otp else "",
        "verify_url": reverse(f"{prefix}_code", args=[signature.public_id]),
        "resend_url": reverse(f"{prefix}_resend", args=[signature.public_id]),
        "sign_url": reverse(f"{prefix}_sign", args=[signature.public_id]),
        "pdf_url": reverse("volunteers:charter_pdf", args=[signature.public_id]),
        **(extra or {}),
    }
    return render(request, "volunteers/ceremony.html", context)


@require_GET
def charter_step(request, public_id):
    signature = selectors.signature_for_signer(user=request.user, public_id=public_id)
    party = selectors.signer_party(signature=signature)
    if _step_of(party) == "confirm":
        return redirect("volunteers:charter")
    return _ceremony(request, signature=signature, party=party, role="signer")


def _verify_code(request, *, signature, party, next_url):
    form = OtpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Saisissez le code à 6 chiffres reçu par e-mail."))
        return redirect(next_url)
    try:
        check = signing.otp_verify(
            party=party, user=request.user, code=form.cleaned_data["code"], client=ClientInfo.from_request(request)
        )
    except BusinessError as error:
        messages.error(request, str(error))
        return redirect(next_url)
    if check.ok:
        messages.success(request, _("Code vérifié : vous pouvez signer."))
    else:
        messages.error(request, check.message)
    return redirect(next_url)


def _resend(request, *, party, next_url):
    try:
        services.otp_resend(party=party, user=request.user, client=ClientInfo.from_request(request))
        messages.info(request, _("Un nouveau code vous a été envoyé."))
    except BusinessError as error:
        messages.error(request, str(error))
    return redirect(next_url)


def _sign(request, *, party, next_url, success: str):
    form = SignatureForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Indiquez le lieu de signature.")]:
            messages.error(request, error)
        return redirect(next_url)
    try:
        signing.party_sign(
            party=party,
            user=request.user,
            signature_data_url=form.cleaned_data["signature"],
            typed_name=form.cleaned_data["typed_name"],
            place=form.cleaned_data["place"],
            client=ClientInfo.from_request(request),
        )
    except BusinessError as error:
        messages.error(request, str(error))
        return redirect(next_url)
    messages.success(request, success)
    return redirect(next_url)


@require_POST
def charter_code(request, public_id):
    signature = selectors.signature_for_signer(user=request.user, public_id=public_id)
    party = selectors.signer_party(signature=signature)
    return _verify_code(
        request, signature=signature, party=party, next_url=reverse("volunteers:charter_step", args=[public_id])
    )


@require_POST
def charter_resend(request, public_id):
    signature = selectors.signature_for_signer(user=request.user, public_id=public_id)
    party = selectors.signer_party(signature=signature)
    return _resend(request, party=party, next_url=reverse("volunteers:charter_step", args=[public_id]))


@require_POST
def charter_sign(request, public_id):
    signature = selectors.signature_for_signer(user=request.user, public_id=public_id)
    party = selectors.signer_party(signature=signature)
    return _sign(
        request,
        party=party,
        next_url=reverse("volunteers:charter_step", args=[public_id]),
        success=_("Charte signée. Elle attend maintenant la contresignature d'un représentant de la Soce."),
    )


@require_POST
def charter_decline(request, public_id):
    signature = selectors.signature_for_signer(user=request.user, public_id=public_id)
    party = selectors.signer_party(signature=signature)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de votre refus."))
        return redirect("volunteers:charter_step", public_id=public_id)
    try:
        signing.party_decline(
            party=party, user=request.user, reason=form.cleaned_data["reason"], client=ClientInfo.from_request(request)
        )
        messages.info(request, _("Votre refus est enregistré. L'équipe du bénévolat reviendra vers vous."))
    except BusinessError as error:
        messages.error(request, str(error))
    return redirect("volunteers:charter_step", public_id=public_id)


@require_GET
def charter_pdf(request, public_id):
    signature = selectors.signature_for_download(
        user=request.user, public_id=public_id, second_factor=mfa.session_used_mfa(request)
    )
    if getattr(signature, "downloaded_as_staff", False):
        services.charter_pdf_downloaded(signature=signature, by=request.user, request=request)
    response = HttpResponse(signing.document_sealed_pdf(document=signature.document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{signature.document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------- countersigner


@require_GET
def countersign_queue(request):
    member = selectors.member_of(request.user)
    mandates = selectors.mandates_for(member=member)
    if not mandates:
        raise Http404(_("Vous n'avez pas de mandat de contresignature."))
    queue = list(selectors.countersign_queue(member=member, mandates=mandates))
    return render(request, "volunteers/countersign_queue.html", {"queue": queue, "mandates": mandates})


@require_GET
def countersign(request, public_id):
    signature = selectors.signature_for_countersigner(user=request.user, public_id=public_id)
    party = selectors.countersigner_party(signature=signature)
    member = _member_or_404(request)
    mandates = selectors.mandates_for(member=member, covering=signature)
    held_by_me = party.user_id == request.user.pk
    extra = {
        "mandates": mandates,
        "confirm_form": CountersignConfirmForm(mandates=mandates),
        "take_url": reverse("volunteers:countersign_take", args=[public_id]),
        "my_identity": services.identity_of(member),
        "volunteer_party": selectors.signer_party(signature=signature),
        "consent_text": services.COUNTERSIGN_CONSENT_TEXT,
        "evidence_text": services.EVIDENCE_TEXT,
    }
    if not held_by_me and party.status == PartyStatus.PENDING:
        party.consent_accepted_at = None  # someone else's progress is not ours: start at the confirmation
    return _ceremony(request, signature=signature, party=party, role="countersigner", extra=extra)


@require_POST
def countersign_take(request, public_id):
    signature = selectors.signature_for_countersigner(user=request.user, public_id=public_id)
    member = _member_or_404(request)
    form = CountersignConfirmForm(request.POST, mandates=selectors.mandates_for(member=member, covering=signature))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("volunteers:countersign", public_id=public_id)
    try:
        services.countersign_confirm(
            signature=signature,
            user=request.user,
            mandate=form.cleaned_data["mandate"],
            client=ClientInfo.from_request(request),
        )
    except BusinessError as error:
        messages.error(request, str(error))
        return redirect("volunteers:countersign", public_id=public_id)
    messages.info(request, _("Un code vous a été envoyé par e-mail : saisissez-le pour continuer."))
    return redirect("volunteers:countersign", public_id=public_id)


@require_POST
def countersign_code(request, public_id):
    signature = selectors.signature_for_countersigner(user=request.user, public_id=public_id)
    party = selectors.countersigner_party(signature=signature)
    return _verify_code(
        request, signature=signature, party=party, next_url=reverse("volunteers:countersign", args=[public_id])
    )


@require_POST
def countersign_resend(request, public_id):
    signature = selectors.signature_for_countersigner(user=request.user, public_id=public_id)
    party = selectors.countersigner_party(signature=signature)
    return _resend(request, party=party, next_url=reverse("volunteers:countersign", args=[public_id]))


@require_POST
def countersign_sign(request, public_id):
    signature = selectors.signature_for_countersigner(user=request.user, public_id=public_id)
    party = selectors.countersigner_party(signature=signature)
    return _sign(
        request,
        party=party,
        next_url=reverse("volunteers:countersign", args=[public_id]),
        success=_("Charte contresignée. Le PDF scellé part par e-mail aux deux signataires."),
    )


# ---------------------------------------------------------------------------------------------- reviews


@require_http_methods(["GET", "POST"])
def review(request, public_id):
    """The volunteer prepares the review; the referent completes and closes it with them."""
    item = selectors.review_for(user=request.user, public_id=public_id)
    can_close = selectors.can_close_review(user=request.user, review=item)
    closing = can_close and "close" in request.POST
    form = None
    if not item.is_done:
        form = ReviewForm(request.POST or None, instance=item, closing=closing)
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        fields = {
            "achievements": data["achievements"],
            "difficulties": data["difficulties"],
            "needs": data["needs"],
            "outlook": data["outlook"],
            "next_due_on": data["next_due_on"],
        }
        try:
            if closing:
                services.review_complete(review=item, by=request.user, **fields)
            else:
                services.review_prepare(review=item, by=request.user, **fields)
        except BusinessError as error:
            messages.error(request, str(error))
            return redirect("volunteers:review", public_id=public_id)
        if closing:
            messages.success(request, _("Bilan validé, merci. Le prochain est programmé."))
        elif can_close:
            messages.success(request, _("Brouillon du bilan enregistré."))
        else:
            messages.success(request, _("Bilan préparé : votre référent le validera avec vous."))
        return redirect("volunteers:home")
    return render(request, "volunteers/review.html", {"review": item, "form": form, "can_close": can_close})
