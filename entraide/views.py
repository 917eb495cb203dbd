"""Portail du membre : mes demandes et mes prêts, déposer une demande, signer un contrat, rendre un avis."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from members.selectors import member_for_user
from soce.lib.exceptions import BusinessError
from soce.lib.signing import services as signing
from soce.lib.signing.client import ClientInfo
from soce.lib.signing.forms import DeclineForm, OtpForm, SignatureForm
from soce.lib.signing.models import DocumentStatus, PartyStatus
from soce.lib.signing.services import OTP_VALID_FOR_SIGNING, mask_email, sanitise_html

from . import selectors, services
from .forms import ContractForm, DocumentForm, OpinionForm, RequestForm
from .models import CaseStatus, LoanContract, LoanStatus, OpinionStatus
from .status_text import case_status_for_member, case_status_for_relay, loan_status_for_member

EDITABLE = {
    CaseStatus.DRAFT,
    CaseStatus.SUBMITTED,
    CaseStatus.INCOMPLETE,
    CaseStatus.INSTRUCTION,
    CaseStatus.OPINIONS,
    CaseStatus.READY,
}
# A relay only completes what they filed while it is in the filer's hands.
RELAY_EDITABLE = {CaseStatus.DRAFT, CaseStatus.INCOMPLETE}


@require_GET
def home(request):
    cases = list(selectors.my_cases(user=request.user))
    for case in cases:
        case.is_relay = selectors.portal_role(case=case, user=request.user) == selectors.PORTAL_RELAY
        case.member_status = case_status_for_relay(case) if case.is_relay else case_status_for_member(case)
    loans = list(selectors.my_loans(user=request.user))
    for loan in loans:
        loan.member_status = loan_status_for_member(loan)
    opinions = list(selectors.my_opinions(user=request.user).select_related("case"))
    return render(
        request,
        "entraide/portal/home.html",
        {"cases": cases, "loans": loans, "opinions": opinions, "is_entraide": selectors.is_entraide(request.user)},
    )


def request_new(request):
    member = member_for_user(user=request.user)
    if member is None:
        return render(request, "entraide/portal/no_member.html", status=200)
    form = RequestForm(request.POST or None, request.FILES or None, can_relay=services.can_relay(member))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.request_file(
                by=request.user,
                member=member,
                for_whom=data["for_whom"],
                kind_requested=data["kind_requested"],
                purpose=data["purpose"],
                amount_requested_eur=data["amount_requested_eur"],
                situation=data["situation"],
                files=data["documents"],
                relay_email=data.get("relay_email") or "",
                relative={
                    "first_name": data.get("relative_first_name") or "",
                    "last_name": data.get("relative_last_name") or "",
                    "relation": data.get("relative_relation") or "",
                },
                submit="draft" not in request.POST,
            )
        except BusinessError as exc:
            form.add_error(None, str(exc))
        else:
            if case.status == CaseStatus.DRAFT:
                messages.info(
                    request, _("Votre demande est enregistrée comme brouillon : envoyez-la quand elle est prête.")
                )
            else:
                messages.success(
                    request,
                    _("Votre demande est envoyée. Un bénévole de l'entraide vous répondra en toute confidentialité."),
                )
            return redirect("entraide:case", ref=case.public_id)
    return render(request, "entraide/portal/request.html", {"form": form, "member": member})


def case_detail(request, ref):
    case = selectors.my_case_get(user=request.user, public_id=ref)
    relay = selectors.portal_role(case=case, user=request.user) == selectors.PORTAL_RELAY
    can_add_documents = case.status in (RELAY_EDITABLE if relay else EDITABLE)
    can_submit = case.status in {CaseStatus.DRAFT, CaseStatus.INCOMPLETE}
    can_withdraw = not relay and case.status in case.BEFORE_DECISION
    document_form = DocumentForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "document" and can_add_documents:
                document_form = DocumentForm(request.POST, request.FILES)
                if document_form.is_valid():
                    services.document_add(
                        case=case,
                        uploaded=document_form.cleaned_data["file"],
                        by=request.user,
                        label=document_form.cleaned_data["label"],
                        shared=True,
                    )
                    messages.success(
                        request,
                        _("La pièce est ajoutée au dossier.") if relay else _("La pièce est ajoutée à votre dossier."),
                    )
                    return redirect("entraide:case", ref=case.public_id)
            elif action == "submit" and can_submit:
                services.case_submit(case=case, by=request.user, request=request)
                messages.success(request, _("La demande est envoyée.") if relay else _("Votre demande est envoyée."))
                return redirect("entraide:case", ref=case.public_id)
            elif action == "withdraw" and can_withdraw:
                services.case_withdraw(case=case, by=request.user, reason=_("Retirée par le demandeur"))
                messages.info(request, _("Votre demande est retirée."))
                return redirect("entraide:home")
            else:
                raise Http404
        except BusinessError as exc:
            messages.error(request, str(exc))
            return redirect("entraide:case", ref=case.public_id)
    services.case_read_log(
        case=case, user=request.user, request=request, what="portail (relais)" if relay else "portail"
    )
    return render(
        request,
        "entraide/portal/case.html",
        {
            "case": case,
            "is_relay": relay,
            "member_status": case_status_for_relay(case) if relay else case_status_for_member(case),
            "documents": list(selectors.portal_documents(case=case, user=request.user)),
            "loans": [] if relay else list(case.loans.exclude(status=LoanStatus.CANCELLED)),
            "document_form": document_form,
            "can_add_documents": can_add_documents,
            "can_submit": can_submit,
            "can_withdraw": can_withdraw,
        },
    )


@require_GET
def loan_detail(request, ref):
    loan = selectors.my_loan_get(user=request.user, public_id=ref)
    data = selectors.loan_detail_data(loan=loan)
    return render(
        request,
        "entraide/portal/loan.html",
        {"loan": loan, "member_status": loan_status_for_member(loan), **data},
    )


def _contract_of(loan) -> LoanContract | None:
    return LoanContract.objects.select_related("document").filter(loan=loan).first()


def contract(request, ref):
    """Step 1: read the contract, type the amount in figures and in words, commit on one's honour."""
    loan = selectors.my_loan_get(user=request.user, public_id=ref)
    existing = _contract_of(loan)
    if loan.status != LoanStatus.OFFERED:
        return redirect("entraide:loan", ref=loan.public_id)
    if existing and existing.document and existing.document.status == DocumentStatus.PENDING:
        return redirect("entraide:contract_step", ref=loan.public_id)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_start(
                loan=loan,
                user=request.user,
                amount_words=form.cleaned_data["amount_words"],
                amount_figures=form.cleaned_data["amount_figures"],
                accepted=form.cleaned_data["accepted"],
                client=ClientInfo.from_request(request),
            )
        except BusinessError as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("Montants vérifiés. Un code de signature vous a été envoyé par e-mail."))
            return redirect("entraide:contract_step", ref=loan.public_id)
    return render(
        request,
        "entraide/portal/contract.html",
        {
            "loan": loan,
            "form": form,
            "text": sanitise_html(services.contract_html(loan)),
            "consent_text": services.CONSENT_TEXT,
        },
    )


