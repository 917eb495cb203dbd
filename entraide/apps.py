from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _is_entraide(user) -> bool:
    return user.has_perm("entraide.view_aidcase")


class EntraideConfig(AppConfig):
    name = "entraide"
    verbose_name = _("Entraide")

    def ready(self) -> None:
        from members import gdpr as members_gdpr

        from .gdpr import member_aid

        members_gdpr.register_export("entraide", member_aid)
        from celery.schedules import crontab

        from soce import schedule
        from soce.lib import demo, navigation, roles

        from . import demo as entraide_demo
        from . import metrics, reminders

        navigation.register(navigation.NavItem("entraide", _("Entraide"), "entraide:home", "heart", order=50))
        navigation.register(
            navigation.NavItem(
                "entraide_staff",
                _("Service entraide"),
                "entraide:staff_home",
                "briefcase",
                order=55,
                visible=_is_entraide,
            )
        )
        # The Entraide group only; the Bureau sees anonymised aggregates through the metrics, never a case.
        roles.grant(
            roles.ENTRAIDE,
            "entraide",
            [
                "view_aidcase",
                "add_aidcase",
                "assign_aidcase",
                "view_access_log",
                "manage_session",
                "record_repayment",
                "view_loan",
                "view_guarantee",
                "view_grant",
                "view_entraidesettings",
                "change_entraidesettings",
                *roles.crud("envelope", "committeeseat"),
            ],
        )
        from soce.lib.signing import registry as signing

        from . import services

        signing.register(
            signing.DocumentKind(
                code=services.CONTRACT_KIND,
                label=str(_("Contrat de prêt d'honneur")),
                pdf_context=services.contract_pdf_context,
                on_party_signed=services.on_contract_signed,
                on_declined=services.on_contract_declined,
                portal_url=services.contract_portal_url,
            )
        )
        reminders.register_rules()
        metrics.register_all()
        # https://crontab.guru/#30_2_*_*_*
        schedule.register(
            "entraide-nightly",
            "entraide.tasks.loans_nightly",
            crontab(hour=2, minute=30),
            "Entraide : premières échéances, jours de retard et suivis des prêts.",
        )
        # https://crontab.guru/#0_4_*_*_0
        schedule.register(
            "entraide-anonymise",
            "entraide.tasks.cases_anonymise_expired",
            crontab(hour=4, minute=0, day_of_week=0),
            "Entraide : anonymise les dossiers clos au-delà de la durée de conservation.",
        )
        demo.register("entraide", entraide_demo.seed, order=40)
