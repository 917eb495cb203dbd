from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "soce.lib.reminders"
    label = "reminders"
    verbose_name = _("Relances")

    def ready(self) -> None:
        from celery.schedules import crontab

        from soce import schedule
        from soce.lib.emails import register_send_check

        from .services import email_send_check

        # Each step's e-mail is checked by the worker just before it leaves (pause, audience).
        register_send_check("reminder:", email_send_check)

        # https://crontab.guru/#0_7_*_*_*
        schedule.register(
            "reminders-run-due",
            "soce.lib.reminders.tasks.reminders_run_due",
            crontab(minute=0, hour=7),
            "Envoie les étapes de relance dues (rattrape celles manquées, relâche les e-mails d'une pause levée).",
        )
