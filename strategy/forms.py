"""Formulaires du pilotage : validation des saisies, jamais d'écriture."""

from __future__ import annotations

import os
import zipfile
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from soce.lib.uploads import sniff_content_type

from .formatting import fmt_date, period_label
from .models import Action, CheckIn, IndicatorValue, ReviewCycle

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# What an evidence file may be, by content, and the names it may then carry.
EVIDENCE_KINDS = {
    "pdf": {".pdf"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "webp": {".webp"},
    "docx": {".docx"},
    "xlsx": {".xlsx"},
    "pptx": {".pptx"},
    "odt": {".odt"},
    "ods": {".ods"},
    "odp": {".odp"},
    "csv": {".csv", ".txt"},
}
OOXML_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}


def _zip_kind(upload) -> str | None:
    """An Office Open XML or OpenDocument file, read from the zip directory (nothing is unpacked but the
    few bytes of an OpenDocument's `mimetype`); documents carrying macros are refused."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None
            if "[Content_Types].xml" in names:
                return next((kind for part, kind in OOXML_PARTS.items() if part in names), None)
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                return ODF_TYPES.get(archive.read("mimetype").strip())
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def _text_kind(head: bytes) -> str | None:
    """A small plain-text table (CSV): printable UTF-8 or Latin-1 text, no control bytes."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return None
    return "csv"


def evidence_kind(upload) -> str | None:
    """What an uploaded file really is, from its bytes (never from its name or the browser's word)."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is not None:
        return content_type.split("/")[1].removeprefix("x-")  # pdf, png, jpeg, webp
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    return _text_kind(head)


class EvidenceMixin:
    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence:
            return evidence
        if evidence.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("Le justificatif dépasse 5 Mo."))
        if not evidence.size:
            raise forms.ValidationError(_("Le justificatif est vide."))
        kind = evidence_kind(evidence)
        extension = os.path.splitext(evidence.name or "")[1].lower()
        if kind is None:
            raise forms.ValidationError(
                _(
                    "Ce fichier n'est ni un PDF, ni une image (PNG, JPEG, WebP), ni un document bureautique "
                    "(Word, Excel, PowerPoint sans macro, OpenDocument), ni un tableau CSV."
                )
            )
        if extension not in EVIDENCE_KINDS[kind]:
            raise forms.ValidationError(
                _("Le nom du fichier (« %(ext)s ») ne correspond pas à son contenu (%(kind)s).")
                % {"ext": extension or "sans extension", "kind": kind.upper()}
            )
        return evidence


class ValueEntryForm(EvidenceMixin, forms.Form):
    period = forms.ChoiceField(label=_("Période"))
    value = forms.DecimalField(label=_("Valeur"), max_digits=18, decimal_places=4)
    numerator = forms.DecimalField(
        label=_("Numérateur"), required=False, max_digits=18, decimal_places=4, help_text=_("Pour un pourcentage.")
    )
    denominator = forms.DecimalField(label=_("Dénominateur"), required=False, max_digits=18, decimal_places=4)
    comment = forms.CharField(
        label=_("Commentaire"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("D'où vient le chiffre, comment il a été compté."),
        error_messages={"required": _("Dites en un commentaire d'où vient le chiffre.")},
    )
    evidence = forms.FileField(
        label=_("Justificatif (PDF, image, document bureautique, CSV ; 5 Mo au plus)"), required=False
    )
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

    def clean_comment(self) -> str:
        comment = (self.cleaned_data.get("comment") or "").strip()
        if not comment:
            raise forms.ValidationError(_("Dites en un commentaire d'où vient le chiffre."))
        return comment


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