def _step_of(party) -> str:
    if party.status == PartyStatus.SIGNED:
        return "done"
    if party.status == PartyStatus.DECLINED:
        return "declined"
    if not party.otp_verified_at or party.otp_verified_at < timezone.now() - OTP_VALID_FOR_SIGNING:
        return "code"
    return "sign"


def _ceremony_objects(request, ref):
    loan = selectors.my_loan_get(user=request.user, public_id=ref)
    contract_row = _contract_of(loan)
    if contract_row is None or contract_row.document is None:
        raise Http404("Aucune signature en cours pour ce prêt.")
    party = contract_row.document.parties.get()
    return loan, contract_row, party


@require_GET
def contract_step(request, ref):
    """Steps 2 and 3 of the signing engine's ceremony: the e-mailed code, then the signature."""
    loan, contract_row, party = _ceremony_objects(request, ref)
    step = _step_of(party)
    last_otp = party.otps.order_by("-created_at").first() if step == "code" else None
    return render(
        request,
        "entraide/portal/contract_step.html",
        {
            "loan": loan,
            "contract": contract_row,
            "document": contract_row.document,
            "party": party,
            "step": step,
            "otp_form": OtpForm(),
            "form": SignatureForm(
                initial={"place": loan.beneficiary.member.city if loan.beneficiary.member_id else ""}
            ),
            "decline_form": DeclineForm(),
            "sent_to": mask_email(last_otp.sent_to) if last_otp else "",
            "verify_url": reverse("entraide:contract_code", args=[loan.public_id]),
            "resend_url": reverse("entraide:contract_resend", args=[loan.public_id]),
        },
    )


