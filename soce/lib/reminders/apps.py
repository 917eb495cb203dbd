from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "soce.lib.reminders"
    label = "reminders"
    verbose_name = _("Relances")

    def ready(self) -> None:
        from celery.schedules import crontab

        from soce import schedule

        # https://crontab.guru/#0_7_*_*_*
        schedule.register(
            "reminders-run-due",
            "soce.lib.reminders.tasks.reminders_run_due",
            crontab(minute=0, hour=7),
            "Envoie les étapes de relance dues (et rattrape celles manquées).",
        )
