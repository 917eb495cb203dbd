from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.money import format_eur

from . import payments
from .models import PaymentMethod


class RenewForm(forms.Form):
    gift_eur = forms.DecimalField(
        label=_("Don en plus de la cotisation (facultatif, €)"),
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        decimal_places=2,
        required=False,
        initial=Decimal("0"),
        help_text=_("Les dons financent l'entraide ; ils ouvrent droit à une réduction d'impôt."),
        localize=True,
    )
    method = forms.ChoiceField(
        label=_("Comment souhaitez-vous régler ?"), choices=payments.choices, widget=forms.RadioSelect
    )
    lifetime = forms.BooleanField(label=_("Je choisis la cotisation à vie"), required=False)

    def __init__(self, *args, lifetime_rate=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lifetime_rate is None:
            del self.fields["lifetime"]
        else:
            self.fields["lifetime"].help_text = _("Versée une fois pour toutes : %(amount)s.") % {
                "amount": format_eur(lifetime_rate.amount_eur)
            }
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Confirmer"), css_class="btn-soce"))

    def clean_gift_eur(self):
        return self.cleaned_data.get("gift_eur") or Decimal("0")


class RecordPaymentForm(forms.Form):
    amount_eur = forms.DecimalField(label=_("Montant (€)"), min_value=Decimal("0.01"), decimal_places=2, localize=True)
    method = forms.ChoiceField(label=_("Moyen de paiement"), choices=PaymentMethod.choices)
    paid_on = forms.DateField(
        label=_("Date du paiement"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=_("Référence (n° de chèque, libellé du virement…)"), max_length=100, required=False
    )


class OverrideRateForm(forms.Form):
    amount_eur = forms.DecimalField(
        label=_("Nouveau montant dû (€)"), min_value=Decimal("0"), decimal_places=2, localize=True
    )
    reason = forms.CharField(label=_("Motif de la dérogation"), max_length=200)


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Année des cotisations"), min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )


class DeceasedForm(forms.Form):
    deceased_on = forms.DateField(label=_("Date du décès"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Source de l'information (facultatif)"), max_length=150, required=False)

    def clean_deceased_on(self):
        value = self.cleaned_data["deceased_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("La date du décès ne peut pas être dans le futur."))
        return value
