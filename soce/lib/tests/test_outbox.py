from smtplib import SMTPDataError, SMTPException, SMTPRecipientsRefused, SMTPSenderRefused
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from soce.lib.emails import email_queue, outbox_requeue_stale, outgoing_email_resend
from soce.lib.models import EmailStatus, OutgoingEmail

pytestmark = pytest.mark.django_db


def _queue(key="test:1", to="camarade@exemple.fr"):
    return email_queue(template="core/test", to=to, context={"name": "Camille"}, key=key)


def test_queue_renders_french_text_and_html_and_sends_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.sent_at is not None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Message de test pour Camille"
    assert "Bonjour Camille" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert "<strong>Camille</strong>" in message.alternatives[0][0]


def test_same_key_twice_sends_once(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue()
        second = _queue()
    assert first.pk == second.pk
    assert second.was_created is False
    assert OutgoingEmail.objects.count() == 1
    assert len(mailoutbox) == 1


def test_task_replayed_after_send_does_nothing(django_capture_on_commit_callbacks, mailoutbox):
    from soce.lib.tasks import outgoing_email_send

    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    assert outgoing_email_send.apply(args=(email.pk,)).get() is False
    assert len(mailoutbox) == 1


def test_transport_error_is_retried_then_marked_failed_with_error(django_capture_on_commit_callbacks, mailoutbox):
    failing = mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPException("serveur indisponible")
    )
    with failing as send, django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert send.call_count == 7  # the first try and 6 retries (eager: no waiting)
    assert email.status == EmailStatus.FAILED
    assert "serveur indisponible" in email.last_error
    assert email.attempts == 7


@pytest.mark.parametrize(
    "error",
    [
        SMTPRecipientsRefused({"inconnu@exemple.fr": (550, b"5.1.1 No such user")}),
        SMTPDataError(554, b"5.7.1 Message rejected as spam"),
        SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "ne-pas-repondre@soce.fr"),
    ],
    ids=["recipient-refused", "data-5xx", "sender-5xx"],
)
def test_permanent_smtp_refusal_fails_at_once_with_the_error(error, django_capture_on_commit_callbacks, mailoutbox):
    failing = mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error)
    with failing as send, django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert send.call_count == 1  # a 5xx will not change on retry
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert "5.7.1" in email.last_error or "5.1.1" in email.last_error


@pytest.mark.parametrize(
    "error",
    [
        SMTPRecipientsRefused({"plein@exemple.fr": (452, b"4.2.2 Mailbox full")}),
        SMTPDataError(451, b"4.3.0 Try again later"),
        SMTPSenderRefused(421, b"4.7.0 Too many connections", "ne-pas-repondre@soce.fr"),
    ],
    ids=["recipient-4xx", "data-4xx", "sender-4xx"],
)
def test_temporary_smtp_refusal_is_retried_with_backoff(error, django_capture_on_commit_callbacks, mailoutbox):
    failing = mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error)
    with failing as send, django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert send.call_count == 7
    assert email.status == EmailStatus.FAILED and email.attempts == 7


def test_staff_can_resend_a_failed_email(django_capture_on_commit_callbacks, mailoutbox, staff_user):
    email = OutgoingEmail.objects.create(
        idempotency_key="k",
        template="t",
        to="a@exemple.fr",
        from_email="s@exemple.fr",
        subject="Objet",
        body_text="Texte",
        status=EmailStatus.FAILED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        outgoing_email_resend(email=email, by=staff_user)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_stale_sending_rows_are_requeued(django_capture_on_commit_callbacks, mailoutbox):
    old = timezone.now() - timezone.timedelta(hours=1)
    OutgoingEmail.objects.create(
        idempotency_key="stale",
        template="t",
        to="a@exemple.fr",
        from_email="s@exemple.fr",
        subject="Objet",
        body_text="Texte",
        status=EmailStatus.SENDING,
        status_changed_at=old,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_requeue_stale() == 1
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_allauth_emails_go_through_the_outbox(client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "nouveau@exemple.fr",
                "password1": "Un-mot-de-passe-long-42",
                "password2": "Un-mot-de-passe-long-42",
            },
        )
    assert response.status_code == 302
    email = OutgoingEmail.objects.get(to="nouveau@exemple.fr")
    assert email.template == "account/email/email_confirmation_signup"
    assert email.status == EmailStatus.SENT
    assert "[Soce]" in email.subject
    assert len(mailoutbox) == 1


def test_one_time_codes_are_redacted_once_sent(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(
            template="core/test", to="a@exemple.fr", context={"name": "123456"}, key="otp:1", redact_after_send=True
        )
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert "123456" not in email.subject + email.body_text + email.body_html
    assert "123456" in mailoutbox[0].subject
