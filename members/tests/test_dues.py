import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from members import services
from members.models import Cotisation, CotisationStatus, Lifecycle, Member, Payment, TaxReceipt
from members.tests.factories import MemberFactory
from soce.lib.exceptions import BusinessError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("grids")]
TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 11, 22), tick=True):
        yield


def _pay(cotisation, amount, staff, **kw):
    return services.payment_record(
        cotisation=cotisation, amount_eur=amount, method=kw.pop("method", "cheque"), paid_on=TODAY, by=staff, **kw
    )


def test_open_then_pay_makes_the_member_up_to_date(staff_user, django_capture_on_commit_callbacks):
    member = MemberFactory(entry_year=2022, graduation_year=2025)
    assert services.renewal_year_for(member) == 2026
    cot = services.cotisation_open(member=member, year=2026, gift_eur="20", method="transfer", by=None)
    assert (cot.rate_code, cot.amount_due_eur, cot.gift_eur, cot.status) == ("JP1", Decimal("25"), Decimal("20"), "due")
    assert cot.transfer_reference.startswith("SOCE-2026-")
    with django_capture_on_commit_callbacks(execute=True):
        _pay(cot, "20", staff_user)
    cot.refresh_from_db()
    assert cot.status == CotisationStatus.PARTIAL
    with django_capture_on_commit_callbacks(execute=True):
        _pay(cot, "25", staff_user)
    cot.refresh_from_db()
    member.refresh_from_db()
    assert cot.status == CotisationStatus.PAID
    assert member.paid_through_year == 2026 and member.is_up_to_date(2026)
    assert services.renewal_year_for(member) == 2027  # next year's grid is out
    receipt = TaxReceipt.objects.get(cotisation=cot)
    assert receipt.amount_eur == Decimal("45.00")


def test_staff_override_needs_a_reason(staff_user):
    member = MemberFactory()
    cot = services.cotisation_open(member=member, year=2026, by=None)
    with pytest.raises(BusinessError):
        services.cotisation_override_rate(cotisation=cot, amount_eur="10", reason=" ", by=staff_user)
    services.cotisation_override_rate(cotisation=cot, amount_eur="10", reason="Accord du trésorier", by=staff_user)
    cot.refresh_from_db()
    assert cot.amount_due_eur == Decimal("10.00")
    assert "dérogation : Accord du trésorier" in cot.rate_label


def test_payment_reversal_is_a_counter_entry_and_restores_the_status(staff_user, django_capture_on_commit_callbacks):
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        payment = _pay(cot, "110", staff_user)
    reversal = services.payment_reverse(payment=payment, reason="Chèque sans provision", by=staff_user)
    cot.refresh_from_db()
    member.refresh_from_db()
    assert reversal.kind == "reversal" and reversal.reverses == payment and reversal.amount_eur == Decimal("110")
    assert Payment.objects.get(pk=payment.pk).amount_eur == Decimal("110")  # never edited
    assert cot.status == CotisationStatus.DUE and cot.paid_eur == 0
    assert member.paid_through_year is None
    with pytest.raises(BusinessError, match="déjà été contre-passé"):
        services.payment_reverse(payment=payment, reason="encore", by=staff_user)
    with pytest.raises(BusinessError):
        services.payment_reverse(payment=reversal, reason="x", by=staff_user)


def test_paying_again_brings_a_struck_off_member_back(staff_user):
    member = MemberFactory(entry_year=1990, graduation_year=1993, paid_through_year=2021)
    assert services.members_strike_off_unpaid(on=date(2026, 1, 15)) == 1
    member.refresh_from_db()
    assert member.status == Lifecycle.STRUCK_OFF and "3 années" in member.struck_off_reason
    cot = services.cotisation_open(member=member, year=2026, by=None)
    _pay(cot, "110", staff_user)
    member.refresh_from_db()
    cot.refresh_from_db()
    assert member.status == Lifecycle.ACTIVE and cot.is_return


