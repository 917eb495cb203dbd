from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Membres et cotisations")

    def ready(self) -> None:
        from soce.lib import demo, navigation, roles

        from . import demo as members_demo

        navigation.register(navigation.NavItem("home", _("Mon espace"), "home", "house", order=10))
        navigation.register(
            navigation.NavItem(
                "admin", _("Administration"), "admin:index", "gear", order=90, visible=lambda user: user.is_staff
            )
        )
        roles.grant(
            roles.SECRETARIAT, "members", roles.crud("member", "campus", "category", "group", "groupmembership")
        )
        roles.grant(roles.SECRETARIAT, "members", ["view_historicalmember", "view_historicalgroupmembership"])
        roles.grant(roles.SECRETARIAT, "core", ["view_outgoingemail", "view_auditevent"])
        roles.grant(
            roles.BUREAU,
            "members",
            roles.crud("member", "campus", "category", "group", "groupmembership", actions=("view",)),
        )
        roles.grant(roles.BENEVOLAT, "members", roles.crud("member", "group", "groupmembership", actions=("view",)))
        roles.grant(roles.ENTRAIDE, "members", roles.crud("member", "group", "groupmembership", actions=("view",)))
        demo.register("members", members_demo.seed, order=10)
