"""Journey 1 in a real browser: a member renews, staff record the payment, the member downloads documents."""

import pytest
from django.utils import timezone
from pypdf import PdfReader

from conftest import browser_login
from members import services
from members.models import Cotisation, Member


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_renews_and_downloads_certificate_and_receipt(page, member, staff_user, grids, tmp_path):
    year = timezone.localdate().year + 1  # the fixture publishes next year's grid, whatever the year
    Member.objects.filter(pk=member.pk).update(
        entry_year=year - 5, graduation_year=year - 2, paid_through_year=year - 1
    )
    browser_login(page, member.email)
    page.wait_for_url("**/")
    assert page.get_by_text(f"Cotisation {year} à régler").is_visible()
    page.get_by_role("link", name=f"Régler ma cotisation {year}").first.click()
    assert page.get_by_text("JP2 — 2e année après diplôme : 45,00").is_visible()
    page.get_by_label("Don en plus de la cotisation").fill("20")
    page.get_by_label("Virement bancaire").check()
    page.get_by_role("button", name="Confirmer").click()
    reference = page.locator("#reference").inner_text()
    assert reference.startswith(f"SOCE-{year}-")

    cotisation = Cotisation.objects.get(transfer_reference=reference)
    services.payment_record(
        cotisation=cotisation,
        amount_eur="65",
        method="transfer",
        paid_on=timezone.localdate(),
        reference=reference,
        by=staff_user,
    )

    page.goto("/cotisation/")
    assert page.get_by_text("Réglée").first.is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Attestation").first.click()
    path = tmp_path / "attestation.pdf"
    info.value.save_as(path)
    assert f"Attestation d'adhésion {year}" in PdfReader(path).pages[0].extract_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Reçu fiscal").first.click()
    info.value.save_as(tmp_path / "recu.pdf")
    assert "11580" in PdfReader(tmp_path / "recu.pdf").pages[0].extract_text()
