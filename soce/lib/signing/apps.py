from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "soce.lib.signing"
    label = "signing"
    verbose_name = _("Signature électronique")

    def ready(self) -> None:
        from celery.schedules import crontab

        from soce import schedule

        # https://crontab.guru/#*/5_*_*_*_*
        schedule.register(
            "signing-seal-overdue",
            "soce.lib.signing.tasks.documents_seal_overdue",
            crontab(minute="*/5"),
            "Signature : relance le scellement des documents signés par tous mais non scellés après 10 minutes.",
        )
