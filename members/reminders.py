"""Règles d'audience des campagnes de cotisation, branchées sur le moteur générique de relances.

Paramètres communs d'une étape (`Step.params`) : `year` (défaut : la campagne, sinon l'année d'envoi),
`campus` (code), `group` (adresse du groupe). Paramètres propres : `tiers` (liste de paliers JP),
`years` (radiés depuis au plus N ans ; jamais payé depuis un diplôme de moins de N ans).

Jamais relancés : qui a réglé l'année, qui a annoncé un paiement que le secrétariat n'a pas encore
enregistré, qui s'est désabonné des relances (l'appel annuel, qui n'est pas une relance, arrive quand même),
les personnes sans e-mail, décédées ou démissionnaires. L'audience est revérifiée pour chaque personne
juste avant que son e-mail parte (`recheck`) : qui a payé pendant l'envoi étalé n'est pas relancé.

Ce module déclare aussi au moteur comment un membre se désabonne (`OPT_OUT`) : le moteur en tire
l'en-tête List-Unsubscribe (RFC 8058) de toute étape de relance, de cette app ou d'une autre.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext

from soce.lib.reminders.registry import AudienceRule, OptOut, Recipient, register, register_opt_out

from .models import Cotisation, CotisationStatus, GroupMembership, Lifecycle, Member, RateGrid
from .rates import jp_tier, resolve_rate
from .tokens import renewal_token, unsubscribe_token


def step_year(step, today: date) -> int:
    return int(step.params.get("year") or step.campaign.year or (step.send_on or today).year)


def _base(step, today: date) -> QuerySet:
    year = step_year(step, today)
    declared = Cotisation.objects.filter(
        member_id=OuterRef("pk"),
        year=year,
        declared_at__isnull=False,
        status__in=[CotisationStatus.DUE, CotisationStatus.PARTIAL],
    )
    qs = (
        Member.objects.exclude(status__in=[Lifecycle.DECEASED, Lifecycle.RESIGNED])
        .exclude(Q(paid_through_year__gte=year) | Q(lifetime_since__isnull=False))
        .exclude(Exists(declared))
        .exclude(email="")
        .filter(anonymised_at__isnull=True)
    )
    if step.is_reminder:
        qs = qs.filter(reminders_opt_out=False)
    if step.params.get("campus"):
        qs = qs.filter(campus__code=step.params["campus"])
    if step.params.get("group"):
        qs = qs.filter(
            Exists(GroupMembership.objects.filter(member_id=OuterRef("pk"), group__slug=step.params["group"]))
        )
    return qs


def _recent_members(step, today):
    """Members expected to pay: active, paid within the last three years."""
    year = step_year(step, today)
    return _base(step, today).filter(status=Lifecycle.ACTIVE, paid_through_year__gte=year - 3)


def _paid_last_year(step, today):
    return _base(step, today).filter(status=Lifecycle.ACTIVE, paid_through_year=step_year(step, today) - 1)


def _jp(step, today):
    year = step_year(step, today)
    tiers = [int(t) for t in step.params.get("tiers", [1, 2, 3, 4, 5])]
    # JP tier t in year Y means graduation in Y - t (tier 1 also covers the graduation year itself).
    grad_years = {year - t for t in tiers} | ({year} if 1 in tiers else set())
    return _base(step, today).filter(status=Lifecycle.ACTIVE, category__is_alumni=True, graduation_year__in=grad_years)


def _struck_off(step, today):
    years = int(step.params.get("years", 3))
    return _base(step, today).filter(
        status=Lifecycle.STRUCK_OFF, struck_off_on__gte=today - timedelta(days=365 * years)
    )


def _never_paid(step, today):
    years = int(step.params.get("years", 5))
    year = step_year(step, today)
    return (
        _base(step, today)
        .filter(
            status=Lifecycle.ACTIVE,
            category__is_alumni=True,
            graduation_year__gte=year - years,
            graduation_year__lte=year,
        )
        .filter(Q(paid_through_year__isnull=True) | Q(paid_through_year__lt=F("graduation_year")))
    )


def _recipients(queryset_builder):
    def build(step, today):
        year = step_year(step, today)
        grid = RateGrid.objects.filter(year=year).first()
        rates = list(grid.rates.all()) if grid else []
        qs = queryset_builder(step, today).select_related("campus", "category").prefetch_related("reduced_rates")
        for member in qs.order_by("pk").iterator(chunk_size=2000):
            choice = resolve_rate(member, grid, rates=rates, grants=list(member.reduced_rates.all())) if grid else None
            # List-Unsubscribe and `unsubscribe_url` are added by the engine to reminder steps (see OPT_OUT).
            yield Recipient(
                key=f"member-{member.pk}",
                to=member.email,
                member_id=member.pk,
                related=member,
                context={
                    "member": member,
                    "year": year,
                    "choice": choice,
                    "tier": jp_tier(member, year),
                    "renew_url": settings.SITE_URL + reverse("renew_token", args=[renewal_token(member, year)]),
                },
            )

    return build


def _counter(queryset_builder):
    return lambda step, today: queryset_builder(step, today).count()


def _rechecker(queryset_builder):
    """recheck(step, key, member_id, today): "" while the member is still in the audience, else why not."""

    def recheck(step, recipient_key: str, member_id: int | None, today: date) -> str:
        if member_id is None or queryset_builder(step, today).filter(pk=member_id).exists():
            return ""
        year = step_year(step, today)
        member = Member.objects.filter(pk=member_id).first()
        if member is None or member.anonymised_at is not None:
            return gettext("Fiche supprimée ou anonymisée avant l'envoi.")
        if (member.paid_through_year or 0) >= year or member.lifetime_since is not None:
            return gettext("A réglé la cotisation %(year)d avant l'envoi.") % {"year": year}
        if Cotisation.objects.filter(
            member_id=member_id,
            year=year,
            declared_at__isnull=False,
            status__in=[CotisationStatus.DUE, CotisationStatus.PARTIAL],
        ).exists():
            return gettext("A déclaré un paiement %(year)d, pas encore enregistré.") % {"year": year}
        if step.is_reminder and member.reminders_opt_out:
            return gettext("S'est désabonné(e) des relances avant l'envoi.")
        return gettext("Ne fait plus partie de l'audience de l'étape au moment de l'envoi.")

    return recheck


def conversion(step) -> int:
    """How many people the step's e-mail actually reached paid that year's dues within 30 days after it left.

    Counted from each e-mail's send time, over delivered e-mails only (failed or cancelled ones convert nobody).
    """
    from soce.lib.reminders.services import delivered_and_done_within

    year = step_year(step, step.send_on or date.today())  # noqa: DTZ011 - only a fallback, send_on is set
    return delivered_and_done_within(
        step=step,
        done=Cotisation.objects.filter(year=year, status=CotisationStatus.PAID),
        member_field="member_id",
        at_field="paid_at",
    )


def _opted_out(member_ids) -> set[int]:
    return set(Member.objects.filter(pk__in=list(member_ids), reminders_opt_out=True).values_list("pk", flat=True))


def _unsubscribe_urls(member_ids) -> dict[int, str]:
    """One-click links: the signed public id only (nothing sensitive in the URL)."""
    rows = Member.objects.filter(pk__in=list(member_ids)).only("pk", "public_id")
    return {m.pk: settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(m)]) for m in rows}


OPT_OUT = OptOut(opted_out=_opted_out, unsubscribe_urls=_unsubscribe_urls)


RULES = {
    "members.dues_call": ("Cotisation : appel (membres des trois dernières années non à jour)", _recent_members),
    "members.unpaid_this_year": ("Cotisation : pas encore réglée cette année", _recent_members),
    "members.paid_last_year_not_this": ("Cotisation : réglée l'an dernier, pas cette année", _paid_last_year),
    "members.jp_tiers": ("Cotisation : Jeunes Promotions par palier (paramètre « tiers »)", _jp),
    "members.struck_off_recent": ("Cotisation : radiés depuis au plus N ans (paramètre « years »)", _struck_off),
    "members.never_paid_since_graduation": (
        "Cotisation : jamais réglée depuis le diplôme (diplômés depuis au plus N ans)",
        _never_paid,
    ),
}


def register_rules() -> None:
    register_opt_out(OPT_OUT)
    for code, (label, builder) in RULES.items():
        register(
            AudienceRule(
                code=code,
                label=label,
                build=_recipients(builder),
                count=_counter(builder),
                conversion=conversion,
                recheck=_rechecker(builder),
                params_help="year, campus (code), group (adresse), tiers, years",
            )
        )
