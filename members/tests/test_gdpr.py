"""GDPR: « mes données » (JSON export, audited) and erasure that keeps the accounting records."""

import json
from datetime import date

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils import timezone

from members import gdpr
from members.models import Cotisation, GroupMembership, Member, Payment, TaxReceipt, User
from members.tests.factories import MemberFactory
from soce.lib.exceptions import BusinessError
from soce.lib.models import AuditEvent, EmailStatus, OutgoingEmail

MY_DATA = reverse("my_data")


def _outbox(to: str, subject: str, status=EmailStatus.SENT) -> OutgoingEmail:
    return OutgoingEmail.objects.create(
        idempotency_key=f"test:{to}:{subject}",
        template="members/test",
        to=to,
        from_email="soce@exemple.fr",
        subject=subject,
        body_text=f"Bonjour, {subject}",
        status=status,
    )


@pytest.fixture
def registry_entry():
    """Registers a section and an eraser as a higher app would, and removes them afterwards."""
    calls = []
    saved = dict(gdpr._EXPORTS), dict(gdpr._ERASERS)  # the real apps' registrations stay untouched
    gdpr.register_export("essai", lambda member: {"missions": [f"mission de {member.first_name}"]})
    gdpr.register_eraser("essai", lambda *, member, by: calls.append((member.pk, by)))
    yield calls
    gdpr._EXPORTS.clear()
    gdpr._EXPORTS.update(saved[0])
    gdpr._ERASERS.clear()
    gdpr._ERASERS.update(saved[1])


# --- Mes données ---------------------------------------------------------------------------------


def test_my_data_page_explains_and_offers_a_download(member_client):
    html = member_client.get(MY_DATA).content.decode()
    assert "droit d'accès" in html
    assert "Télécharger mes données (JSON)" in html
    assert not AuditEvent.objects.filter(action="member.data_export").exists()


