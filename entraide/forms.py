"""Formulaires de l'entraide : validation des saisies seulement (les écritures sont dans services)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checks import iban_validate
from .models import (
    AidKind,
    CommitteeSession,
    MeasureKind,
    Outcome,
    Purpose,
    Relation,
    RepaymentMethod,
    SessionStatus,
    Verdict,
)

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.01")}
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RequestForm(forms.Form):
    FOR_SELF, FOR_FAMILY, FOR_RELAY = "self", "family", "relay"

    for_whom = forms.ChoiceField(
        label=_("Pour qui demandez-vous de l'aide ?"),
        choices=[
            (FOR_SELF, _("Pour moi")),
            (FOR_FAMILY, _("Pour un proche (conjoint, enfant…)")),
            (FOR_RELAY, _("Pour un élève ou un camarade, en relais (délégué…)")),
        ],
        initial=FOR_SELF,
        widget=forms.RadioSelect,
    )
    relative_first_name = forms.CharField(label=_("Prénom du proche"), max_length=100, required=False)
    relative_last_name = forms.CharField(label=_("Nom du proche"), max_length=100, required=False)
    relative_relation = forms.ChoiceField(
        label=_("Lien avec vous"), choices=[c for c in Relation.choices if c[0]], required=False
    )
    relay_email = forms.EmailField(
        label=_("E-mail de la personne aidée"),
        required=False,
        help_text=_("L'adresse que la Soce connaît pour elle ; elle sera informée de la demande."),
    )
    kind_requested = forms.ChoiceField(label=_("Aide demandée"), choices=AidKind.choices)
    purpose = forms.ChoiceField(label=_("Pour quoi ?"), choices=Purpose.choices)
    amount_requested_eur = forms.DecimalField(label=_("Montant demandé (€)"), **MONEY)
    situation = forms.CharField(
        label=_("Votre situation, en quelques lignes"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("Seuls les bénévoles de l'entraide chargés de votre dossier la liront."),
    )
    documents = MultipleFileField(
        label=_("Pièces justificatives"),
        required=False,
        help_text=_("PDF ou images (JPEG, PNG), 5 Mo au plus chacune : devis, relevé, attestation…"),
    )

    def __init__(self, *args, can_relay: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_relay = can_relay
        if not can_relay:
            self.fields["for_whom"].choices = [c for c in self.fields["for_whom"].choices if c[0] != self.FOR_RELAY]
            del self.fields["relay_email"]

    def clean(self):
        data = super().clean()
        who = data.get("for_whom")
        if who == self.FOR_FAMILY and not (data.get("relative_last_name") or "").strip():
            self.add_error("relative_last_name", _("Indiquez le nom de votre proche."))
        if who == self.FOR_RELAY and not data.get("relay_email"):
            self.add_error("relay_email", _("Indiquez l'e-mail de la personne pour qui vous faites la demande."))
        return data


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Ajouter une pièce"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )
    label = forms.CharField(label=_("Intitulé (facultatif)"), max_length=150, required=False)


class StaffDocumentForm(DocumentForm):
    shared = forms.BooleanField(
        label=_("Visible du demandeur au portail"),
        required=False,
        help_text=_("Sinon, la pièce reste interne au service entraide."),
    )


class DocumentShareForm(forms.Form):
    document = forms.UUIDField()
    shared = forms.BooleanField(required=False)


class ContractForm(forms.Form):
    amount_figures = forms.CharField(
        label=_("Montant du prêt, en chiffres"), max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    amount_words = forms.CharField(
        label=_("Montant du prêt, en toutes lettres"),
        max_length=300,
        help_text=_("Comme sur un chèque, par exemple « trois mille euros »."),
    )
    accepted = forms.BooleanField(
        label=_("Je m'engage sur l'honneur à rembourser ce prêt selon l'échéancier ci-dessus."), required=True
    )


class OpinionForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Votre avis"), choices=Verdict.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Commentaire pour le comité"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=5000
    )


# --- Service entraide ------------------------------------------------------------------------------


def entraide_users():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__permissions__codename="view_aidcase")
        .distinct()
        .order_by("last_name", "first_name")
    )


class AssignForm(forms.Form):
    instructor = forms.ModelChoiceField(label=_("Instructeur"), queryset=None)
    rapporteur = forms.ModelChoiceField(label=_("Rapporteur (facultatif)"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = entraide_users()
        self.fields["rapporteur"].queryset = entraide_users()


class RapporteurForm(forms.Form):
    rapporteur = forms.ModelChoiceField(label=_("Rapporteur"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rapporteur"].queryset = entraide_users()


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("Ce qui manque (le demandeur le lira)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Motif ou commentaire"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class UrgentRequestForm(forms.Form):
    amount_eur = forms.DecimalField(label=_("Montant du secours d'urgence (€)"), **MONEY)
    reason = forms.CharField(label=_("Pourquoi c'est urgent"), widget=forms.Textarea(attrs={"rows": 3}))


class IbanField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("IBAN du bénéficiaire"))
        kwargs.setdefault("max_length", 42)
        super().__init__(**kwargs)

    def clean(self, value):
        return iban_validate(super().clean(value))


class GrantPrepareForm(forms.Form):
    amount_eur = forms.DecimalField(label=_("Montant (€)"), **MONEY)
    account_holder = forms.CharField(label=_("Titulaire du compte"), max_length=150)
    iban = IbanField()
    proof_required = forms.BooleanField(label=_("Demander un justificatif d'utilisation"), required=False)


class DisbursementForm(forms.Form):
    amount_eur = forms.DecimalField(label=_("Montant de la tranche (€)"), **MONEY)
    account_holder = forms.CharField(label=_("Titulaire du compte"), max_length=150)
    iban = IbanField()


class PaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Date du virement"), widget=DATE_WIDGET, initial=timezone.localdate)
    reference = forms.CharField(label=_("Référence du virement"), max_length=100)


class GuaranteeForm(forms.Form):
    bank = forms.CharField(label=_("Banque"), max_length=150)
    loan_reference = forms.CharField(label=_("Référence du prêt bancaire"), max_length=100)
    loan_amount_eur = forms.DecimalField(label=_("Montant du prêt bancaire (€)"), **MONEY)
    share_percent = forms.DecimalField(
        label=_("Part garantie (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    ceiling_eur = forms.DecimalField(label=_("Plafond de la garantie (€)"), **MONEY)
    starts_on = forms.DateField(label=_("Début"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Fin (incluse)"), widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin doit suivre le début."))
        return data


class GuaranteeCallForm(forms.Form):
    called_on = forms.DateField(label=_("Date de l'appel"), widget=DATE_WIDGET, initial=timezone.localdate)
    called_eur = forms.DecimalField(label=_("Montant appelé (€)"), **MONEY)


class GuaranteePayForm(forms.Form):
    paid_on = forms.DateField(label=_("Payée le"), widget=DATE_WIDGET, initial=timezone.localdate)
    reference = forms.CharField(label=_("Référence du paiement"), max_length=100)
    instalments_count = forms.IntegerField(label=_("Mensualités pour l'élève"), min_value=1, max_value=240, initial=24)
    first_due_on = forms.DateField(label=_("Première échéance de l'élève"), widget=DATE_WIDGET)


class GuaranteeReleaseForm(forms.Form):
    released_on = forms.DateField(label=_("Levée le"), widget=DATE_WIDGET, initial=timezone.localdate)


class StatementForm(forms.Form):
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100)
    outstanding_eur = forms.DecimalField(
        label=_("Capital restant dû à la banque (€)"), max_digits=10, decimal_places=2, min_value=0
    )
    received_on = forms.DateField(label=_("Reçu le"), widget=DATE_WIDGET, initial=timezone.localdate)


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date de la séance"), widget=DATE_WIDGET)
    place = forms.CharField(label=_("Lieu"), max_length=150, required=False, initial="Hôtel d'Iéna, Paris")


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(label=_("Présents"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(m.user_id), str(m.user)) for m in members]
        self.initial.setdefault("present", [str(m.user_id) for m in members if m.present])


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Décision"), choices=Outcome.choices)
    kind = forms.ChoiceField(label=_("Forme de l'aide"), choices=[("", "—"), *AidKind.choices], required=False)
    amount_eur = forms.DecimalField(label=_("Montant accordé (€)"), required=False, **MONEY)
    instalments_count = forms.IntegerField(label=_("Mensualités (prêt)"), required=False, min_value=1, max_value=240)
    deferral_months = forms.IntegerField(
        label=_("Différé en mois (prêt à un diplômé)"), required=False, min_value=0, max_value=60
    )
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.APPROVED:
            if not data.get("kind"):
                self.add_error("kind", _("Choisissez la forme de l'aide accordée."))
            if not data.get("amount_eur"):
                self.add_error("amount_eur", _("Indiquez le montant accordé."))
        if data.get("outcome") == Outcome.REJECTED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez le motif du refus."))
        return data


class RecusalForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Membre récusé"), coerce=int)
    reason = forms.CharField(label=_("Motif"), max_length=200)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(m.user_id, str(m.user)) for m in members]


class RatifyForm(forms.Form):
    ratified = forms.TypedChoiceField(
        label=_("Ratification"),
        choices=[("1", _("Ratifiée")), ("0", _("Non ratifiée"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Observations"), required=False, max_length=2000)


class RepaymentForm(forms.Form):
    amount_eur = forms.DecimalField(label=_("Montant reçu (€)"), **MONEY)
    received_on = forms.DateField(label=_("Reçu le"), widget=DATE_WIDGET, initial=timezone.localdate)
    method = forms.ChoiceField(label=_("Moyen"), choices=RepaymentMethod.choices)
    reference = forms.CharField(label=_("Référence"), max_length=100, required=False)
    note = forms.CharField(label=_("Commentaire"), max_length=255, required=False)

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise ValidationError(_("La date de réception ne peut pas être dans le futur."))
        return value


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Mesure"), choices=MeasureKind.choices)
    session = forms.ModelChoiceField(label=_("Séance qui l'a décidée"), queryset=None)
    decision_note = forms.CharField(label=_("Décision du comité"), widget=forms.Textarea(attrs={"rows": 2}))
    new_instalments_count = forms.IntegerField(
        label=_("Nouveau nombre de mensualités"), required=False, min_value=1, max_value=240
    )
    new_first_due_on = forms.DateField(label=_("Nouvelle première échéance"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, loan=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        since = timezone.localdate().replace(day=1) - timedelta(days=730)
        sessions = CommitteeSession.objects.filter(
            status__in=[SessionStatus.OPEN, SessionStatus.CLOSED], held_on__gte=since
        )
        if loan is not None and user is not None:
            # The sessions that examined this loan (or decided its case), and that this person attended.
            sessions = sessions.filter(
                Q(agenda_loans__loan=loan) | Q(decisions__case_id=loan.case_id),
                members__user=user,
                members__present=True,
            ).distinct()
        self.fields["session"].queryset = sessions.order_by("-held_on")

    def clean(self):
        data = super().clean()
        if data.get("kind") == MeasureKind.RESCHEDULE:
            if not data.get("new_instalments_count"):
                self.add_error("new_instalments_count", _("Indiquez le nouveau nombre de mensualités."))
            if not data.get("new_first_due_on"):
                self.add_error("new_first_due_on", _("Indiquez la nouvelle première échéance."))
        return data


class LoanAgendaForm(forms.Form):
    session = forms.ModelChoiceField(label=_("Séance"), queryset=None)

    def __init__(self, *args, sessions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions if sessions is not None else CommitteeSession.objects.none()


class FollowUpDoneForm(forms.Form):
    followup = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