def test_strike_off_spares_recent_payers_and_lifetime_members():
    MemberFactory(paid_through_year=2023)
    MemberFactory(paid_through_year=2020, lifetime_since=2010)
    MemberFactory(paid_through_year=None)
    assert services.members_strike_off_unpaid(on=date(2026, 1, 15)) == 0


def test_receipt_numbers_have_no_gaps_and_never_change(staff_user, django_capture_on_commit_callbacks):
    cots = []
    for _ in range(3):
        cot = services.cotisation_open(member=MemberFactory(entry_year=1990, graduation_year=1993), year=2026, by=None)
        with django_capture_on_commit_callbacks(execute=True):
            _pay(cot, "110", staff_user)
        cots.append(cot)
    numbers = list(TaxReceipt.objects.order_by("sequence").values_list("number", flat=True))
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]
    again = services.tax_receipt_issue(cotisation=cots[0])
    assert again.number == "2026-000001"
    receipt = TaxReceipt.objects.get(number="2026-000002")
    first = services.tax_receipt_pdf(receipt=receipt)
    receipt.member.last_name = "Changé"
    receipt.member.save()
    assert services.tax_receipt_pdf(receipt=TaxReceipt.objects.get(pk=receipt.pk)) == first


def test_receipt_pdf_reads_back_with_the_cerfa_content(staff_user, django_capture_on_commit_callbacks):
    member = MemberFactory(first_name="Camille", last_name="Fournier", entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, gift_eur="50", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        _pay(cot, "160", staff_user)
    receipt = TaxReceipt.objects.get(cotisation=cot)
    data = services.tax_receipt_pdf(receipt=receipt)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "11580" in text and receipt.number in text and "FOURNIER" in text
    assert "cent soixante euros" in text


def test_certificate_pdf(member_client, member, staff_user):
    cot = services.cotisation_open(member=member, year=2026, by=None)
    _pay(cot, cot.amount_due_eur, staff_user)
    response = member_client.get("/cotisation/attestation/2026/")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Attestation d'adhésion 2026" in text and member.last_name.upper() in text
    assert member_client.get("/cotisation/attestation/2025/").status_code == 404


def test_a_member_never_sees_another_members_receipt(member_client, staff_user):
    other = MemberFactory(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=other, year=2026, by=None)
    _pay(cot, "110", staff_user)
    receipt = services.tax_receipt_issue(cotisation=cot)
    assert member_client.get(f"/cotisation/recu/{receipt.public_id}/").status_code == 404
    assert member_client.get("/cotisation/recu/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert other.last_name not in member_client.get("/cotisation/").content.decode()


def test_journey_member_renews_then_staff_record_then_documents(
    member_client, member, staff_user, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=member.pk).update(entry_year=2022, graduation_year=2025, paid_through_year=2026)
    home = member_client.get("/").content.decode()
    assert "Cotisation 2027 à régler" in home
    page = member_client.get("/cotisation/renouveler/").content.decode()
    assert "JP2 — 2e année après diplôme" in page and "45,00" in page
    response = member_client.post("/cotisation/renouveler/", {"gift_eur": "20", "method": "transfer"})
    body = response.content.decode()
    assert response.status_code == 200 and "SOCE-2027-" in body
    cot = Cotisation.objects.get(member=member, year=2027)
    assert cot.total_eur == Decimal("65.00") and cot.declared_method == "transfer"
    with django_capture_on_commit_callbacks(execute=True):
        _pay(cot, "65", staff_user, method="transfer")
    dues = member_client.get("/cotisation/").content.decode()
    receipt = TaxReceipt.objects.get(cotisation=cot)
    assert "Réglée" in dues and receipt.number in dues
    assert member_client.get(f"/cotisation/recu/{receipt.public_id}/")["Content-Type"] == "application/pdf"
    assert member_client.get("/cotisation/attestation/2027/").status_code == 200
    assert mail.outbox == [] or all("Soce" in m.subject for m in mail.outbox)


def test_renew_form_redisplays_french_errors(member_client, member):
    response = member_client.post("/cotisation/renouveler/", {"gift_eur": "-5", "method": "bitcoin"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "supérieure ou égale à 0" in html
    assert "Sélectionnez un choix valide" in html
    assert Cotisation.objects.count() == 0


def test_year_receipts_background_job_reports_progress(staff_client, staff_user, django_capture_on_commit_callbacks):
    from members.models import Cotisation as Cot
    from soce.lib.models import BackgroundJob

    for _ in range(3):
        cot = services.cotisation_open(member=MemberFactory(entry_year=1990, graduation_year=1993), year=2026, by=None)
        Payment.objects.create(cotisation=cot, amount_eur=cot.amount_due_eur, method="cheque", paid_on=TODAY)
        Cot.objects.filter(pk=cot.pk).update(status="paid", paid_eur=cot.amount_due_eur, paid_at=cot.created_at)
    assert TaxReceipt.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/members/taxreceipt/generer/", {"year": "2026"})
    assert response.status_code == 302
    job = BackgroundJob.objects.get()
    assert (job.status, job.total, job.done, job.percent) == ("done", 3, 3, 100)
    assert TaxReceipt.objects.exclude(pdf="").count() == 3
    assert "Reçus fiscaux 2026" in staff_client.get("/admin/core/backgroundjob/").content.decode()


def test_dues_changes_made_by_update_reach_the_history_with_their_author(staff_user):
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    services.cotisation_open(member=member, year=2026, gift_eur="15", method="cheque", by=member.user)
    assert (cot.history.first().gift_eur, cot.history.first().declared_method) == (Decimal("15.00"), "cheque")

    payment = _pay(cot, "125", staff_user)
    latest = cot.history.first()
    assert (latest.status, latest.paid_eur, latest.history_user) == ("paid", Decimal("125.00"), staff_user)
    assert cot.history.count() == 3  # opened, renewed with a gift, paid (amount and status in one row)
    m = member.history.first()
    assert (m.paid_through_year, m.history_user) == (2026, staff_user)

    services.payment_reverse(payment=payment, reason="Chèque sans provision", by=staff_user)
    latest = cot.history.first()
    assert (latest.status, latest.paid_eur, latest.history_change_reason) == (
        "due",
        0,
        "Contre-passation : Chèque sans provision",
    )
    assert member.history.first().paid_through_year is None


def test_status_transitions_are_historised_and_keep_compare_and_swap(staff_user):
    from soce.lib.exceptions import ConcurrentChange

    member = MemberFactory()
    stale = Member.objects.get(pk=member.pk)
    services.member_strike_off(member=member, reason="Demande du bureau", by=staff_user)
    row = member.history.first()
    assert (row.status, row.struck_off_reason, row.history_user) == ("struck_off", "Demande du bureau", staff_user)
    count = member.history.count()
    with pytest.raises(ConcurrentChange):  # someone else moved it first: nothing written
        services.member_strike_off(member=stale, reason="encore", by=staff_user)
    assert member.history.count() == count


def test_yearly_strike_off_writes_one_history_row_per_member_struck():
    old = MemberFactory(paid_through_year=2021)
    recent = MemberFactory(paid_through_year=2024)
    before = recent.history.count()
    assert services.members_strike_off_unpaid(on=date(2026, 1, 15)) == 1
    row = old.history.first()
    assert (row.status, str(row.struck_off_on), row.history_user) == ("struck_off", "2026-01-15", None)
    assert "3 années" in row.history_change_reason
    assert recent.history.count() == before


def test_reminders_opt_out_is_historised(member):
    services.member_set_reminders_opt_out(member=member, opt_out=True, by=member.user)
    row = member.history.first()
    assert (row.reminders_opt_out, row.history_user, row.history_change_reason) == (
        True,
        member.user,
        "Relances arrêtées",
    )


def test_resignation_needs_a_reason_and_paying_again_brings_the_member_back(staff_user):
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    with pytest.raises(BusinessError, match="motif"):
        services.member_resign(member=member, reason=" ", by=staff_user)
    services.member_resign(member=member, reason="Départ à l'étranger", by=staff_user)
    assert Member.objects.get(pk=member.pk).status == Lifecycle.RESIGNED
    cot = services.cotisation_open(member=Member.objects.get(pk=member.pk), year=2026, by=None)
    _pay(cot, "110", staff_user)
    assert Member.objects.get(pk=member.pk).status == Lifecycle.ACTIVE


def _export_receipts_csv(client, year: int) -> str:
    """The year-end declaration export, as staff download it from the receipts list."""
    url = f"/admin/members/taxreceipt/export/?year__exact={year}"
    form = client.get(url).context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if str(label).lower() == "csv")
    data = {"format": csv_format, "resource": "0"}
    data.update({name: "on" for name in form.fields if name.startswith("taxreceiptresource_")})
    response = client.post(url, data)
    assert response.status_code == 200, response
    return response.content.decode("utf-8-sig")


def test_a_reversal_cancels_the_receipt_and_paying_again_issues_a_new_number(
    staff_user, staff_client, member, member_client, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=member.pk).update(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        payment = _pay(cot, "110", staff_user)
    first = TaxReceipt.objects.get(cotisation=cot)
    assert first.number == "2026-000001" and services.receipts_total(2026) == Decimal("110.00")

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_reverse(payment=payment, reason="Chèque sans provision", by=staff_user)
    first.refresh_from_db()
    assert first.cancelled_at is not None and first.cancel_reason == "Contre-passation : Chèque sans provision"
    assert services.receipts_total(2026) == 0
    assert services.tax_receipt_issue(cotisation=cot) is None  # not paid: no valid receipt, none reused
    cancelled_pdf = services.tax_receipt_pdf(receipt=first)
    text = PdfReader(io.BytesIO(cancelled_pdf)).pages[0].extract_text()
    assert "REÇU ANNULÉ" in text and "2026-000001" in text and "Chèque sans provision" in text

    with django_capture_on_commit_callbacks(execute=True):
        _pay(cot, "110", staff_user, method="transfer")
    second = TaxReceipt.objects.get(cotisation=cot, cancelled_at__isnull=True)
    assert second.number == "2026-000002" and second.pk != first.pk and second.payment_method == "transfer"
    assert services.tax_receipt_issue(cotisation=cot) == second
    # the numbering stays unbroken: the cancelled receipt keeps its number
    assert list(TaxReceipt.objects.filter(year=2026).order_by("sequence").values_list("sequence", flat=True)) == [1, 2]
    assert services.receipts_total(2026) == Decimal("110.00")

    export = _export_receipts_csv(staff_client, 2026)
    assert "2026-000002" in export and "2026-000001" not in export

    dues = member_client.get("/cotisation/").content.decode().replace("&#x27;", "'")
    assert "2026-000002" in dues and "2026-000001" in dues
    assert "annulé le 22/11/2026 : Contre-passation : Chèque sans provision" in dues
    listing = staff_client.get("/admin/members/taxreceipt/?validite=annules").content.decode()
    assert "2026-000001" in listing and "2026-000002" not in listing


def test_cancelling_needs_a_reason_and_happens_once(paid_dues, member, staff_user):
    receipt = paid_dues(member).tax_receipts.get()
    with pytest.raises(BusinessError, match="motif"):
        services.tax_receipt_cancel(receipt=receipt, reason=" ", by=staff_user)
    services.tax_receipt_cancel(receipt=receipt, reason="Erreur de saisie", by=staff_user)
    with pytest.raises(BusinessError, match="déjà annulé"):
        services.tax_receipt_cancel(receipt=receipt, reason="encore", by=staff_user)


def test_no_payment_on_a_paid_waived_or_cancelled_cotisation(staff_user):
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    _pay(cot, "110", staff_user)
    with pytest.raises(BusinessError, match="La cotisation 2026 est déjà réglée : aucun paiement à enregistrer"):
        _pay(cot, "110", staff_user)
    assert cot.payments.count() == 1 and Cotisation.objects.get(pk=cot.pk).paid_eur == Decimal("110.00")
    other = services.cotisation_open(member=MemberFactory(), year=2026, by=None)
    services.cotisation_waive(cotisation=other, reason="Accord du bureau", by=staff_user)
    with pytest.raises(BusinessError, match="annulée ou exonérée"):
        _pay(other, "10", staff_user)
