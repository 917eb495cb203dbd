from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Bénévolat")

    def ready(self) -> None:
        from soce.lib import navigation

        navigation.register(navigation.NavItem("volunteers", _("Bénévolat"), "volunteers:home", "people", order=40))
