from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = _("Pilotage de la stratégie")

    def ready(self) -> None:
        from soce.lib import navigation

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