@require_POST
def contract_code(request, ref):
    loan, _contract, party = _ceremony_objects(request, ref)
    form = OtpForm(request.POST)
    try:
        check = signing.otp_verify(
            party=party,
            user=request.user,
            code=form.data.get("code", ""),
            client=ClientInfo.from_request(request),
        )
    except BusinessError as exc:
        messages.error(request, str(exc))
    else:
        if check.ok:
            messages.success(request, _("Code vérifié : vous pouvez signer."))
        else:
            messages.error(request, check.message)
    return redirect("entraide:contract_step", ref=loan.public_id)


@require_POST
def contract_resend(request, ref):
    loan, _contract, party = _ceremony_objects(request, ref)
    try:
        signing.otp_send(
            party=party, user=request.user, to=party.identity.get("email", ""), client=ClientInfo.from_request(request)
        )
        messages.info(request, _("Un nouveau code vous a été envoyé."))
    except BusinessError as exc:
        messages.error(request, str(exc))
    return redirect("entraide:contract_step", ref=loan.public_id)


@require_POST
def contract_sign(request, ref):
    loan, _contract, party = _ceremony_objects(request, ref)
    form = SignatureForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Indiquez le lieu de signature.")]:
            messages.error(request, error)
        return redirect("entraide:contract_step", ref=loan.public_id)
    try:
        signing.party_sign(
            party=party,
            user=request.user,
            signature_data_url=form.cleaned_data["signature"],
            typed_name=form.cleaned_data["typed_name"],
            place=form.cleaned_data["place"],
            client=ClientInfo.from_request(request),
        )
    except BusinessError as exc:
        messages.error(request, str(exc))
        return redirect("entraide:contract_step", ref=loan.public_id)
    messages.success(request, _("Votre contrat est signé. Le service entraide prépare le versement."))
    return redirect("entraide:loan", ref=loan.public_id)


@require_POST
def contract_decline(request, ref):
    loan, _contract, party = _ceremony_objects(request, ref)
    form = DeclineForm(request.POST)
    try:
        signing.party_decline(
            party=party, user=request.user, reason=form.data.get("reason", ""), client=ClientInfo.from_request(request)
        )
        messages.info(request, _("Votre refus est enregistré. Le service entraide reviendra vers vous."))
    except BusinessError as exc:
        messages.error(request, str(exc))
    return redirect("entraide:loan", ref=loan.public_id)


@require_GET
def contract_pdf(request, ref):
    loan = selectors.my_loan_get(user=request.user, public_id=ref)
    contract_row = _contract_of(loan)
    if contract_row is None or contract_row.document is None or contract_row.document.status != DocumentStatus.SEALED:
        raise Http404("Le contrat scellé n'est pas disponible.")
    response = HttpResponse(signing.document_sealed_pdf(document=contract_row.document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contrat-{loan.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def opinion(request, ref):
    item = selectors.opinion_get_for(user=request.user, public_id=ref)
    form = OpinionForm(request.POST or None)
    if request.method == "POST" and item.status == OpinionStatus.REQUESTED and form.is_valid():
        try:
            services.opinion_give(
                opinion=item, by=request.user, verdict=form.cleaned_data["verdict"], text=form.cleaned_data["text"]
            )
        except BusinessError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Merci : votre avis est transmis au comité d'entraide."))
            return redirect("entraide:home")
    services.case_read_log(case=item.case, user=request.user, request=request, what="avis")
    return render(request, "entraide/portal/opinion.html", {"opinion": item, "case": item.case, "form": form})


@require_GET
def document_download(request, ref):
    document = selectors.document_get_for(user=request.user, public_id=ref)
    services.case_read_log(
        case=document.case, user=request.user, request=request, what="pièce", data={"document": str(document.public_id)}
    )
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"piece-{document.public_id.hex[:8]}.{document.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
