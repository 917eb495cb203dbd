"""Formulaires du pilotage : validation des saisies, jamais d'écriture."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .formatting import fmt_date, period_label
from .models import Action, CheckIn, IndicatorValue, ReviewCycle

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024


class EvidenceMixin:
    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if evidence and evidence.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("Le justificatif dépasse 5 Mo."))
        return evidence


class ValueEntryForm(EvidenceMixin, forms.Form):
    period = forms.ChoiceField(label=_("Période"))
    value = forms.DecimalField(label=_("Valeur"), max_digits=18, decimal_places=4)
    numerator = forms.DecimalField(
        label=_("Numérateur"), required=False, max_digits=18, decimal_places=4, help_text=_("Pour un pourcentage.")
    )
    denominator = forms.DecimalField(label=_("Dénominateur"), required=False, max_digits=18, decimal_places=4)
    comment = forms.CharField(label=_("Commentaire"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    evidence = forms.FileField(label=_("Justificatif (PDF, image, tableur)"), required=False)
    evidence_url = forms.URLField(label=_("ou lien vers le justificatif"), required=False, assume_scheme="https")

    def __init__(self, *args, periods: list[tuple[date, date]], percent: bool, today: date, grace_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for start, end in periods:
            label = period_label(start, end)
            if end < today:
                label = f"{label} (close le {fmt_date(end)})"
            choices.append((start.isoformat(), label))
        self.fields["period"].choices = choices
        if not percent:
            del self.fields["numerator"]
            del self.fields["denominator"]

    def clean_period(self) -> date:
        return date.fromisoformat(self.cleaned_data["period"])

    def clean(self):
        data = super().clean()
        if not data.get("evidence") and not data.get("evidence_url") and not (data.get("comment") or "").strip():
            raise forms.ValidationError(_("Joignez un justificatif, un lien ou au moins un commentaire sur la source."))
        return data


class CorrectionForm(EvidenceMixin, forms.Form):
    value = forms.DecimalField(label=_("Valeur corrigée"), max_digits=18, decimal_places=4)
    reason = forms.CharField(label=_("Motif de la correction"), widget=forms.Textarea(attrs={"rows": 2}))
    comment = forms.CharField(label=_("Commentaire"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    evidence = forms.FileField(label=_("Justificatif"), required=False)
    evidence_url = forms.URLField(label=_("ou lien vers le justificatif"), required=False, assume_scheme="https")


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), widget=forms.Textarea(attrs={"rows": 2}))


class TargetForm(forms.Form):
    target_on = forms.DateField(label=_("Échéance"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("Cible"), max_digits=18, decimal_places=4)
    value_high = forms.DecimalField(
        label=_("Borne haute (cible « rester entre »)"), max_digits=18, decimal_places=4, required=False
    )
    reason = forms.CharField(
        label=_("Motif"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Obligatoire dès que l'indicateur a des valeurs ou que l'échéance avait déjà une cible."),
    )


class CheckInForm(forms.ModelForm):
    class Meta:
        model = CheckIn
        fields = ["status", "confidence", "what_changed", "blockers", "next_steps", "decisions_requested"]
        widgets = {
            "confidence": forms.NumberInput(attrs={"min": 0, "max": 10}),
            "what_changed": forms.Textarea(attrs={"rows": 2}),
            "blockers": forms.Textarea(attrs={"rows": 2}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
            "decisions_requested": forms.Textarea(attrs={"rows": 2}),
        }

    cycle = forms.ModelChoiceField(label=_("Cycle de revue"), queryset=ReviewCycle.objects.none())

    field_order = ["cycle", "status", "confidence"]

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles


class ActionUpdateForm(forms.Form):
    note = forms.CharField(label=_("Point d'avancement"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Nouvel état"), required=False)

    def __init__(self, *args, action: Action, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Action.TRANSITIONS[Action.Status(action.status)]
        self.fields["status"].choices = [("", _("Inchangé"))] + [
            (s.value, s.label) for s in Action.Status if s in allowed
        ]


class BoardPackForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    meeting_on = forms.DateField(label=_("Date de la réunion"), widget=forms.DateInput(attrs={"type": "date"}))


def value_status_choices():
    return IndicatorValue.Status.choices
