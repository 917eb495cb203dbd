from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD = 10 * 1024 * 1024


class VerifyUploadForm(forms.Form):
    pdf = forms.FileField(
        label=_("PDF à vérifier"),
        help_text=_("Le fichier reçu par e-mail ou téléchargé depuis votre espace (10 Mo au plus)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("Ce fichier dépasse 10 Mo : ce n'est pas un document de la Soce."))
        return upload


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Référence du document"),
        max_length=40,
        help_text=_("Imprimée sous le QR code, par exemple 7K3F-9QX2-M4TD-8H1C."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu par e-mail"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "size": 8}
        ),
    )


class SignatureForm(forms.Form):
    """The pad's PNG (hidden field filled by static/js/signature.js) or the typed name."""

    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    typed_name = forms.CharField(
        label=_("Ou saisissez votre prénom et votre nom"),
        required=False,
        max_length=200,
        help_text=_("Pour signer au clavier, sans tracer."),
    )
    place = forms.CharField(label=_("Fait à"), max_length=100)

    def clean(self):
        data = super().clean()
        if not data.get("signature") and not (data.get("typed_name") or "").strip():
            raise forms.ValidationError(_("Tracez votre signature dans le cadre ou saisissez votre nom."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il sera transmis à l'équipe du bénévolat."),
    )
