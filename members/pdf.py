"""PDF des membres : attestation d'adhésion et reçu fiscal (Cerfa n° 11580)."""

from soce.lib.pdf import render_pdf
from soce.lib.words import euros_to_words

from .models import AssociationSettings, Member, TaxReceipt


def certificate_render(member: Member, year: int) -> bytes:
    return render_pdf(
        "pdf/members/certificate.html",
        {"member": member, "year": year, "conf": AssociationSettings.load()},
    )


def tax_receipt_render(receipt: TaxReceipt) -> bytes:
    """Rendered from the receipt's own snapshots only, so that re-rendering gives the same content."""
    return render_pdf(
        "pdf/members/tax_receipt.html",
        {"r": receipt, "amount_words": euros_to_words(receipt.amount_eur)},
    )
