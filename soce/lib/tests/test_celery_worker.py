"""A real Celery worker on Redis: the outbox sends each e-mail once, however often its task runs."""

import os

import pytest
from django.conf import settings
from django.core import mail

from soce.lib.emails import email_queue
from soce.lib.models import EmailStatus, OutgoingEmail


def redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CELERY_BROKER_URL"):
            pytest.fail(f"Le courtier {url} est injoignable alors que CELERY_BROKER_URL est défini.")
        pytest.skip(f"Redis injoignable sur {url}")


@pytest.fixture
def celery_worker_on_redis():
    from celery.contrib.testing.worker import start_worker

    from soce.celery import app

    url = settings.CELERY_TEST_BROKER_URL
    redis_or_skip(url)
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    app._local.__dict__.pop("backend", None)  # the backend is cached per thread
    # Drop tasks that an earlier, interrupted run may have left on the queue.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        app._local.__dict__.pop("backend", None)


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