def test_my_data_download_holds_everything_about_oneself_and_is_audited(
    member_client, member, paid_dues, group, membership, registry_entry
):
    other = MemberFactory(first_name="Autre", last_name="Personne", email="autre@exemple.fr")
    paid_dues(member)
    paid_dues(other)
    mandate_ends = date(timezone.localdate().year + 2, 6, 30)
    membership(member, group, role="president", ends_on=mandate_ends)
    _outbox("MEMBRE@exemple.fr", "Votre reçu fiscal")
    _outbox("autre@exemple.fr", "Le reçu de quelqu'un d'autre")
    member_client.post(reverse("profile"), {"email": "membre@exemple.fr", "phone": "0556000000", "country": "FR"})

    response = member_client.post(MY_DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="soce-mes-donnees-')
    data = json.loads(response.content)

    assert data["member"]["last_name"] == member.last_name
    assert data["member"]["phone"] == "0556000000"
    assert data["account"]["email"] == "membre@exemple.fr"
    assert data["consents"]["directory"] is not None
    assert data["groups"] == [
        {
            "group": "GT Gironde",
            "kind": "Groupe territorial (GT)",
            "role": "Président",
            "starts_on": "2000-01-01",
            "ends_on": mandate_ends.isoformat(),
        }
    ]
    assert [c["amount_due_eur"] for c in data["cotisations"]] == ["90.00"]
    assert [p["amount_eur"] for p in data["payments"]] == ["110.00"]
    assert [r["number"] for r in data["tax_receipts"]] == [TaxReceipt.objects.get(member=member).number]
    assert [e["subject"] for e in data["emails"]] == ["Votre reçu fiscal"]
    assert any(h["reason"] == "Modifié par la personne (profil)" for h in data["history"])
    assert data["essai"] == {"missions": [f"mission de {member.first_name}"]}
    assert "Autre" not in response.content.decode() and "autre@exemple.fr" not in response.content.decode()

    event = AuditEvent.objects.get(action="member.data_export")
    assert (event.actor, event.object_id) == (member.user, str(member.pk))
    # The next download lists the previous one among the audit events.
    again = json.loads(member_client.post(MY_DATA).content)
    assert "member.data_export" in [e["action"] for e in again["audit_events"]]


def test_my_data_is_only_ever_ones_own(member_client, member):
    MemberFactory(first_name="Autre", last_name="Personne")
    data = json.loads(member_client.post(MY_DATA, {"member": "1", "pk": "1"}).content)
    assert data["member"]["public_id"] == str(member.public_id)


# --- Erasure -------------------------------------------------------------------------------------


def test_anonymise_keeps_accounting_and_removes_the_person(
    member, paid_dues, group, membership, staff_user, registry_entry
):
    partner = MemberFactory(first_name="Conjoint", last_name="Lié", partner=member)
    Member.objects.filter(pk=member.pk).update(
        phone="0600000000",
        address_line1="1 rue des Secrets",
        employer="Employeur SA",
        staff_notes="Note sensible",
        birth_name="Nomdenaissance",
        newsletter_consent_at=member.directory_consent_at,
    )
    member.refresh_from_db()
    member.city = "Talence"
    member.save()  # a second history row with the old values
    cotisation = paid_dues(member)
    membership(member, group, role="president")
    sent = _outbox(member.email, "Bienvenue Jean")
    queued = _outbox(member.email, "Relance", status=EmailStatus.QUEUED)
    user = member.user
    last_name = member.last_name
    assert member.history.count() >= 2

    gdpr.member_anonymise(member=member, by=staff_user, reason="Demande écrite du 3 mars")

    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Personne", "ANONYMISÉE")
    for name in ("email", "phone", "address_line1", "city", "employer", "staff_notes", "birth_name"):
        assert getattr(member, name) == ""
    assert member.birth_date is None
    assert member.directory_consent_at is None and member.newsletter_consent_at is None
    assert member.anonymised_at is not None
    # Kept for the accounts and the statistics.
    assert Cotisation.objects.filter(pk=cotisation.pk, member=member).exists()
    assert Payment.objects.filter(cotisation=cotisation).count() == 1
    assert TaxReceipt.objects.filter(cotisation=cotisation).exists()
    assert (member.campus.code, member.entry_year, member.graduation_year) == ("Bo", 2015, 2018)
    # One anonymised snapshot is all the history left.
    history = list(member.history.all())
    assert len(history) == 1
    assert history[0].last_name == "ANONYMISÉE"
    assert not Member.history.filter(last_name=last_name).exists()
    # Groups, login, partner link, outbox and audit labels.
    assert not GroupMembership.objects.filter(member=member).exists()
    assert not GroupMembership.history.filter(member_id=member.pk).exists()
    partner.refresh_from_db()
    assert partner.partner is None
    user = User.objects.get(pk=user.pk)
    assert user.is_active is False
    assert user.email.endswith("@anonyme.invalid")
    assert authenticate(email="membre@exemple.fr", password="mot-de-passe-solide") is None
    sent.refresh_from_db()
    queued.refresh_from_db()
    assert sent.to == user.email and sent.subject == "[anonymisé]" and sent.body_text == ""
    assert queued.status == EmailStatus.CANCELLED
    assert not AuditEvent.objects.filter(object_repr__contains=last_name).exists()
    event = AuditEvent.objects.get(action="member.anonymise")
    assert (event.actor, event.note) == (staff_user, "Demande écrite du 3 mars")
    # The registered erasers ran.
    assert registry_entry == [(member.pk, staff_user)]


def test_anonymise_twice_or_without_reason_is_refused(member, staff_user):
    with pytest.raises(BusinessError, match="motif"):
        gdpr.member_anonymise(member=member, by=staff_user, reason="  ")
    gdpr.member_anonymise(member=member, by=staff_user, reason="Demande")
    with pytest.raises(BusinessError, match="déjà été anonymisée"):
        gdpr.member_anonymise(member=member, by=staff_user, reason="Demande")


def test_anonymised_person_leaves_the_directory(member, listed_member, viewer_client, staff_user):
    gone = listed_member(first_name="Disparu", last_name="Bientôt")
    gdpr.member_anonymise(member=gone, by=staff_user, reason="Demande")
    html = viewer_client.get(reverse("directory"), {"promo": "Bo 179"}).content.decode()
    assert "Bientôt" not in html and "ANONYMISÉE" not in html
