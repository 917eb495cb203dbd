from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MODELS = (
    "plan",
    "axis",
    "ambition",
    "objective",
    "criterion",
    "indicator",
    "indicatortarget",
    "indicatorvalue",
    "action",
    "actionupdate",
    "reviewcycle",
    "checkin",
    "annotation",
    "boardpack",
)


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = _("Pilotage de la stratégie")

    def ready(self) -> None:
        from celery.schedules import crontab

        from soce import schedule
        from soce.lib import demo, navigation, roles

        from . import demo as strategy_demo
        from . import reminders

        navigation.register(
            navigation.NavItem(
                "strategy",
                _("Pilotage"),
                "strategy:dashboard",
                "speedometer2",
                order=60,
                visible=lambda user: user.has_perm("strategy.view_dashboard"),
            )
        )
        # The Bureau reads everything and prepares board packs; definitions and targets are changed
        # only by holders of strategy.admin_strategy (granted per person, not a role).
        roles.grant(roles.BUREAU, "strategy", roles.crud(*MODELS, actions=("view",)))
        roles.grant(roles.BUREAU, "strategy", ["view_dashboard", "add_boardpack"])
        # https://crontab.guru/#30_2_*_*_*
        schedule.register(
            "strategy-close-periods",
            "strategy.tasks.periods_close",
            crontab(minute=30, hour=2),
            "Crée l'étape du récapitulatif quotidien si elle manque, puis écrit la valeur officielle "
            "des périodes closes des indicateurs calculés.",
        )
        reminders.register_rules()
        demo.register("strategy", strategy_demo.seed, order=50)

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .computed import invalidate

        def forget_cached_figures(**kwargs):
            # Cache work only: an edit made in the admin must show on the dashboard at once.
            invalidate()

        for name in MODELS:
            model = self.get_model(name)
            post_save.connect(
                forget_cached_figures, sender=model, weak=False, dispatch_uid=f"strategy-cache-save-{name}"
            )
            post_delete.connect(
                forget_cached_figures, sender=model, weak=False, dispatch_uid=f"strategy-cache-delete-{name}"
            )
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    forget_cached_figures,
                    weak=False,
                    sender=field.remote_field.through,
                    dispatch_uid=f"strategy-cache-m2m-{name}-{field.name}",
                )
