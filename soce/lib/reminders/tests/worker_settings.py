"""Settings of the Celery worker that test_worker.py starts in a subprocess (and kills).

The test settings, but tasks go through Redis (not eager), on a queue of their own, e-mails land in
files the test reads back, batches are small and the claim's lease short, so a kill lands mid-step
and a new run takes over within seconds.
"""

import os

from soce.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = os.environ["SOCE_TEST_QUEUE"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["SOCE_TEST_MAILDIR"]
REMINDERS_BATCH_SIZE = 5
REMINDERS_CLAIM_LEASE_SECONDS = 3
