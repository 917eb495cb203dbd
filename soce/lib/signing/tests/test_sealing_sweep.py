"""Safety net of the sealing: a document signed by all but left unsealed is sealed by the sweep or by staff."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login_with_mfa, staff_user_with
from soce import schedule
from soce.lib import roles
from soce.lib.audit import audit_for
from soce.lib.models import OutgoingEmail
from soce.lib.signing import services
from soce.lib.signing.models import EvidenceAction, SignableDocument

from .conftest import sign_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_unsealed(document, signer, representative, mailoutbox):
    """Both parties signed, but the task queued after commit never ran (lost message, worker down)."""
    sign_all(document, signer, representative, mailoutbox)  # on-commit callbacks are not run here
    document.refresh_from_db()
    assert document.status == SignableDocument.Status.SIGNED
    return document


def _deliveries(document):
    return OutgoingEmail.objects.filter(idempotency_key__startswith=f"signing:sealed:{document.pk}:")


def test_the_sweep_is_scheduled():
    assert schedule.PERIODIC_TASKS["signing-seal-overdue"][0] == "soce.lib.signing.tasks.documents_seal_overdue"


def test_sweep_seals_an_overdue_document_once_and_sends_each_copy_once(signed_unsealed):
    now = timezone.now()
    assert services.documents_seal_overdue(now=now) == 0  # too early: the regular task may still be running
    assert services.documents_seal_overdue(now=now + timedelta(minutes=11)) == 1
    signed_unsealed.refresh_from_db()
    assert signed_unsealed.status == SignableDocument.Status.SEALED
    assert signed_unsealed.seal_attempts == 1 and signed_unsealed.seal_error == ""
    assert _deliveries(signed_unsealed).count() == 2
    # Again, later, and the regular task arriving late: nothing sealed or sent a second time.
    assert services.documents_seal_overdue(now=now + timedelta(hours=1)) == 0
    services.document_seal(document_id=signed_unsealed.pk)
    assert _deliveries(signed_unsealed).count() == 2
    assert signed_unsealed.events.filter(action=EvidenceAction.SEALED).count() == 1
    assert signed_unsealed.events.filter(action=EvidenceAction.DELIVERED).count() == 2


def test_a_claimed_document_is_not_queued_again_by_the_next_sweep(signed_unsealed, monkeypatch):
    from soce.lib.signing import tasks

    queued = []
    monkeypatch.setattr(tasks.document_seal, "delay", lambda pk: queued.append(pk))
    later = timezone.now() + timedelta(minutes=11)
    assert services.documents_seal_overdue(now=later) == 1
    assert services.documents_seal_overdue(now=later + timedelta(minutes=5)) == 0
    assert services.documents_seal_overdue(now=later + timedelta(minutes=11)) == 1
    assert queued == [signed_unsealed.pk, signed_unsealed.pk]


def test_a_failure_is_recorded_and_the_sweep_gives_up_after_its_attempts(signed_unsealed, monkeypatch):
    from soce.lib.signing import pdf

    def broken(*args, **kwargs):
        raise RuntimeError("certificat de cachet introuvable")

    monkeypatch.setattr(pdf, "seal_pdf", broken)
    with pytest.raises(RuntimeError):
        services.document_seal(document_id=signed_unsealed.pk)
    signed_unsealed.refresh_from_db()
    assert signed_unsealed.status == SignableDocument.Status.SIGNED
    assert "certificat de cachet introuvable" in signed_unsealed.seal_error
    assert signed_unsealed.seal_attempts == 1
    SignableDocument.objects.filter(pk=signed_unsealed.pk).update(seal_attempts=services.SEAL_MAX_AUTO_ATTEMPTS)
    assert services.documents_seal_overdue(now=timezone.now() + timedelta(hours=3)) == 0
    assert _deliveries(signed_unsealed).count() == 0


@pytest.fixture
def benevolat_client(db):
    return login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr"))


def test_admin_shows_the_error_and_seals_again_on_request(
    signed_unsealed, benevolat_client, monkeypatch, django_capture_on_commit_callbacks
):
    from soce.lib.signing import pdf

    real = pdf.seal_pdf
    monkeypatch.setattr(pdf, "seal_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("phrase secrète")))
    with pytest.raises(RuntimeError):
        services.document_seal(document_id=signed_unsealed.pk)
    SignableDocument.objects.filter(pk=signed_unsealed.pk).update(seal_attempts=services.SEAL_MAX_AUTO_ATTEMPTS)
    changelist = reverse("admin:signing_signabledocument_changelist")
    page = benevolat_client.get(changelist, {"scellement": "erreur"}).content.decode()
    assert signed_unsealed.reference in page and "phrase secrète" in page
    monkeypatch.setattr(pdf, "seal_pdf", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = benevolat_client.post(
            changelist, {"action": "reseal", "_selected_action": [signed_unsealed.pk]}, follow=True
        )
    assert response.status_code == 200
    signed_unsealed.refresh_from_db()
    assert signed_unsealed.status == SignableDocument.Status.SEALED and signed_unsealed.seal_error == ""
    assert audit_for(signed_unsealed).filter(action="signing.reseal").exists()
    assert _deliveries(signed_unsealed).count() == 2
    # On a sealed document the action only sends the copies still missing: none here.
    benevolat_client.post(changelist, {"action": "reseal", "_selected_action": [signed_unsealed.pk]})
    assert _deliveries(signed_unsealed).count() == 2


def test_reseal_refuses_a_document_not_signed_by_everyone(document, signer):
    from soce.lib.exceptions import BusinessError

    with pytest.raises(BusinessError, match="rien à sceller"):
        services.document_reseal(document=document, by=signer)
