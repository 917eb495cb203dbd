"""Le planning des tâches périodiques, en un seul endroit.

Chaque entrée a un lien crontab.guru. `manage.py run_periodic_tasks` exécute les mêmes
tâches une fois, dans le processus (cron sans courtier).
"""

from celery.schedules import crontab

# name -> (task path, crontab, doc)
PERIODIC_TASKS: dict[str, tuple[str, crontab, str]] = {
    # https://crontab.guru/#*_*_*_*_*
    "outbox-dispatch-due": (
        "soce.lib.tasks.outbox_dispatch_due",
        crontab(),
        "Confie aux workers les e-mails planifiés dont l'heure est venue (débit des relances).",
    ),
    # https://crontab.guru/#*/5_*_*_*_*
    "outbox-requeue-stale": (
        "soce.lib.tasks.outbox_requeue_stale",
        crontab(minute="*/5"),
        "Relance les e-mails restés « en cours d'envoi » plus de 15 minutes.",
    ),
}


def register(name: str, task: str, schedule: crontab, doc: str) -> None:
    """Called by apps from AppConfig.ready() to add their periodic jobs."""
    PERIODIC_TASKS[name] = (task, schedule, doc)


def beat_schedule() -> dict:
    return {name: {"task": task, "schedule": sched} for name, (task, sched, _doc) in PERIODIC_TASKS.items()}
