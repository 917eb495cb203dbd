"""A real Celery worker on Redis: the outbox sends each e-mail once, however often its task runs."""

import pytest
from django.core import mail

from soce.lib.emails import email_queue
from soce.lib.models import EmailStatus, OutgoingEmail


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_sends_an_outbox_email_once_even_when_queued_twice(celery_worker_on_redis, mailoutbox):
    from soce.lib.tasks import outgoing_email_send

    email = email_queue(template="core/test", to="camarade@exemple.fr", context={"name": "Camille"}, key="k:worker")
    again = email_queue(template="core/test", to="camarade@exemple.fr", context={"name": "Camille"}, key="k:worker")
    assert again.pk == email.pk
    # The same task delivered twice more, as a broker redelivery would.
    results = [outgoing_email_send.delay(email.pk), outgoing_email_send.delay(email.pk)]
    outcomes = [r.get(timeout=30) for r in results]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert OutgoingEmail.objects.count() == 1
    assert len(mail.outbox) == 1
    assert outcomes.count(True) <= 1
