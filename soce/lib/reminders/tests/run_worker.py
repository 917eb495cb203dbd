"""Starts a real Celery worker (solo pool) for test_worker.py: `python -m soce.lib.reminders.tests.run_worker`."""

import os

import django


def main() -> None:
    django.setup()
    from soce.celery import app
    from soce.lib.reminders.tests import worker_rule  # noqa: F401 - registers the tests' audience

    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--queues={os.environ['SOCE_TEST_QUEUE']}",
            f"--hostname=reminders-test-{os.getpid()}@%h",
        ]
    )


if __name__ == "__main__":
    main()
