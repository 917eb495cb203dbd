"""Service entraide (groupe Entraide, double authentification) : dossiers, séances, paiements, prêts, cautions.

Les vues lisent par les sélecteurs (404 hors du cercle du dossier) et écrivent par les services.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from soce.lib.exceptions import BusinessError
from soce.lib.mfa import staff_mfa_missing
from soce.lib.pagination import KeysFirstPaginator

from . import forms as f
from . import selectors, services
from .models import (
    AidCase,
    AidKind,
    CaseStatus,
    GuaranteeStatus,
    LoanStatus,
    MeasureStatus,
    OpinionStatus,
    PaymentStatus,
    SessionStatus,
)

PAGE_SIZE = 50


class EntraideStaffMixin(PermissionRequiredMixin):
    """Entraide group only (others get a 404, as for a case that does not exist), after 2FA."""

    permission_required = "entraide.view_aidcase"

    def handle_no_permission(self):
        raise Http404

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        missing = staff_mfa_missing(request)
        if missing == "setup":
            messages.warning(request, _("Les dossiers d'entraide exigent la double authentification : activez-la."))
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
        if missing == "verify":
            messages.info(request, _("Confirmez votre identité avec votre code de double authentification."))
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        return super().dispatch(request, *args, **kwargs)


def _safe_next(request, *, fallback: str) -> str:
    """The « next » page if it stays on this site, else the fallback (never an open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def run(request, form, handler: Callable[[dict], object], success: str) -> bool:
    """Validates the form, calls the service, reports in French. True when it worked."""
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return False
    try:
        handler(form.cleaned_data if form is not None else {})
    except BusinessError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


# ---------------------------------------------------------------------------------------------
# Tableau de bord et dossiers
# ---------------------------------------------------------------------------------------------


class Dashboard(EntraideStaffMixin, View):
    def get(self, request):
        user = request.user
        today = timezone.localdate()
        counts = selectors.case_counts(user=user)
        return render(
            request,
            "entraide/staff/dashboard.html",
            {
                "counts": [(value, label, counts.get(value, 0)) for value, label in CaseStatus.choices],
                "triage": list(selectors.triage_cases(user=user)[:20]),
                "urgent_pending": list(selectors.urgent_pending(user=user)),
                "envelope": services.envelope_summary(year=today.year),
                "sessions": list(selectors.sessions_for(user=user).filter(held_on__gte=today).order_by("held_on")[:3]),
                "payments": selectors.payments_to_validate(user=user),
                "followups": list(selectors.followups_open(user=user)[:10]),
                "cap": services.settings_get().student_loan_cap_eur,
            },
        )


class CaseList(EntraideStaffMixin, View):
    def get(self, request):
        status = request.GET.get("etat") or ""
        if status and status not in CaseStatus.values:
            status = ""
        page = KeysFirstPaginator(selectors.case_list(user=request.user, status=status or None), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        services.case_list_read_log(user=request.user, cases=page.object_list, request=request, what="liste")
        return render(
            request,
            "entraide/staff/case_list.html",
            {"page": page, "status": status, "statuses": CaseStatus.choices},
        )


class TriageCase(EntraideStaffMixin, View):
    """A new case without instructor: no name shown until someone takes it."""

    def get(self, request, ref):
        case = selectors.triage_get(user=request.user, public_id=ref)
        form = f.AssignForm(initial={"instructor": request.user.pk})
        return render(request, "entraide/staff/triage.html", {"case": case, "form": form})

    def post(self, request, ref):
        case = selectors.triage_get(user=request.user, public_id=ref)
        form = f.AssignForm(request.POST)
        ok = run(
            request,
            form,
            lambda d: services.case_assign(
                case=case, instructor=d["instructor"], rapporteur=d["rapporteur"], by=request.user
            ),
            _("Le dossier est attribué."),
        )
        if ok and form.cleaned_data["instructor"] == request.user:
            return redirect("entraide:staff_case", ref=case.public_id)
        return redirect("entraide:staff_home")


class CaseDetail(EntraideStaffMixin, View):
    def get(self, request, ref):
        case = selectors.case_get_for(user=request.user, public_id=ref)
        services.case_read_log(case=case, user=request.user, request=request, what="dossier")
        data = selectors.case_detail_data(case=case)
        chair = request.user.pk in services.current_chair_ids()
        beneficiary = case.beneficiary
        cap_left = (
            services.loan_cap_left(member=beneficiary.member)
            if case.is_student_case and beneficiary.member_id
            else None
        )
        granted_left = None
        if case.status == CaseStatus.APPROVED and case.decided_kind in {AidKind.GRANT, AidKind.SCHOLARSHIP}:
            engaged = sum((g.amount_eur for g in data["grants"] if g.status != PaymentStatus.CANCELLED), services.ZERO)
            granted_left = (case.amount_granted_eur or services.ZERO) - engaged
        return render(
            request,
            "entraide/staff/case_detail.html",
            {
                "case": case,
                **data,
                "is_chair": chair,
                "is_instructor": case.instructor_id == request.user.pk,
                "cap_left": cap_left,
                "granted_left": granted_left,
                "forms": {
                    "assign": f.AssignForm(initial={"instructor": case.instructor_id}),
                    "rapporteur": f.RapporteurForm(initial={"rapporteur": case.rapporteur_id}),
                    "incomplete": f.MessageForm(),
                    "note": f.NoteForm(),
                    "reason": f.ReasonForm(),
                    "urgent": f.UrgentRequestForm(),
                    "grant": f.GrantPrepareForm(
                        initial={"amount_eur": granted_left, "account_holder": beneficiary.display_name}
                    ),
                    "guarantee": f.GuaranteeForm(initial={"ceiling_eur": case.amount_granted_eur}),
                    "document": f.StaffDocumentForm(),
                },
                "OpinionStatus": OpinionStatus,
            },
        )


class CaseAccessLog(EntraideStaffMixin, View):
    """« Qui a ouvert ce dossier » : for holders of the right, within the circle."""

    def get(self, request, ref):
        if not request.user.has_perm("entraide.view_access_log"):
            raise Http404
        case = selectors.case_get_for(user=request.user, public_id=ref)
        page = Paginator(selectors.access_log(case=case), 100).get_page(request.GET.get("page"))
        return render(request, "entraide/staff/access_log.html", {"case": case, "page": page})


class CaseAction(EntraideStaffMixin, View):
    @staticmethod
    def _document(case, public_id):
        document = case.documents.filter(public_id=public_id).first()
        if document is None:
            raise Http404
        return document

    def post(self, request, ref, action):
        case = selectors.case_get_for(user=request.user, public_id=ref)
        user = request.user
        post, files = request.POST, request.FILES
        actions = {
            "attribuer": (
                f.AssignForm(post),
                lambda d: services.case_assign(
                    case=case, instructor=d["instructor"], rapporteur=d["rapporteur"], by=user
                ),
                _("Instructeur enregistré."),
            ),
            "rapporteur": (
                f.RapporteurForm(post),
                lambda d: services.case_set_rapporteur(case=case, rapporteur=d["rapporteur"], by=user),
                _("Rapporteur désigné."),
            ),
            "incomplet": (
                f.MessageForm(post),
                lambda d: services.case_mark_incomplete(case=case, by=user, message=d["message"]),
                _("Le demandeur est invité à compléter son dossier."),
            ),
            "avis": (None, lambda d: services.opinions_request(case=case, by=user), _("Les avis sont demandés.")),
            "pret-pour-comite": (
                f.NoteForm(post),
                lambda d: services.case_mark_ready(case=case, by=user, note=d["note"]),
                _("Le dossier attend la prochaine séance."),
            ),
            "retour-instruction": (
                f.NoteForm(post),
                lambda d: services.case_back_to_instruction(case=case, by=user, note=d["note"]),
                _("Le dossier revient en instruction."),
            ),
            "retirer": (
                f.ReasonForm(post),
                lambda d: services.case_withdraw(case=case, by=user, reason=d["reason"]),
                _("Le dossier est retiré."),
            ),
            "urgence": (
                f.UrgentRequestForm(post),
                lambda d: services.urgent_request(case=case, by=user, amount_eur=d["amount_eur"], reason=d["reason"]),
                _("La demande d'aide d'urgence attend l'accord du président et du trésorier."),
            ),
            "secours": (
                f.GrantPrepareForm(post),
                lambda d: services.grant_prepare(case=case, by=user, **d),
                _("Le paiement est préparé ; une autre personne doit le valider."),
            ),
            "caution": (
                f.GuaranteeForm(post),
                lambda d: services.guarantee_register(case=case, by=user, **d),
                _("La caution est enregistrée."),
            ),
            "piece": (
                f.StaffDocumentForm(post, files),
                lambda d: services.document_add(
                    case=case, uploaded=d["file"], by=user, label=d["label"], shared=d["shared"]
                ),
                _("La pièce est ajoutée."),
            ),
            "partage-piece": (
                f.DocumentShareForm(post),
                lambda d: services.document_share(
                    document=self._document(case, d["document"]), by=user, shared=d["shared"]
                ),
                _("Visibilité de la pièce enregistrée."),
            ),
        }
        if action not in actions:
            raise Http404
        form, handler, success = actions[action]
        run(request, form, handler, success)
        return redirect("entraide:staff_case", ref=case.public_id)


class OpinionWaive(EntraideStaffMixin, View):
    def post(self, request, ref):
        from .models import Opinion

        opinion = Opinion.objects.filter(public_id=ref, case__in=selectors.cases_for(user=request.user)).first()
        if opinion is None:
            raise Http404
        run(
            request,
            f.ReasonForm(request.POST),
            lambda d: services.opinion_waive(opinion=opinion, by=request.user, reason=d["reason"]),
            _("L'avis manquant est levé."),
        )
        return redirect("entraide:staff_case", ref=opinion.case.public_id)


class UrgentApprove(EntraideStaffMixin, View):
    def post(self, request, pk):
        urgent = selectors.urgent_get_for(user=request.user, pk=pk)
        run(
            request,
            None,
            lambda d: services.urgent_approve(urgent=urgent, by=request.user),
            _("Votre accord est enregistré."),
        )
        return redirect("entraide:staff_case", ref=urgent.case.public_id)


# ---------------------------------------------------------------------------------------------
# Séances
# ---------------------------------------------------------------------------------------------


class SessionList(EntraideStaffMixin, View):
    def get(self, request, form=None):
        sessions = selectors.sessions_for(user=request.user).order_by("-held_on")
        page = Paginator(sessions, 24).get_page(request.GET.get("page"))
        return render(
            request,
            "entraide/staff/session_list.html",
            {
                "page": page,
                "form": form or f.SessionForm(),
                "can_manage": request.user.has_perm("entraide.manage_session"),
                "ready_count": selectors.ready_cases(user=request.user).count(),
            },
        )

    def post(self, request):
        if not request.user.has_perm("entraide.manage_session"):
            raise Http404
        form = f.SessionForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        session = services.session_create(
            held_on=form.cleaned_data["held_on"], place=form.cleaned_data["place"], by=request.user
        )
        messages.success(
            request,
            _(
                "La séance est créée ; le comité y est convoqué, et l'ordre du jour reprend les dossiers prêts "
                "pour le comité."
            ),
        )
        return redirect("entraide:staff_session", ref=session.public_id)


class SessionDetail(EntraideStaffMixin, View):
    def get(self, request, ref):
        session = selectors.session_get_for(user=request.user, public_id=ref)
        data = selectors.session_detail_data(session=session, user=request.user)
        services.case_list_read_log(
            user=request.user,
            cases=[c for c in data["cases"] if c.visible] + [i.loan.case for i in data["agenda_loans"] if i.visible],
            request=request,
            what="séance",
        )
        manager = data["me"] is not None and request.user.has_perm("entraide.manage_session")
        for case in data["cases"]:
            case.decision_form = f.DecisionForm(prefix=f"c{case.pk}", initial={"amount_eur": case.amount_requested_eur})
        return render(
            request,
            "entraide/staff/session_detail.html",
            {
                "session": session,
                **data,
                "manager": manager,
                "ready": list(selectors.ready_cases(user=request.user)) if manager else [],
                "committee_loans": list(selectors.loans_for_committee(user=request.user)) if manager else [],
                "attendance_form": f.AttendanceForm(members=data["members"]),
                "recusal_form": f.RecusalForm(members=data["members"]),
                "ratify_form": f.RatifyForm(),
                "quorum": services.settings_get().quorum,
                "envelope": services.envelope_summary(year=session.held_on.year),
                "Status": SessionStatus,
            },
        )


class SessionMinutes(EntraideStaffMixin, View):
    def get(self, request, ref):
        session = selectors.session_get_for(user=request.user, public_id=ref)
        if not session.members.filter(user=request.user).exists():
            raise Http404
        from soce.lib.audit import audit_log

        from .pdf import session_minutes_pdf

        # A member recused from some cases gets a copy where those lines keep only their reference:
        # rendered for them, never the full stored minutes.
        recused = frozenset(session.recusals.filter(user=request.user).values_list("case_id", flat=True))
        audit_log(
            session,
            action="session.minutes_read",
            by=request.user,
            request=request,
            data={"redacted": True} if recused else {},
        )
        # The minutes name the beneficiary of each decision they print.
        services.case_list_read_log(
            user=request.user,
            cases=[d.case for d in session.decisions.select_related("case") if d.case_id not in recused],
            request=request,
            what="procès-verbal",
        )
        if recused:
            response = HttpResponse(
                session_minutes_pdf(session, recused_case_ids=recused), content_type="application/pdf"
            )
            prefix = "pv" if session.status == SessionStatus.CLOSED else "pv-projet"
            response["Content-Disposition"] = f'attachment; filename="{prefix}-{session.held_on:%Y-%m-%d}.pdf"'
            response["Cache-Control"] = "private, no-store"
            return response
        if session.minutes_pdf:
            return FileResponse(
                session.minutes_pdf.open("rb"),
                content_type="application/pdf",
                as_attachment=True,
                filename=f"pv-comite-entraide-{session.held_on:%Y-%m-%d}.pdf",
            )
        response = HttpResponse(session_minutes_pdf(session), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="pv-projet-{session.held_on:%Y-%m-%d}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class SessionAction(EntraideStaffMixin, View):
    def post(self, request, ref, action):
        session = selectors.session_get_for(user=request.user, public_id=ref)
        user = request.user
        post = request.POST
        members = list(session.members.select_related("user"))

        def agenda_case():
            case = selectors.cases_for(user=user).filter(public_id=post.get("case"), session=session).first()
            if case is None:
                raise Http404
            return case

        if action == "ajouter":
            case = selectors.ready_get(user=user, public_id=post.get("case"))
            run(
                request,
                None,
                lambda d: services.session_add_case(session=session, case=case, by=user),
                _("Dossier inscrit à l'ordre du jour."),
            )
        elif action == "retirer":
            case = AidCase.objects.filter(public_id=post.get("case"), session=session).first()
            if case is None:
                raise Http404
            run(
                request,
                None,
                lambda d: services.session_remove_case(session=session, case=case, by=user),
                _("Dossier retiré de l'ordre du jour."),
            )
        elif action == "composer":
            try:
                cases, loans = services.session_compose_agenda(session=session, by=user)
            except BusinessError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Ordre du jour composé : %(cases)s dossier(s) et %(loans)s prêt(s) ajoutés.")
                    % {"cases": cases, "loans": loans},
                )
        elif action == "ajouter-pret":
            ref = post.get("loan")
            loan = (
                selectors.loans_for_committee(user=user).filter(public_id=ref).first()
                or selectors.loans_for(user=user).filter(public_id=ref).first()
            )
            if loan is None:
                raise Http404
            run(
                request,
                None,
                lambda d: services.session_add_loan(session=session, loan=loan, by=user),
                _("Le prêt est inscrit à l'ordre du jour."),
            )
        elif action == "retirer-pret":
            item = session.agenda_loans.select_related("loan").filter(loan__public_id=post.get("loan")).first()
            if item is None:
                raise Http404
            run(
                request,
                None,
                lambda d: services.session_remove_loan(session=session, loan=item.loan, by=user),
                _("Prêt retiré de l'ordre du jour."),
            )
        elif action == "presences":
            run(
                request,
                f.AttendanceForm(post, members=members),
                lambda d: services.session_set_attendance(
                    session=session, present_ids={int(i) for i in d["present"]}, by=user
                ),
                _("Présences enregistrées."),
            )
        elif action == "ouvrir":
            run(request, None, lambda d: services.session_open(session=session, by=user), _("La séance est ouverte."))
        elif action == "decider":
            case = agenda_case()
            form = f.DecisionForm(post, prefix=f"c{case.pk}")
            run(
                request,
                form,
                lambda d: services.case_decide(
                    case=case,
                    by=user,
                    outcome=d["outcome"],
                    kind=d["kind"],
                    amount_eur=d["amount_eur"],
                    conditions=d["conditions"],
                    reason=d["reason"],
                    instalments_count=d["instalments_count"],
                    deferral_months=d["deferral_months"],
                ),
                _("La décision est enregistrée."),
            )
        elif action == "recusation":
            case = AidCase.objects.filter(public_id=post.get("case"), session=session).first()
            if case is None:
                raise Http404
            form = f.RecusalForm(post, members=members)
            member_users = {m.user_id: m.user for m in members}
            run(
                request,
                form,
                lambda d: services.recusal_add(
                    session=session, case=case, user=member_users[d["user"]], by=user, reason=d["reason"]
                ),
                _("Récusation enregistrée."),
            )
        elif action == "ratifier":
            urgent = session.urgent_aids.filter(pk=post.get("urgent")).first()
            if urgent is None:
                raise Http404
            run(
                request,
                f.RatifyForm(post),
                lambda d: services.urgent_ratify(urgent=urgent, by=user, ratified=d["ratified"], note=d["note"]),
                _("Ratification enregistrée."),
            )
        elif action == "clore":
            run(
                request,
                None,
                lambda d: services.session_close(session=session, by=user),
                _("La séance est close ; le procès-verbal est prêt."),
            )
        elif action == "annuler":
            run(request, None, lambda d: services.session_cancel(session=session, by=user), _("La séance est annulée."))
        else:
            raise Http404
        return redirect("entraide:staff_session", ref=session.public_id)


# ---------------------------------------------------------------------------------------------
# Paiements
# ---------------------------------------------------------------------------------------------


class Payments(EntraideStaffMixin, View):
    def get(self, request):
        data = selectors.payments_to_validate(user=request.user)
        # Names and full IBANs: a read of each case shown.
        services.case_list_read_log(
            user=request.user,
            cases=[g.case for g in data["grants"]]
            + [d.loan.case for d in data["disbursements"]]
            + [g.case for g in data["proofs"]],
            request=request,
            what="paiements",
        )
        return render(
            request,
            "entraide/staff/payments.html",
            {**data, "paid_form": f.PaidForm(), "reason_form": f.ReasonForm()},
        )


class PaymentAction(EntraideStaffMixin, View):
    def post(self, request, kind, ref, action):
        user = request.user
        if kind == "secours":
            item = selectors.grant_get_for(user=user, public_id=ref)
            handlers = {
                "valider": (None, lambda d: services.grant_validate(grant=item, by=user), _("Paiement validé.")),
                "paye": (
                    f.PaidForm(request.POST),
                    lambda d: services.grant_mark_paid(
                        grant=item, by=user, paid_on=d["paid_on"], reference=d["reference"]
                    ),
                    _("Paiement enregistré."),
                ),
                "justificatif": (
                    None,
                    lambda d: services.grant_receive_proof(grant=item, by=user),
                    _("Justificatif reçu : secours clos."),
                ),
                "annuler": (
                    f.ReasonForm(request.POST),
                    lambda d: services.grant_cancel(grant=item, by=user, reason=d["reason"]),
                    _("Paiement annulé."),
                ),
            }
        elif kind == "tranche":
            item = selectors.disbursement_get_for(user=user, public_id=ref)
            handlers = {
                "valider": (
                    None,
                    lambda d: services.disbursement_validate(disbursement=item, by=user),
                    _("Tranche validée."),
                ),
                "paye": (
                    f.PaidForm(request.POST),
                    lambda d: services.disbursement_mark_paid(
                        disbursement=item, by=user, paid_on=d["paid_on"], reference=d["reference"]
                    ),
                    _("Versement enregistré."),
                ),
                "annuler": (
                    f.ReasonForm(request.POST),
                    lambda d: services.disbursement_cancel(disbursement=item, by=user, reason=d["reason"]),
                    _("Tranche annulée."),
                ),
            }
        else:
            raise Http404
        if action not in handlers:
            raise Http404
        form, handler, success = handlers[action]
        run(request, form, handler, success)
        return redirect(_safe_next(request, fallback=reverse("entraide:staff_payments")))


# ---------------------------------------------------------------------------------------------
# Prêts
# ---------------------------------------------------------------------------------------------


class LoanList(EntraideStaffMixin, View):
    def get(self, request):
        arrears = request.GET.get("retard") == "1"
        page = Paginator(selectors.loan_list(user=request.user, arrears_only=arrears), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        services.case_list_read_log(
            user=request.user, cases=[loan.case for loan in page.object_list], request=request, what="prêts"
        )
        return render(request, "entraide/staff/loan_list.html", {"page": page, "arrears": arrears})


class LoanDetail(EntraideStaffMixin, View):
    def get(self, request, ref):
        loan = selectors.loan_get_for(user=request.user, public_id=ref)
        services.case_read_log(case=loan.case, user=request.user, request=request, what="prêt")
        data = selectors.loan_detail_data(loan=loan)
        may_record = request.user.has_perm(services.REPAYMENT_PERM)
        return render(
            request,
            "entraide/staff/loan_detail.html",
            {
                "loan": loan,
                **data,
                "may_record_repayments": may_record,
                "can_record_repayment": may_record
                and loan.status
                in {LoanStatus.DEFERRED, LoanStatus.REPAYING, LoanStatus.DISBURSING, LoanStatus.WRITTEN_OFF},
                "repayment_form": f.RepaymentForm(),
                "disbursement_form": f.DisbursementForm(initial={"account_holder": loan.beneficiary.display_name}),
                "measure_form": f.MeasureForm(loan=loan, user=request.user),
                "agenda_form": f.LoanAgendaForm(sessions=selectors.planned_sessions_for(user=request.user)),
                "reason_form": f.ReasonForm(),
                "followup_form": f.FollowUpDoneForm(),
                "LoanStatus": LoanStatus,
                "MeasureStatus": MeasureStatus,
            },
        )


class LoanAction(EntraideStaffMixin, View):
    def post(self, request, ref, action):
        loan = selectors.loan_get_for(user=request.user, public_id=ref)
        user = request.user
        post = request.POST

        def repayment():
            item = loan.repayments.filter(public_id=post.get("repayment")).first()
            if item is None:
                raise Http404
            return item

        def measure():
            item = loan.measures.filter(public_id=post.get("measure")).first()
            if item is None:
                raise Http404
            return item

        handlers = {
            "remboursement": (
                f.RepaymentForm(post),
                lambda d: services.repayment_record(loan=loan, by=user, **d),
                _("Remboursement enregistré."),
            ),
            "contre-passer": (
                f.ReasonForm(post),
                lambda d: services.repayment_reverse(repayment=repayment(), by=user, reason=d["reason"]),
                _("Contre-passation enregistrée."),
            ),
            "tranche": (
                f.DisbursementForm(post),
                lambda d: services.disbursement_prepare(loan=loan, by=user, **d),
                _("Tranche préparée ; une autre personne doit la valider."),
            ),
            "comite": (
                f.LoanAgendaForm(post, sessions=selectors.planned_sessions_for(user=user)),
                lambda d: services.session_add_loan(session=d["session"], loan=loan, by=user),
                _("Le prêt est inscrit à l'ordre du jour de la séance."),
            ),
            "mesure": (
                f.MeasureForm(post, loan=loan, user=user),
                lambda d: services.measure_propose(loan=loan, by=user, **d),
                _("Mesure saisie ; une autre personne doit la valider."),
            ),
            "valider-mesure": (
                None,
                lambda d: services.measure_validate(measure=measure(), by=user),
                _("Mesure validée et appliquée."),
            ),
            "annuler-mesure": (
                f.ReasonForm(post),
                lambda d: services.measure_cancel(measure=measure(), by=user, reason=d["reason"]),
                _("Mesure annulée."),
            ),
            "suivi": (
                f.FollowUpDoneForm(post),
                lambda d: services.followup_done(
                    followup=selectors.followup_get_for(user=user, pk=d["followup"]), by=user, outcome=d["outcome"]
                ),
                _("Suivi enregistré."),
            ),
            "recalculer": (
                None,
                lambda d: (
                    services.loan_graduation_recompute(loan=loan, by=user),
                    services.loan_refresh(loan=loan, by=user),
                ),
                _("Échéances et retard recalculés."),
            ),
            "annuler": (
                f.ReasonForm(post),
                lambda d: services.loan_cancel(loan=loan, by=user, reason=d["reason"]),
                _("Offre de prêt annulée."),
            ),
        }
        if action not in handlers:
            raise Http404
        if action in {"remboursement", "contre-passer"} and not user.has_perm(services.REPAYMENT_PERM):
            raise PermissionDenied(_("Vous n'avez pas le droit d'enregistrer les remboursements."))
        form, handler, success = handlers[action]
        run(request, form, handler, success)
        return redirect("entraide:staff_loan", ref=loan.public_id)


# ---------------------------------------------------------------------------------------------
# Cautions
# ---------------------------------------------------------------------------------------------


class GuaranteeList(EntraideStaffMixin, View):
    def get(self, request):
        items = list(selectors.guarantees_outstanding(user=request.user))
        services.case_list_read_log(user=request.user, cases=[g.case for g in items], request=request, what="cautions")
        return render(request, "entraide/staff/guarantee_list.html", {"guarantees": items})


class GuaranteeDetail(EntraideStaffMixin, View):
    def get(self, request, ref):
        guarantee = selectors.guarantee_get_for(user=request.user, public_id=ref)
        services.case_read_log(case=guarantee.case, user=request.user, request=request, what="caution")
        return render(
            request,
            "entraide/staff/guarantee_detail.html",
            {
                "guarantee": guarantee,
                "statements": list(guarantee.statements.all()),
                "release_form": f.GuaranteeReleaseForm(),
                "call_form": f.GuaranteeCallForm(initial={"called_eur": guarantee.guaranteed_eur}),
                "pay_form": f.GuaranteePayForm(),
                "statement_form": f.StatementForm(initial={"year": timezone.localdate().year}),
                "Status": GuaranteeStatus,
            },
        )


class GuaranteeAction(EntraideStaffMixin, View):
    def post(self, request, ref, action):
        guarantee = selectors.guarantee_get_for(user=request.user, public_id=ref)
        user = request.user
        post = request.POST
        handlers = {
            "lever": (
                f.GuaranteeReleaseForm(post),
                lambda d: services.guarantee_release(guarantee=guarantee, by=user, **d),
                _("Caution levée."),
            ),
            "appel": (
                f.GuaranteeCallForm(post),
                lambda d: services.guarantee_call(guarantee=guarantee, by=user, **d),
                _("Appel de la caution enregistré ; une autre personne valide le paiement."),
            ),
            "paiement": (
                f.GuaranteePayForm(post),
                lambda d: services.guarantee_pay(guarantee=guarantee, by=user, **d),
                _("Paiement à la banque enregistré ; la créance sur l'élève est ouverte."),
            ),
            "releve": (
                f.StatementForm(post),
                lambda d: services.statement_record(guarantee=guarantee, by=user, **d),
                _("Relevé annuel enregistré."),
            ),
        }
        if action not in handlers:
            raise Http404
        form, handler, success = handlers[action]
        run(request, form, handler, success)
        return redirect("entraide:staff_guarantee", ref=guarantee.public_id)
