from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Bénévolat")

    def ready(self) -> None:
        from members import gdpr as members_gdpr

        from .gdpr import member_volunteering

        members_gdpr.register_export("benevolat", member_volunteering)
        from celery.schedules import crontab

        from members.signals import dues_status_changed
        from soce import schedule
        from soce.lib import demo, metrics, navigation, roles
        from soce.lib.reminders import registry as reminders
        from soce.lib.signing import registry as signing

        from . import demo as volunteers_demo
        from . import metrics as volunteers_metrics
        from . import receivers, services
        from . import reminders as volunteers_reminders

        navigation.register(navigation.NavItem("volunteers", _("Bénévolat"), "volunteers:home", "people", order=40))
        signing.register(
            signing.DocumentKind(
                code=services.KIND,
                label=str(_("Charte du bénévole")),
                pdf_template="pdf/volunteers/charter.html",
                pdf_context=services.pdf_context,
                on_party_signed=services.on_party_signed,
                on_declined=services.on_declined,
                portal_url=services.portal_url,
            )
        )
        for rule in volunteers_reminders.RULES:
            reminders.register(rule)
        for metric in volunteers_metrics.METRICS:
            metrics.register(metric)
        dues_status_changed.connect(receivers.on_dues_status_changed, dispatch_uid="volunteers-dues-status")
        # https://crontab.guru/#30_6_*_*_*
        schedule.register(
            "volunteers-daily",
            "volunteers.tasks.volunteers_daily",
            crontab(minute=30, hour=6),
            "Bénévolat : suspensions (cotisation, charte non signée dans le délai) et bilans arrivés à échéance.",
        )
        roles.grant(
            roles.BENEVOLAT,
            "volunteers",
            roles.crud("mission", "countersigningmandate", "charterversion")
            + roles.crud("engagement", "review", actions=("view", "add", "change"))
            + roles.crud("chartersignature", actions=("view", "add"))
            + roles.crud("resigningcampaign", actions=("view", "change"))
            + roles.crud("endproposal", actions=("view",)),
        )
        roles.grant(
            roles.BENEVOLAT, "signing", roles.crud("signabledocument", "party", "evidenceevent", actions=("view",))
        )
        roles.grant(roles.BENEVOLAT, "reminders", roles.crud("campaign", "step", "delivery", actions=("view",)))
        roles.grant(
            roles.BUREAU,
            "volunteers",
            [
                *roles.crud(
                    "mission", "engagement", "charterversion", "chartersignature", "endproposal", actions=("view",)
                ),
                "validate_engagement_end",
            ],
        )
        demo.register("volunteers", volunteers_demo.seed, order=30)
