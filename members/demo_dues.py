"""Démonstration : grilles 2015–2027, douze ans de cotisations au profil réel, radiés et retours.

Les effectifs suivent la tendance de DOMAIN.md (16 266 cotisants en 2017, 15 567 en 2018, 16 700 en
2019 ; part JP ~31 %), ramenés à la taille de la population de démonstration (≈ 60 000 personnes réelles).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import (
    AssociationSettings,
    Category,
    Cotisation,
    CotisationStatus,
    GridStatus,
    Lifecycle,
    Member,
    Payment,
    PaymentMethod,
    Rate,
    RateGrid,
    RateKind,
    ReceiptSequence,
    TaxReceipt,
)
from .rates import jp_tier

FIRST_YEAR = 2015
LAST_PAID_YEAR = 2026  # the current year, campaign still running
REAL_POPULATION = 100_000  # the benchmark's register: ~17,000 payers a year out of 100,000 people
PAYERS = {
    2015: 16_900,
    2016: 16_600,
    2017: 16_266,
    2018: 15_567,
    2019: 16_700,
    2020: 15_900,
    2021: 16_150,
    2022: 16_450,
    2023: 16_800,
    2024: 17_050,
    2025: 17_300,
    2026: 16_200,
}
JP_SHARE = {
    2015: 0.27,
    2016: 0.28,
    2017: 0.29,
    2018: 0.313,
    2019: 0.312,
    2020: 0.315,
    2021: 0.32,
    2022: 0.325,
    2023: 0.33,
    2024: 0.335,
    2025: 0.34,
    2026: 0.345,
}
METHODS = [
    (PaymentMethod.TRANSFER, 0.38),
    (PaymentMethod.CHEQUE, 0.22),
    (PaymentMethod.CARD, 0.12),
    (PaymentMethod.DIRECT_DEBIT, 0.22),
    (PaymentMethod.CASH, 0.02),
    (PaymentMethod.ONLINE, 0.04),
]


def _grid_rates(year: int, categories: dict[str, Category]) -> list[dict]:
    inflation = Decimal(year - FIRST_YEAR) * Decimal("2")
    full = Decimal("100") + inflation
    rows = [
        ("PLEIN", "Cotisation normale", RateKind.STANDARD, full, {}),
        ("JP1", "Jeunes Promotions, 1re année", RateKind.JP, Decimal("25"), {"jp_tier": 1}),
        ("JP2", "Jeunes Promotions, 2e année", RateKind.JP, Decimal("45"), {"jp_tier": 2}),
        ("JP3", "Jeunes Promotions, 3e année", RateKind.JP, Decimal("60"), {"jp_tier": 3}),
        ("JP4", "Jeunes Promotions, 4e année", RateKind.JP, Decimal("75"), {"jp_tier": 4}),
        ("JP5", "Jeunes Promotions, 5e année", RateKind.JP, Decimal("90"), {"jp_tier": 5}),
        ("ETU", "Élève", RateKind.CATEGORY, Decimal("10"), {"category": categories["eleve"]}),
        ("HON", "Membre d'honneur", RateKind.CATEGORY, Decimal("0"), {"category": categories["honoraire"]}),
        (
            "VEUF",
            "Conjoint survivant",
            RateKind.CATEGORY,
            Decimal("40"),
            {"category": categories["conjoint-survivant"]},
        ),
        (
            "RETRAITE",
            "Tarif retraité",
            RateKind.REDUCED,
            (full * Decimal("0.7")).quantize(Decimal("1")),
            {"reduction": "retired"},
        ),
        ("EMPLOI", "Tarif recherche d'emploi", RateKind.REDUCED, Decimal("30"), {"reduction": "job_seeker"}),
        ("COUPLE", "Tarif couple (par personne)", RateKind.COUPLE, (full * Decimal("0.75")).quantize(Decimal("1")), {}),
        ("VIE", "Cotisation à vie", RateKind.LIFETIME, full * 15, {}),
    ]
    return [
        {"code": c, "label": lab, "kind": k, "amount_eur": a, "position": i, **extra}
        for i, (c, lab, k, a, extra) in enumerate(rows)
    ]


def seed(*, rng: random.Random, stdout, options: dict) -> None:
    """Grids, then twelve years of dues, unless already there."""
    AssociationSettings.load()
    categories = {c.code: c for c in Category.objects.all()}
    with transaction.atomic():
        for year in range(FIRST_YEAR, LAST_PAID_YEAR + 2):
            grid, created = RateGrid.objects.get_or_create(year=year, defaults={"status": GridStatus.PUBLISHED})
            if created:
                Rate.objects.bulk_create([Rate(grid=grid, **r) for r in _grid_rates(year, categories)])
        draft, created = RateGrid.objects.get_or_create(
            year=LAST_PAID_YEAR + 2,
            defaults={"status": GridStatus.DRAFT, "notes": "Brouillon : +3 € sur le plein tarif."},
        )
        if created:
            Rate.objects.bulk_create([Rate(grid=draft, **r) for r in _grid_rates(LAST_PAID_YEAR + 3, categories)])
    if Cotisation.objects.exists():
        stdout.write(f"  cotisations : déjà présentes ({Cotisation.objects.count()})")
        return
    _history(rng, categories)
    struck = Member.objects.filter(status=Lifecycle.STRUCK_OFF).count()
    stdout.write(
        f"  cotisations : {Cotisation.objects.count()} sur {LAST_PAID_YEAR - FIRST_YEAR + 1} ans, "
        f"{TaxReceipt.objects.count()} reçus fiscaux, {struck} radiés"
    )


def _history(rng: random.Random, categories) -> None:
    members = list(
        Member.objects.filter(
            status=Lifecycle.ACTIVE,
            category__code__in=["gadzarts", "autre-diplome", "eleve", "conjoint-survivant", "associe"],
        )
        .select_related("category", "user")
        .order_by("pk")
    )
    scale = len(members) / REAL_POPULATION * 1.03
    grids = {g.year: g for g in RateGrid.objects.prefetch_related("rates")}
    rates_by_grid = {y: {r.code: r for r in g.rates.all()} for y, g in grids.items()}
    demo_payers = {
        m.pk
        for m in members
        if m.user_id and m.user.email.split("@")[0] in ("membre", "benevole", "bureau", "entraide")
    }
    conf = AssociationSettings.load()
    issuer = {
        "name": conf.legal_name,
        "address": conf.legal_address,
        "object": conf.legal_object,
        "decree": conf.public_utility_decree,
        "signatory": conf.receipt_signatory,
    }
    counters: dict[int, int] = {}
    paid_years: dict[int, list[int]] = {m.pk: [] for m in members}
    last_paid: dict[int, int] = {}
    by_pk = {m.pk: m for m in members}
    status: dict[int, str] = {m.pk: Lifecycle.ACTIVE for m in members}
    struck_years: dict[int, int] = {}
    cotisations: list[Cotisation] = []
    returns = 0
    for year in range(FIRST_YEAR, LAST_PAID_YEAR + 1):
        target = max(1, round(PAYERS[year] * scale))
        target_jp = round(target * JP_SHARE[year])
        jp, others = [], []
        for m in members:
            if (m.entry_year or 0) > year or (m.category.code == "eleve" and year < 2023):
                continue
            tier = jp_tier(m, year)
            (jp if tier is not None and tier <= 5 else others).append(m)

        def pick(pool, n, year=year):
            loyal = [m for m in pool if last_paid.get(m.pk) == year - 1]
            rest = [m for m in pool if last_paid.get(m.pk) != year - 1]
            rng.shuffle(loyal)
            rng.shuffle(rest)
            keep = loyal[: round(n * 0.85)]
            return (keep + rest)[:n] if len(keep) < n else keep[:n]

        chosen = {m.pk: m for m in pick(jp, min(target_jp, len(jp))) + pick(others, max(0, target - target_jp))}
        for pk in demo_payers:
            chosen.setdefault(pk, by_pk[pk])
        for member in chosen.values():
            if status[member.pk] == Lifecycle.STRUCK_OFF:
                status[member.pk] = Lifecycle.ACTIVE
                is_return = True
                returns += 1
            else:
                is_return = False
            rate, reason = _rate_for(member, year, rates_by_grid[year])
            gift = Decimal(rng.choice([20, 30, 50, 100])) if rng.random() < 0.14 else Decimal("0")
            paid_day = date(year, 1, 5) + timedelta(days=int(rng.triangular(0, 330, 40)))
            if year == LAST_PAID_YEAR and paid_day > timezone.localdate():
                paid_day = timezone.localdate() - timedelta(days=rng.randint(1, 200))
            method = rng.choices([m for m, _w in METHODS], weights=[w for _m, w in METHODS])[0]
            cotisations.append(
                Cotisation(
                    member=member,
                    year=year,
                    rate=rate,
                    rate_code=rate.code,
                    rate_label=reason,
                    amount_due_eur=rate.amount_eur,
                    gift_eur=gift,
                    paid_eur=rate.amount_eur + gift,
                    status=CotisationStatus.PAID,
                    declared_method=method,
                    is_return=is_return,
                    transfer_reference=f"SOCE-{year}-D{member.pk:06d}",
                    paid_at=timezone.make_aware(datetime.combine(paid_day, time(10))),
                    created_at=timezone.make_aware(datetime.combine(paid_day, time(9))),
                )
            )
            paid_years[member.pk].append(year)
            last_paid[member.pk] = year
        _flush(cotisations, by_pk, counters, issuer)
        cotisations = []
        # Yearly striking-off after 3 unpaid years, as the real job would do in January.
        for member in members:
            years = paid_years[member.pk]
            if status[member.pk] == Lifecycle.ACTIVE and years and years[-1] <= year - 3 and year < LAST_PAID_YEAR:
                status[member.pk] = Lifecycle.STRUCK_OFF
                struck_years[member.pk] = year + 1
    # This year's unpaid renewals in progress: declared transfers and cheques not yet recorded.
    for member in rng.sample(members, k=min(len(members) // 50, len(members))):
        if paid_years[member.pk] and paid_years[member.pk][-1] == LAST_PAID_YEAR - 1 and member.pk not in demo_payers:
            rate, reason = _rate_for(member, LAST_PAID_YEAR, rates_by_grid[LAST_PAID_YEAR])
            cotisations.append(
                Cotisation(
                    member=member,
                    year=LAST_PAID_YEAR,
                    rate=rate,
                    rate_code=rate.code,
                    rate_label=reason,
                    amount_due_eur=rate.amount_eur,
                    status=CotisationStatus.DUE,
                    declared_method=rng.choice([PaymentMethod.TRANSFER, PaymentMethod.CHEQUE]),
                    declared_at=timezone.now() - timedelta(days=rng.randint(1, 20)),
                    transfer_reference=f"SOCE-{LAST_PAID_YEAR}-P{member.pk:06d}",
                )
            )
    _flush(cotisations, by_pk, counters, issuer)
    ReceiptSequence.objects.bulk_create([ReceiptSequence(year=y, last_number=n) for y, n in counters.items()])
    _bulk_standing(members, paid_years, status, struck_years)


def _flush(cotisations: list[Cotisation], by_pk: dict, counters: dict[int, int], issuer: dict) -> None:
    """Writes one year of cotisations with their payments and receipts (memory stays bounded)."""
    with transaction.atomic():
        Cotisation.objects.bulk_create(cotisations, batch_size=2000)
        paid = [c for c in cotisations if c.status == CotisationStatus.PAID and c.amount_due_eur + c.gift_eur > 0]
        Payment.objects.bulk_create(
            [
                Payment(
                    cotisation_id=c.pk,
                    amount_eur=c.amount_due_eur + c.gift_eur,
                    method=c.declared_method,
                    paid_on=timezone.localtime(c.paid_at).date(),
                    reference=f"DEMO-{c.pk}",
                    recorded_at=c.paid_at,
                )
                for c in paid
            ],
            batch_size=5000,
        )
        receipts = []
        for c in sorted(paid, key=lambda c: (c.paid_at, c.pk)):
            issue_year = timezone.localtime(c.paid_at).year
            counters[issue_year] = counters.get(issue_year, 0) + 1
            member = by_pk[c.member_id]
            receipts.append(
                TaxReceipt(
                    year=issue_year,
                    sequence=counters[issue_year],
                    number=f"{issue_year}-{counters[issue_year]:06d}",
                    cotisation_id=c.pk,
                    member_id=c.member_id,
                    amount_eur=c.amount_due_eur + c.gift_eur,
                    dues_eur=c.amount_due_eur,
                    gift_eur=c.gift_eur,
                    payment_date=timezone.localtime(c.paid_at).date(),
                    payment_method=c.declared_method,
                    donor={
                        "civility": member.civility,
                        "first_name": member.first_name,
                        "last_name": member.last_name,
                        "address_line1": member.address_line1,
                        "address_line2": member.address_line2,
                        "postal_code": member.postal_code,
                        "city": member.city,
                        "country": member.country,
                    },
                    issuer=issuer,
                    issued_at=c.paid_at,
                )
            )
        TaxReceipt.objects.bulk_create(receipts, batch_size=2000)


def _rate_for(member, year, rates):
    from .rates import resolve_rate

    grid = RateGrid(year=year)
    choice = resolve_rate(member, grid, rates=list(rates.values()), grants=[])
    return choice.rate, choice.reason


def _bulk_standing(members, paid_years, status, struck_years) -> None:
    by_year: dict[int | None, list[int]] = {}
    for member in members:
        years = paid_years[member.pk]
        by_year.setdefault(years[-1] if years else None, []).append(member.pk)
    for year, pks in by_year.items():
        Member.objects.filter(pk__in=pks).update(paid_through_year=year)
    for pk, year in struck_years.items():
        if status[pk] == Lifecycle.STRUCK_OFF:
            Member.objects.filter(pk=pk).update(
                status=Lifecycle.STRUCK_OFF,
                struck_off_on=date(year, 1, 15),
                struck_off_reason="Non-paiement de 3 années de cotisation",
            )


CAMPAIGN_STEPS = [
    # (code suffix, name, rule, template, month, day, is_reminder, params)
    ("appel", "Appel à cotisation", "members.dues_call", "members/dues_call", 1, 5, False, {}),
    ("relance-mars", "Relance de mars", "members.unpaid_this_year", "members/dues_reminder", 3, 1, True, {}),
    (
        "relance-mai",
        "Relance de mai (cotisants de l'an dernier)",
        "members.paid_last_year_not_this",
        "members/dues_reminder",
        5,
        1,
        True,
        {},
    ),
    (
        "relance-jp",
        "Relance Jeunes Promotions",
        "members.jp_tiers",
        "members/dues_reminder",
        6,
        1,
        True,
        {"tiers": [1, 2, 3, 4, 5]},
    ),
    (
        "reconquete",
        "Reconquête des radiés récents",
        "members.struck_off_recent",
        "members/dues_winback",
        9,
        15,
        True,
        {"years": 3},
    ),
    ("relance-octobre", "Relance d'octobre", "members.unpaid_this_year", "members/dues_reminder", 10, 1, True, {}),
    (
        "dernier-appel",
        "Dernier rappel avant radiation",
        "members.unpaid_this_year",
        "members/dues_last_call",
        12,
        1,
        True,
        {},
    ),
]


def seed_campaigns(*, rng: random.Random, stdout, options: dict) -> None:
    """The 2026 campaign with its past results, and the 2027 campaign ready to go."""
    from soce.lib.reminders import services as reminders
    from soce.lib.reminders.models import Campaign, Step

    if Campaign.objects.filter(code="cotisations-2026").exists():
        return
    for year in (LAST_PAID_YEAR, LAST_PAID_YEAR + 1):
        camp = Campaign.objects.create(
            code=f"cotisations-{year}", name=f"Cotisations {year}", year=year, rate_per_minute=300
        )
        for suffix, name, rule, template, month, day, is_reminder, params in CAMPAIGN_STEPS:
            Step.objects.create(
                campaign=camp,
                code=f"cotisations-{year}-{suffix}",
                name=name,
                rule=rule,
                template=template,
                send_on=date(year, month, day),
                is_reminder=is_reminder,
                params=params,
            )
        reminders.campaign_ensure(code=camp.code, name=camp.name)
    _past_results(rng, LAST_PAID_YEAR)
    stdout.write("  campagnes de cotisation 2026 (résultats) et 2027 (programmée)")


def _past_results(rng: random.Random, year: int) -> None:
    """Deliveries of the steps already past in the demo year, so that results and conversion show."""
    from soce.lib.models import EmailStatus, OutgoingEmail
    from soce.lib.reminders.models import Delivery, Step, StepStatus

    today = timezone.localdate()
    paid = {
        m: p
        for m, p in Cotisation.objects.filter(year=year, status=CotisationStatus.PAID).values_list(
            "member_id", "paid_at"
        )
    }
    people = list(
        Member.objects.filter(status=Lifecycle.ACTIVE).exclude(email="").order_by("pk").values_list("pk", "email")
    )
    for step in Step.objects.filter(campaign__year=year, send_on__lte=today).order_by("send_on"):
        sent_at = timezone.make_aware(datetime.combine(step.send_on, time(7)))
        # Reached: those who had not paid on that day, a sample of the population.
        reached = [(pk, email) for pk, email in people if pk not in paid or paid[pk] > sent_at]
        reached = rng.sample(reached, k=min(len(reached), 400))
        emails = [
            OutgoingEmail(
                idempotency_key=f"reminder:{step.code}:member-{pk}",
                template=step.template,
                to=email,
                from_email="Soce <ne-pas-repondre@soce.fr>",
                subject=f"{step.name} {year}",
                body_text="(démonstration)",
                status=EmailStatus.SENT if rng.random() > 0.02 else EmailStatus.FAILED,
                created_at=sent_at,
                status_changed_at=sent_at,
                sent_at=sent_at,
                last_error="",
            )
            for pk, email in reached
        ]
        OutgoingEmail.objects.bulk_create(emails, batch_size=1000)
        ids = dict(
            OutgoingEmail.objects.filter(idempotency_key__startswith=f"reminder:{step.code}:").values_list(
                "idempotency_key", "pk"
            )
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    step=step,
                    recipient_key=f"member-{pk}",
                    member_id=pk,
                    planned_at=sent_at,
                    created_at=sent_at,
                    email_id=ids[f"reminder:{step.code}:member-{pk}"],
                )
                for pk, _email in reached
            ],
            batch_size=1000,
        )
        Step.objects.filter(pk=step.pk).update(status=StepStatus.DONE, last_run_at=sent_at, finished_at=sent_at)
