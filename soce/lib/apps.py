import logging

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("soce")
_said = False


class CoreConfig(AppConfig):
    name = "soce.lib"
    label = "core"
    verbose_name = _("Socle technique")

    def ready(self) -> None:
        global _said
        from allauth.mfa.signals import authenticator_added

        from . import mfa, roles

        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="soce-sync-roles")
        authenticator_added.connect(mfa.record_mfa_on_activation, dispatch_uid="soce-mfa-activation")
        if settings.CELERY_TASK_ALWAYS_EAGER and not _said:
            _said = True
            logger.info("CELERY_BROKER_URL n'est pas défini : les tâches Celery s'exécutent dans le processus.")
