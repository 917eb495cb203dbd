"""Application Celery : JSON seulement, acks tardifs, planning périodique dans soce.schedule."""

import logging
import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soce.settings.local")

app = Celery("soce")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@app.on_after_finalize.connect
def _load_schedule(sender, **kwargs):
    from soce.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()


@worker_init.connect
def _worker_started(**kwargs):
    logger.info("Worker Celery démarré sur %s", app.conf.broker_url)
