"""Moyens de paiement proposés au renouvellement.

Aujourd'hui le membre annonce un virement ou un chèque et le secrétariat enregistre le paiement.
Un prestataire de paiement en ligne s'ajoutera comme un `PaymentOption` de plus dont `start()`
renverra la redirection vers sa page (et un webhook appellera `services.payment_record`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import AssociationSettings, Cotisation, PaymentMethod


@dataclass(frozen=True)
class PaymentOption:
    method: str
    label: str
    help: str

    def instructions(self, cotisation: Cotisation, conf: AssociationSettings) -> dict:
        return {}

    def start(self, cotisation: Cotisation, request):
        """None: show the instructions page. An online provider returns its redirect here."""
        return None


class TransferOption(PaymentOption):
    def instructions(self, cotisation, conf):
        return {"iban": conf.bank_iban, "bic": conf.bank_bic, "reference": cotisation.transfer_reference}


class ChequeOption(PaymentOption):
    def instructions(self, cotisation, conf):
        return {"payee": conf.legal_name, "address": conf.cheque_address, "reference": cotisation.transfer_reference}


OPTIONS: dict[str, PaymentOption] = {
    PaymentMethod.TRANSFER: TransferOption(
        PaymentMethod.TRANSFER, "Virement bancaire", "Indiquez la référence dans le libellé du virement."
    ),
    PaymentMethod.CHEQUE: ChequeOption(
        PaymentMethod.CHEQUE, "Chèque", "À l'ordre de la Soce, avec la référence au dos."
    ),
}


def choices() -> list[tuple[str, str]]:
    return [(o.method, o.label) for o in OPTIONS.values()]
