from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Membres et cotisations")

    def ready(self) -> None:
        from soce.lib import demo, navigation, roles

        from . import demo as members_demo
        from . import demo_dues, receivers  # noqa: F401  (receivers: connects the signal receivers)

        navigation.register(navigation.NavItem("home", _("Mon espace"), "home", "house", order=10))
        navigation.register(navigation.NavItem("dues", _("Cotisation"), "dues", "wallet2", order=20))
        navigation.register(navigation.NavItem("directory", _("Annuaire"), "directory", "journal-bookmark", order=30))
        navigation.register(
            navigation.NavItem(
                "admin", _("Administration"), "admin:index", "gear", order=90, visible=lambda user: user.is_staff
            )
        )
        dues = ("rategrid", "rate", "reducedrategrant", "cotisation", "payment", "taxreceipt", "associationsettings")
        people = ("member", "campus", "category", "group", "groupmembership")
        roles.grant(roles.SECRETARIAT, "members", roles.crud(*people, *dues))
        roles.grant(
            roles.SECRETARIAT,
            "members",
            [
                "view_historicalmember",
                "view_historicalgroupmembership",
                "view_historicalcotisation",
                "view_historicalpayment",
                "view_historicalrategrid",
                # the member form's login autocomplete (Member.user) reads the accounts
                "view_user",
            ],
        )
        roles.grant(roles.SECRETARIAT, "core", ["view_outgoingemail", "view_auditevent", "view_backgroundjob"])
        roles.grant(roles.SECRETARIAT, "reminders", [*roles.crud("campaign", "step"), "view_delivery"])
        roles.grant(roles.BUREAU, "members", roles.crud(*people, *dues, actions=("view",)))
        roles.grant(roles.BUREAU, "reminders", roles.crud("campaign", "step", "delivery", actions=("view",)))
        roles.grant(roles.BENEVOLAT, "members", roles.crud("member", "group", "groupmembership", actions=("view",)))
        roles.grant(roles.ENTRAIDE, "members", roles.crud("member", "group", "groupmembership", actions=("view",)))
        demo.register("members", members_demo.seed, order=10)
        demo.register("dues", demo_dues.seed, order=20)
        demo.register("dues-campaigns", demo_dues.seed_campaigns, order=25)

        from celery.schedules import crontab

        from soce import schedule

        from .figures import register_metrics
        from .reminders import register_rules

        register_rules()
        register_metrics()
        # https://crontab.guru/#0_4_15_1_*
        schedule.register(
            "members-strike-off",
            "members.tasks.members_strike_off_unpaid_task",
            crontab(minute=0, hour=4, day_of_month=15, month_of_year=1),
            "Radie chaque année les membres sans cotisation depuis N années.",
        )
