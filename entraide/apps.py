from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntraideConfig(AppConfig):
    name = "entraide"
    verbose_name = _("Entraide")

    def ready(self) -> None:
        from soce.lib import navigation

        navigation.register(navigation.NavItem("entraide", _("Entraide"), "entraide:home", "heart", order=50))
