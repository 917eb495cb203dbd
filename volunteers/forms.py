from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.signing.forms import DeclineForm, OtpForm, SignatureForm  # noqa: F401 - re-exported for the views

from .models import Review


class SignerConfirmForm(forms.Form):
    identity_ok = forms.BooleanField(
        label=_("Je confirme que ces informations sont exactes et que je signe en mon nom."),
        error_messages={"required": _("Confirmez votre identité, ou demandez au secrétariat de la corriger.")},
    )
    consent_ok = forms.BooleanField(
        label=_("J'ai lu la charte et je m'engage à la respecter (déclaration ci-dessus)."),
        error_messages={"required": _("Acceptez la déclaration d'engagement pour signer.")},
    )
    evidence_ok = forms.BooleanField(
        label=_("J'accepte la convention de preuve ci-dessus."),
        error_messages={"required": _("Acceptez la convention de preuve pour signer en ligne.")},
    )


class CountersignConfirmForm(SignerConfirmForm):
    consent_ok = forms.BooleanField(
        label=_("Je représente la Soce en vertu de mon mandat et prends acte de l'engagement du bénévole."),
        error_messages={"required": _("Confirmez votre mandat pour contresigner.")},
    )
    mandate = forms.ChoiceField(label=_("Qualité"), choices=())

    def __init__(self, *args, mandates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.mandates = {str(m.pk): m for m in mandates}
        self.fields["mandate"].choices = [(str(m.pk), m.capacity) for m in mandates]
        if len(mandates) == 1:
            self.fields["mandate"].initial = str(mandates[0].pk)

    def clean_mandate(self):
        return self.mandates[self.cleaned_data["mandate"]]


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["achievements", "difficulties", "needs", "outlook", "next_due_on"]
        widgets = {
            "achievements": forms.Textarea(attrs={"rows": 4}),
            "difficulties": forms.Textarea(attrs={"rows": 3}),
            "needs": forms.Textarea(attrs={"rows": 3}),
            "outlook": forms.RadioSelect,
            "next_due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"next_due_on": _("Laissez vide pour suivre le rythme de la mission.")}

    def __init__(self, *args, closing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A draft may be partial; closing the review needs what was achieved and what comes next.
        self.fields["achievements"].required = closing
        self.fields["outlook"].required = closing
        self.fields["outlook"].choices = Review.Outlook.choices
        self.fields["outlook"].widget.attrs["class"] = "form-check-input"
        for name in ("achievements", "difficulties", "needs", "next_due_on"):
            widget = self.fields[name].widget
            widget.attrs["class"] = "form-control"
            if self.fields[name].help_text:
                widget.attrs["aria-describedby"] = f"id_{name}-help"

    def clean_next_due_on(self):
        value = self.cleaned_data.get("next_due_on")
        if value and value <= timezone.localdate():
            raise forms.ValidationError(_("Le prochain bilan doit être dans le futur."))
        return value


class NoticeForm(forms.Form):
    note = forms.CharField(
        label=_("Un mot pour l'équipe (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
