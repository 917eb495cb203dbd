"""Données de démonstration du pilotage : le plan #DemainLaSoce 2023–2030 et le plan 2019.

Ambitions, objectifs et axes viennent de DOMAIN.md ; les critères clés de réussite, les
indicateurs saisis, leurs valeurs, les actions et les points d'étape sont inventés mais
plausibles. Les indicateurs calculés sont liés aux codes du registre : leur référence est prise
dans les données de l'application quand le registre en donne, sinon inventée (et les années
sans source reçoivent une valeur de démonstration). Déterministe (graine) et idempotent.
"""

from __future__ import annotations

import random
import time as time_module
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from . import computed, rules, services
from .models import (
    Action,
    ActionUpdate,
    Ambition,
    Annotation,
    Axis,
    CheckIn,
    Criterion,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
    ReviewCycle,
)
from .plan_2030 import AXES, PLAN_CODE, VISION

DEMO_DOMAIN = "demo.soce.fr"  # the members app's demo accounts (read by e-mail, never imported)

# Indicator spec: code, name, kind/metric, unit, target type, aggregation, frequency,
# baseline (2022), {year: target}, values, extra options.
# values: {year: value} for yearly, {(year, quarter): value} for quarterly, {(year, month): value} monthly.
M, C = "manual", "computed"

PLAN = [
    (
        "A1",
        "Nous affirmer comme leader",
        "Être reconnus comme la première association d'anciens élèves influente dans la transformation.",
        [
            (
                "Avoir une influence réelle sur les décideurs politiques et socio-économiques",
                [2, 4],
                [
                    (
                        "Les propositions de la Soce sont reprises par des décideurs publics",
                        [
                            dict(
                                code="propositions-publiees",
                                name="Propositions publiées par le club de propositions",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=1,
                                targets={2024: 3, 2026: 5, 2028: 7, 2030: 8},
                                values={2023: 2, 2024: 3, 2025: 3},
                                definition="Notes de propositions validées par le Bureau et diffusées dans l'année.",
                                source="Registre des publications du club de propositions.",
                            ),
                        ],
                    ),
                    (
                        "La Soce est sollicitée par les pouvoirs publics",
                        [
                            dict(
                                code="auditions-publiques",
                                name="Auditions et contributions auprès des pouvoirs publics",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=2,
                                targets={2026: 7, 2030: 12},
                                values={2023: 3, 2024: 5, 2025: 6},
                                source="Agenda du président et des vice-présidents.",
                            ),
                        ],
                    ),
                    ("Un réseau de Gadzarts élus et hauts fonctionnaires est identifié et animé", []),
                ],
            ),
            (
                "Faire reconnaître les compétences réelles de la communauté",
                [3, 5],
                [
                    (
                        "Les médias citent la Soce et ses membres comme référence technique",
                        [
                            dict(
                                code="retombees-presse",
                                name="Retombées presse citant la Soce",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=45,
                                targets={2024: 60, 2026: 80, 2028: 100, 2030: 120},
                                values={2023: 52, 2024: 61, 2025: 84},
                                source="Revue de presse de l'agence.",
                            ),
                        ],
                    ),
                    ("Un annuaire des compétences est consultable par les partenaires", []),
                ],
            ),
            (
                "Nous organiser pour une influence croissante",
                [10],
                [
                    (
                        "Des clubs disposent de ressources propres et rendent compte de leurs résultats",
                        [
                            dict(
                                code="clubs-autonomes",
                                name="Clubs dotés de ressources propres",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=0,
                                targets={2024: 3, 2026: 7, 2028: 11, 2030: 15},
                                values={2023: 1, 2024: 3, 2025: 4},
                            ),
                        ],
                    ),
                    ("La nouvelle gouvernance est adoptée par l'assemblée générale", []),
                ],
            ),
        ],
    ),
    (
        "A2",
        "Unir pour agir, fiers d'être Gadzarts",
        "Redonner à chacun la fierté d'appartenir et l'envie de contribuer.",
        [
            (
                "Fédérer toutes nos forces, quels que soient l'âge, la position, l'origine sociale ou géographique",
                [1, 5, 8],
                [
                    (
                        "Le nombre de cotisants progresse chaque année",
                        [
                            dict(
                                code="cotisants",
                                name="Membres cotisants",
                                kind=C,
                                metric="members.payers",
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=16900,
                                growth={2024: "1.04", 2026: "1.09", 2028: "1.15", 2030: "1.20"},
                                headline=1,
                                featured=True,
                                definition="Personnes dont la cotisation de l'année est réglée.",
                                source="Cotisations de l'application (registre « members.payers »).",
                                limitations="Les cotisations réglées en janvier pour l'année précédente comptent "
                                "pour l'année à laquelle elles se rapportent.",
                            ),
                            dict(
                                code="retours-radies",
                                name="Radiés revenus en cotisant",
                                kind=C,
                                metric="members.returning",
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=250,
                                growth={2026: "1.5", 2030: "2.0"},
                            ),
                        ],
                    ),
                    (
                        "Les jeunes diplômés adhèrent dès leur sortie de l'École",
                        [
                            dict(
                                code="part-jp",
                                name="Part des Jeunes Promotions parmi les cotisants",
                                kind=C,
                                metric="members.jp_share",
                                unit="percent",
                                decimals=1,
                                target_type="increase",
                                aggregation="ratio",
                                frequency="yearly",
                                baseline=31,
                                targets={2026: 34, 2030: 38},
                                headline=2,
                            ),
                            dict(
                                code="cotisants-jp",
                                name="Cotisants Jeunes Promotions",
                                kind=C,
                                metric="members.jp_payers",
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=5400,
                                growth={2026: "1.12", 2030: "1.30"},
                            ),
                        ],
                    ),
                    (
                        "Les relances de cotisation convertissent",
                        [
                            dict(
                                code="conversion-relances",
                                name="Cotisations réglées dans les 30 jours après une relance",
                                kind=C,
                                metric="reminders.conversion",
                                unit="percent",
                                decimals=1,
                                target_type="increase",
                                aggregation="ratio",
                                frequency="yearly",
                                baseline=18,
                                targets={2026: 24, 2030: 30},
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Aller vers un écosystème de compétences où émergent de nouveaux talents",
                [8],
                [
                    (
                        "Le bénévolat se renouvelle",
                        [
                            dict(
                                code="benevoles-actifs",
                                name="Bénévoles actifs",
                                kind=C,
                                metric="volunteers.active",
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=3000,
                                growth={2026: "1.08", 2030: "1.20"},
                                headline=6,
                            ),
                        ],
                    ),
                    (
                        "Le mentorat intergénérationnel se développe",
                        [
                            dict(
                                code="mentorats",
                                name="Binômes de mentorat actifs",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=120,
                                targets={2024: 200, 2026: 300, 2028: 400, 2030: 500},
                                values={2023: 150, 2024: 210, 2025: 240},
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Renforcer les compétences techniques et mieux valoriser les compétences comportementales",
                [6, 9],
                [
                    (
                        "L'offre carrière touche de plus en plus de camarades",
                        [
                            dict(
                                code="ateliers-participants",
                                name="Participants aux ateliers carrière",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=1184,
                                targets={2026: 1550, 2030: 2000},
                                values={2023: 1250, 2024: 1310, 2025: 1190},
                            ),
                            dict(
                                code="entretiens-coaching",
                                name="Entretiens de coaching",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=956,
                                targets={2026: 1150, 2030: 1400},
                                values={2023: 1010, 2024: 1090, 2025: 1180},
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "A3",
        "Valoriser nos savoir-faire",
        "Accompagner les membres toute leur vie, mettre les talents en lumière et donner envie aux meilleurs de nous "
        "rejoindre.",
        [
            (
                "Être les meilleurs là où nous sommes, notamment parmi les dirigeants",
                [3, 8],
                [
                    (
                        "Le service carrière diffuse des offres à la hauteur des attentes",
                        [
                            dict(
                                code="offres-emploi",
                                name="Offres d'emploi diffusées",
                                kind=M,
                                unit="count",
                                target_type="track",
                                aggregation="sum",
                                frequency="monthly",
                                baseline=2000,
                                monthly=(2025, 1, 22, 2000, 180),
                            ),
                        ],
                    ),
                    ("Les Gadzarts dirigeants sont identifiés et sollicités", []),
                ],
            ),
            (
                "Associer les promotions d'élèves à nos réflexions et décisions",
                [7, 10],
                [
                    (
                        "Des élèves siègent dans nos instances",
                        [
                            dict(
                                code="eleves-instances",
                                name="Élèves siégeant dans les instances de la Soce",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=4,
                                targets={2026: 10, 2030: 16},
                                values={2023: 5, 2024: 8, 2025: 9},
                            ),
                        ],
                    ),
                    (
                        "Les bénévoles s'engagent sur la charte en vigueur",
                        [
                            dict(
                                code="charte-signee",
                                name="Bénévoles ayant signé la charte en vigueur",
                                kind=C,
                                metric="volunteers.charter_signed_current",
                                unit="count",
                                target_type="increase",
                                aggregation="last",
                                frequency="yearly",
                                baseline=900,
                                growth={2024: "1.5", 2026: "2.2", 2030: "3.0"},
                                headline=3,
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Une forte culture de la reconnaissance des talents",
                [6, 3],
                [
                    (
                        "Les talents sont mis à l'honneur chaque année",
                        [
                            dict(
                                code="distinctions",
                                name="Gadzarts distingués et mis à l'honneur",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=30,
                                targets={2026: 55, 2030: 80},
                                values={2023: 35, 2024: 44},
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "A4",
        "Faire valoir l'attractivité de notre formation",
        "Répondre aux besoins du monde du travail et les anticiper en influençant les cursus d'ingénieurs.",
        [
            (
                "Se mobiliser pour un développement participatif et efficace de l'École (humain et financier)",
                [7],
                [
                    (
                        "Les membres soutiennent financièrement l'École",
                        [
                            dict(
                                code="dons-ecole-eur",
                                name="Dons des membres fléchés vers l'École",
                                kind=M,
                                unit="eur",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=180000,
                                targets={2026: 280000, 2030: 400000},
                                values={2023: 205000, 2024: 240000, 2025: 262000},
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Contribuer aux travaux des ingénieurs en lien avec les besoins de l'industrie",
                [2, 5],
                [
                    (
                        "Destination Ingénieur-e fait découvrir le métier aux jeunes, filles comprises",
                        [
                            dict(
                                code="eleves-rencontres",
                                name="Élèves rencontrés par Destination Ingénieur-e",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=9800,
                                targets={2026: 12000, 2030: 15000},
                                values={2023: 10200, 2024: 11100, 2025: 11900},
                                source="Comptes rendus des interventions (2019 : 10 400 élèves, 1 000 filles).",
                            ),
                            dict(
                                code="part-filles",
                                name="Part des filles parmi les élèves rencontrés",
                                kind=M,
                                unit="percent",
                                decimals=1,
                                target_type="increase",
                                aggregation="ratio",
                                frequency="yearly",
                                baseline="9.6",
                                targets={2026: 20, 2030: 30},
                                values={2023: (1150, 10200), 2024: (1420, 11100), 2025: (1650, 11900)},
                            ),
                        ],
                    ),
                    (
                        "Les groupes professionnels animent le débat technique",
                        [
                            dict(
                                code="conferences-gp",
                                name="Conférences des groupes professionnels",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="quarterly",
                                baseline=16,
                                targets={2026: 20, 2030: 25},
                                quarterly=(2023, 1, 14, 16, 3),
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Être fiers des compétences techniques des élèves et de leur attachement à notre histoire",
                [7, 9],
                [
                    (
                        "Les projets étudiants sont financés au niveau promis",
                        [
                            dict(
                                code="projets-etudiants-eur",
                                name="Projets étudiants financés",
                                kind=M,
                                unit="eur",
                                target_type="above",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=130000,
                                targets={2024: 130000, 2030: 130000},
                                values={2023: 132000, 2024: 118000, 2025: 135000},
                            ),
                            dict(
                                code="bourses-mobilite",
                                name="Cautions de mobilité internationale accordées",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=50,
                                targets={2030: 50},
                                values={2024: 55, 2025: 61},
                                limitations="Cible à revoir : elle est égale à la référence (erreur de "
                                "configuration laissée volontairement dans la démonstration).",
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "A5",
        "Humanisme et Fraternité",
        "Structurer et développer l'entraide et les liens intergénérationnels à un niveau supérieur à toute autre "
        "association d'anciens élèves.",
        [
            (
                "Rassembler les actions envers élèves et membres en une stratégie qui reflète le soutien financier et "
                "moral de la communauté",
                [9],
                [
                    (
                        "Aucune demande d'aide d'un élève ne reste sans réponse",
                        [
                            dict(
                                code="demandes-satisfaites",
                                name="Demandes d'aide d'élèves satisfaites",
                                kind=M,
                                unit="percent",
                                target_type="above",
                                aggregation="ratio",
                                frequency="yearly",
                                baseline=100,
                                targets={2024: 95, 2030: 95},
                                values={2023: 100, 2024: 98, 2025: 100},
                            ),
                            dict(
                                code="entraide-secours",
                                name="Entraide : secours accordés",
                                kind=C,
                                metric="entraide.granted_eur",
                                unit="eur",
                                target_type="track",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=150000,
                                headline=4,
                            ),
                            dict(
                                code="entraide-prets",
                                name="Entraide : prêts d'honneur accordés",
                                kind=C,
                                metric="entraide.lent_eur",
                                unit="eur",
                                target_type="track",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=147000,
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Identifier les actions caritatives alignées sur notre vision ou celle de la Fondation Arts et Métiers",
                [9],
                [
                    (
                        "Les prêts d'honneur sont remboursés, ce qui finance les suivants",
                        [
                            dict(
                                code="remboursement",
                                name="Taux de remboursement des prêts d'honneur",
                                kind=C,
                                metric="entraide.repayment_rate",
                                unit="percent",
                                decimals=1,
                                target_type="above",
                                aggregation="ratio",
                                frequency="yearly",
                                baseline=90,
                                targets={2024: 90, 2030: 92},
                                headline=5,
                            ),
                            dict(
                                code="encours-prets",
                                name="Encours des prêts d'honneur",
                                kind=C,
                                metric="entraide.outstanding_eur",
                                unit="eur",
                                target_type="track",
                                aggregation="last",
                                frequency="yearly",
                                baseline=600000,
                            ),
                            dict(
                                code="dossiers-retard",
                                name="Dossiers en retard de remboursement",
                                kind=C,
                                metric="entraide.cases_in_arrears",
                                unit="count",
                                target_type="below",
                                aggregation="last",
                                frequency="yearly",
                                baseline=12,
                                targets={2024: 12, 2030: 8},
                            ),
                        ],
                    ),
                ],
            ),
            (
                "Développer le mentorat et les tables rondes sur l'engagement des Gadzarts dans la société",
                [8, 9],
                [
                    (
                        "Des tables rondes sur l'engagement public se tiennent dans les régions",
                        [
                            dict(
                                code="tables-rondes",
                                name="Tables rondes sur l'engagement des Gadzarts",
                                kind=M,
                                unit="count",
                                target_type="increase",
                                aggregation="sum",
                                frequency="yearly",
                                baseline=2,
                                targets={2026: 7, 2030: 12},
                                values={2023: 3, 2024: 3, 2025: 4},
                            ),
                        ],
                    ),
                    ("Chaque groupe territorial propose un parrainage aux nouveaux arrivants", []),
                ],
            ),
        ],
    ),
]

ACTIONS = [
    # title, owner, status, start, due, objectives, indicators, axes, updates
    (
        "Lancer le club de propositions « Demain l'industrie »",
        "bureau",
        "in_progress",
        date(2024, 1, 15),
        date(2026, 6, 30),
        ["A1.O1"],
        ["propositions-publiees"],
        [4],
        ["Trois groupes de travail constitués.", "Première note remise au Bureau ; la deuxième a pris du retard."],
    ),
    (
        "Campagne de reconquête des radiés 2026",
        "secretariat",
        "done",
        date(2026, 1, 5),
        date(2026, 4, 30),
        ["A2.O1"],
        ["retours-radies", "cotisants"],
        [1],
        ["Courrier et relance téléphonique des radiés depuis moins de cinq ans.", "Campagne close."],
    ),
    (
        "Offre Jeunes Promotions : première cotisation allégée",
        "secretariat",
        "in_progress",
        date(2025, 9, 1),
        date(2026, 12, 31),
        ["A2.O1"],
        ["part-jp", "cotisants-jp"],
        [1, 8],
        ["Grille JP adoptée par le Conseil.", "Présentation aux promotions sortantes des huit campus."],
    ),
    (
        "Programme de mentorat intergénérationnel",
        "benevolat",
        "blocked",
        date(2024, 3, 1),
        date(2027, 6, 30),
        ["A2.O2", "A5.O3"],
        ["mentorats"],
        [8, 9],
        ["Appariement manuel des 150 premiers binômes.", "Bloqué : l'outil d'appariement attend un budget."],
    ),
    (
        "Cellule de veille sur les talents et réussites",
        "bureau",
        "planned",
        date(2026, 1, 1),
        date(2026, 9, 30),
        ["A3.O3"],
        ["distinctions"],
        [3, 6],
        [],
    ),
    (
        "Charte du bénévole en ligne et signature électronique",
        "benevolat",
        "done",
        date(2025, 1, 10),
        date(2025, 12, 31),
        ["A3.O2"],
        ["charte-signee"],
        [10],
        ["Signature en ligne ouverte à tous les bénévoles."],
    ),
    (
        "Convention de partenariat avec l'École 2025–2028",
        "bureau",
        "in_progress",
        date(2025, 2, 1),
        date(2027, 3, 31),
        ["A4.O1"],
        ["dons-ecole-eur"],
        [7],
        ["Premier comité de suivi commun tenu à Paris."],
    ),
    (
        "Destination Ingénieur-e : cent nouveaux intervenants",
        "benevolat",
        "in_progress",
        date(2025, 9, 1),
        date(2027, 6, 30),
        ["A4.O2"],
        ["eleves-rencontres", "part-filles"],
        [2, 5],
        ["Kit d'intervention renouvelé, binômes femme-homme encouragés."],
    ),
    (
        "Guide de l'entraide et circuit des avis",
        "entraide",
        "done",
        date(2024, 1, 1),
        date(2024, 12, 31),
        ["A5.O1"],
        ["demandes-satisfaites"],
        [9],
        ["Guide publié ; circuit des avis (délégué de promo, DSC, direction du campus) en place."],
    ),
    (
        "Relance des remboursements de prêts d'honneur",
        "entraide",
        "blocked",
        date(2025, 10, 1),
        date(2026, 3, 31),
        ["A5.O2"],
        ["remboursement", "dossiers-retard"],
        [9],
        ["Liste des emprunteurs en retard établie.", "Bloqué : attente de l'avis du comité d'entraide."],
    ),
]

CHECKIN_TEXTS = [
    ("Les premiers résultats sont là.", "", "Poursuivre et mesurer à la fin du trimestre.", ""),
    (
        "Moins de bénévoles disponibles cet été.",
        "Manque de relais dans deux régions.",
        "Recruter deux relais.",
        "Valider un budget de déplacement.",
    ),
    ("Rien de notable.", "", "Préparer le point annuel.", ""),
    ("La campagne a bien démarré.", "Outil de suivi à consolider.", "Bilan à l'AG.", "Arbitrer la priorité n° 2."),
]


def _user(local: str):
    return get_user_model().objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed(*, rng: random.Random, stdout, options: dict) -> None:
    """The 2023–2030 plan with criteria, indicators, values, targets, actions, check-ins and a board pack."""
    today = timezone.localdate()
    if Plan.objects.filter(code=PLAN_CODE).exists():
        stdout.write("  pilotage : plan déjà chargé")
        return
    people = {local: _user(local) for local in ("bureau", "secretariat", "entraide", "benevolat", "benevole", "admin")}
    if people["bureau"] is not None:
        people["bureau"].user_permissions.add(
            Permission.objects.get(codename="admin_strategy", content_type__app_label="strategy")
        )
        people["bureau"] = get_user_model().objects.get(pk=people["bureau"].pk)  # fresh permission cache
    admin = people["bureau"]
    large = None
    with transaction.atomic():
        _plan_2019()
        plan, indicators = _plan_2030(rng, people, today)
        if options.get("scale") == "large":
            started = time_module.monotonic()
            # Its own generator: the small plan above and below draws exactly what it draws at the small scale.
            large = _large(random.Random(f"{options.get('seed', 2030)}:strategy:large"), plan, people, today)
            large["seconds"] = time_module.monotonic() - started
    n_values = _values(rng, plan, indicators, people, today)
    _actions(rng, plan, people, today)
    _cycles_and_checkins(rng, plan, people, today)
    _reminder_steps()
    pack = None
    if admin is not None:
        pack = services.boardpack_request(
            plan=plan,
            by=admin,
            title="Bureau national — revue de la stratégie",
            meeting_on=today + timedelta(days=(1 - today.weekday()) % 7 or 7),
        )
        services.boardpack_render(boardpack_id=pack.pk)
    stdout.write(
        f"  pilotage : 2 plans, {Objective.objects.filter(plan=plan).count()} objectifs, "
        f"{Criterion.objects.filter(objective__plan=plan).count()} critères, {len(indicators)} indicateurs, "
        f"{n_values} valeurs, {Action.objects.filter(plan=plan).count()} actions"
        + (", 1 dossier du Bureau" if pack else "")
    )
    if large is not None:
        stdout.write(
            f"  pilotage : volume large, {large['indicators']} indicateurs et {large['values']} valeurs ajoutés "
            f"par lots en {large['seconds']:.1f} s ({Indicator.objects.filter(plan=plan).count()} indicateurs au plan)"
        )
    if people["bureau"] is not None:
        stdout.write(f"  pilotage : {people['bureau'].email} administre la stratégie (/pilotage/)")


def _plan_2019() -> None:
    plan = Plan.objects.create(
        code="plan-2019",
        name="Plan stratégique 2019",
        vision="Rassembler la communauté, accompagner les élèves, soutenir l'École, et le faire savoir.",
        starts_on=date(2019, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    axes = [
        ("Rassembler la communauté", ["Animer les groupes territoriaux et professionnels", "Fidéliser les cotisants"]),
        (
            "Accompagner les élèves",
            ["Répondre à chaque demande d'entraide d'un élève", "Financer les projets étudiants"],
        ),
        ("Soutenir l'École", ["Contribuer au développement de l'École"]),
        ("Communication", ["Faire connaître les actions de la Soce"]),
    ]
    for position, (title, objectives) in enumerate(axes, start=1):
        ambition = Ambition.objects.create(plan=plan, code=f"A{position}", title=title, position=position)
        Axis.objects.create(plan=plan, number=position, label=title)
        for number, objective in enumerate(objectives, start=1):
            Objective.objects.create(
                plan=plan, ambition=ambition, code=f"A{position}.O{number}", title=objective, position=number
            )


def _plan_2030(rng, people, today):
    plan = Plan.objects.create(
        code=PLAN_CODE,
        name="#DemainLaSoce 2023–2030",
        vision=VISION,
        starts_on=date(2023, 1, 1),
        ends_on=date(2030, 12, 31),
        is_current=True,
    )
    Plan.objects.exclude(pk=plan.pk).update(is_current=False)
    axes = {n: Axis.objects.create(plan=plan, number=n, label=label) for n, label in enumerate(AXES, start=1)}
    owners = [people["bureau"], people["secretariat"], people["entraide"], people["benevolat"]]
    indicators = []
    position = 0
    for a_pos, (a_code, a_title, a_statement, objectives) in enumerate(PLAN, start=1):
        ambition = Ambition.objects.create(
            plan=plan, code=a_code, title=a_title, statement=a_statement, position=a_pos, pilot=people["bureau"]
        )
        for o_pos, (o_title, o_axes, criteria) in enumerate(objectives, start=1):
            objective = Objective.objects.create(
                plan=plan,
                ambition=ambition,
                code=f"{a_code}.O{o_pos}",
                title=o_title,
                position=o_pos,
                pilot=rng.choice([p for p in owners if p] or [None]),
            )
            objective.axes.set([axes[n] for n in o_axes])
            for c_pos, (statement, specs) in enumerate(criteria, start=1):
                criterion = Criterion.objects.create(
                    objective=objective, code=f"C{c_pos}", statement=statement, position=c_pos
                )
                for spec in specs:
                    position += 1
                    indicators.append(_indicator(plan, criterion, spec, people, position, today, o_axes, axes))
    featured = next((i for i, spec in indicators if spec.get("featured")), None)
    if featured:
        Plan.objects.filter(pk=plan.pk).update(featured_indicator=featured)
    for day, label, kind in [
        (date(2022, 11, 19), "AG : #DemainLaSoce", "assembly"),
        (date(2023, 11, 18), "AG 2023", "assembly"),
        (date(2024, 11, 16), "AG 2024", "assembly"),
        (date(2025, 11, 15), "AG 2025", "assembly"),
        (date(2026, 1, 15), "Campagne de cotisation 2026", "campaign"),
    ]:
        Annotation.objects.create(plan=plan, on=day, label=label, kind=kind)
    return plan, indicators


def _registry_baseline(metric: str, today: date) -> tuple[int, Decimal] | None:
    """The first year from 2022 on for which the registry gives a figure (its value is the baseline)."""
    for year in range(2022, today.year):
        result = computed.compute(metric, date(year, 1, 1), date(year, 12, 31))
        if result.available and result.value is not None and result.value > 0:
            return year, result.value
    return None


def _indicator(plan, criterion, spec, people, position, today, o_axes, axes):
    computed_kind = spec["kind"] == C
    baseline_year, baseline = 2022, Decimal(str(spec["baseline"]))
    from_registry = None
    if computed_kind:
        from_registry = _registry_baseline(spec["metric"], today)
        if from_registry is not None and spec["unit"] == "count":
            baseline_year, baseline = from_registry
    owner = {
        "members": people["secretariat"],
        "reminders": people["secretariat"],
        "volunteers": people["benevolat"],
        "entraide": people["entraide"],
    }.get(spec.get("metric", "").split(".")[0], people["bureau"])
    indicator = Indicator.objects.create(
        plan=plan,
        criterion=criterion,
        code=spec["code"],
        name=spec["name"],
        kind=spec["kind"],
        metric_code=spec.get("metric", ""),
        definition=spec.get("definition", ""),
        data_source=spec.get(
            "source", "Registre des indicateurs calculés." if computed_kind else "Saisie du contributeur."
        ),
        collection_method="Calcul automatique à la clôture de chaque période ; valeur provisoire en cours de période."
        if computed_kind
        else "Saisie annuelle par le contributeur avec justificatif, validée par le responsable.",
        limitations=spec.get("limitations", ""),
        unit=spec["unit"],
        decimals=spec.get("decimals", 0),
        target_type=spec["target_type"],
        aggregation=spec["aggregation"],
        frequency=spec["frequency"],
        owner=owner,
        baseline_value=baseline,
        baseline_on=date(baseline_year, 12, 31),
        is_headline="headline" in spec,
        headline_position=spec.get("headline", 0),
        position=position,
    )
    indicator.axes.set([axes[n] for n in o_axes[:1]])
    if not computed_kind:
        updater = (
            people["benevole"]
            if spec["code"] in ("eleves-rencontres", "part-filles", "mentorats")
            else people["secretariat"]
        )
        if updater is not None:
            indicator.updaters.add(updater)
    admin = people["bureau"]
    targets = dict(spec.get("targets", {}))
    for year, factor in spec.get("growth", {}).items():
        targets[year] = (baseline * Decimal(factor)).quantize(Decimal(1))
    for year, value in sorted(targets.items()):
        if year <= baseline_year:
            continue
        if admin is not None and admin.has_perm("strategy.admin_strategy"):
            services.target_set(indicator=indicator, target_on=date(year, 12, 31), value=Decimal(str(value)), by=admin)
        else:
            indicator.targets.create(target_on=date(year, 12, 31), value=Decimal(str(value)))
    return indicator, {**spec, "_from_registry": from_registry, "_baseline": baseline}


def _manual_series(spec) -> list[tuple[date, Decimal, Decimal | None, Decimal | None]]:
    out = []
    if "monthly" in spec:
        year, month, count, mean, spread = spec["monthly"]
        for i in range(count):
            m = (month - 1 + i) % 12 + 1
            y = year + (month - 1 + i) // 12
            out.append((date(y, m, 1), mean + ((i * 37) % (2 * spread)) - spread, None, None))
    elif "quarterly" in spec:
        year, quarter, count, start, step = spec["quarterly"]
        for i in range(count):
            q = (quarter - 1 + i) % 4
            y = year + (quarter - 1 + i) // 4
            out.append((date(y, 3 * q + 1, 1), Decimal(start + (i // 4) * step // 2 + (i % 3) - 1), None, None))
    else:
        for year, value in spec.get("values", {}).items():
            if isinstance(value, tuple):
                num, den = (Decimal(value[0]), Decimal(value[1]))
                out.append((date(year, 1, 1), (num / den * 100).quantize(Decimal("0.1")), num, den))
            else:
                out.append((date(year, 1, 1), Decimal(str(value)), None, None))
    return [(d, Decimal(v), n, dd) for d, v, n, dd in out]


def _values(rng, plan, indicators, people, today) -> int:
    count = 0
    services.periods_close(today=today)
    for indicator, spec in indicators:
        if indicator.is_computed:
            count += indicator.values.count()
            if spec["_from_registry"] is None:
                # No figure in the application yet: plausible demo values, clearly labelled.
                base = spec["_baseline"]
                for year in range(2023, today.year):
                    factor = Decimal(1) + Decimal(rng.randint(-2, 6)) / Decimal(100) * (year - 2022)
                    value = (base * factor).quantize(Decimal("0.1") if indicator.unit == "percent" else Decimal(1))
                    if indicator.unit == "percent":  # 90 % × 1.12 would show a 100.8 % repayment rate
                        value = min(value, Decimal(100))
                    services.value_import(
                        indicator=indicator,
                        period_start=date(year, 1, 1),
                        value=value,
                        comment="Donnée de démonstration : la source n'a pas de chiffre pour cette année.",
                    )
                    count += 1
            continue
        updater = indicator.updaters.first()
        owner = indicator.owner
        if updater is None or owner is None:
            continue  # no demo accounts (members not seeded): the indicator stays without values
        series = _manual_series(spec)
        for index, (start, value, numerator, denominator) in enumerate(series):
            _start, end = rules.period_of(indicator.frequency, start)
            if end >= today and indicator.frequency != "monthly":
                continue
            entered_on = min(today, end + timedelta(days=rng.randint(5, 20 if index % 5 else 60)))
            last = index == len(series) - 1
            row = services.value_enter(
                indicator=indicator,
                period_start=start,
                value=value,
                numerator=numerator,
                denominator=denominator,
                comment="Chiffre issu du bilan annuel."
                if indicator.frequency == "yearly"
                else "Chiffre relevé par le contributeur.",
                evidence_url="https://intranet.soce.fr/bilans/" + indicator.code,
                by=updater,
                today=entered_on,
            )
            IndicatorValue.objects.filter(pk=row.pk).update(entered_at=min(_at(entered_on), timezone.now()))
            count += 1
            if last and spec["code"] in ("mentorats", "eleves-instances"):
                continue  # awaiting the owner's approval
            approver = owner if owner and owner != updater else people["bureau"]
            services.value_approve(value=row, by=approver)
            approved_at = min(_at(entered_on + timedelta(days=3), 15), timezone.now())
            IndicatorValue.objects.filter(pk=row.pk).update(approved_at=approved_at)
    # a correction, with its reason, approved by the owner
    ateliers = Indicator.objects.get(code="ateliers-participants")
    original = ateliers.values.filter(status=IndicatorValue.Status.APPROVED, period_start=date(2024, 1, 1)).first()
    if original is not None and ateliers.updaters.exists():
        fix = services.value_correct(
            original=original,
            value=Decimal(1335),
            reason="Deux ateliers en région n'avaient pas été comptés.",
            by=ateliers.updaters.first(),
        )
        services.value_approve(value=fix, by=ateliers.owner)
        count += 1
    return count


def _actions(rng, plan, people, today) -> None:
    objectives = {o.code: o for o in plan.objectives.all()}
    indicators = {i.code: i for i in plan.indicators.all()}
    axes = {a.number: a for a in plan.axes.all()}
    for title, owner, status, start, due, objs, inds, axs, updates in ACTIONS:
        action = Action.objects.create(
            plan=plan,
            title=title,
            description="",
            owner=people.get(owner),
            starts_on=start,
            due_on=due,
            status=status,
            created_at=_at(start),
        )
        action.objectives.set([objectives[c] for c in objs])
        action.indicators.set([indicators[c] for c in inds])
        action.axes.set([axes[n] for n in axs])
        if people.get("benevole"):
            action.team.add(people["benevole"])
        for n, note in enumerate(updates):
            at = min(_at(start + timedelta(days=60 * (n + 1))), timezone.now())
            ActionUpdate.objects.create(
                action=action,
                by=people.get(owner),
                note=note,
                at=at,
                status=status if n == len(updates) - 1 else "",
            )


def _cycles_and_checkins(rng, plan, people, today) -> None:
    cycles = []
    for year in range(2023, 2027):
        for quarter in range(4):
            start = date(year, 3 * quarter + 1, 1)
            end = rules.period_of("quarterly", start)[1]
            cycles.append(
                ReviewCycle.objects.create(plan=plan, name=f"T{quarter + 1} {year}", starts_on=start, ends_on=end)
            )
    closed = [c for c in cycles if c.ends_on < today][-3:]
    for objective in plan.objectives.select_related("pilot"):
        for cycle in closed:
            if rng.random() < 0.25:
                continue  # not every pilot reports every quarter
            changed, blockers, next_steps, decisions = rng.choice(CHECKIN_TEXTS)
            CheckIn.objects.create(
                objective=objective,
                cycle=cycle,
                status=rng.choice(["on_track", "on_track", "behind", "off_track"]),
                confidence=rng.randint(4, 9),
                what_changed=changed,
                blockers=blockers,
                next_steps=next_steps,
                decisions_requested=decisions,
                by=objective.pilot,
                at=_at(cycle.ends_on + timedelta(days=5)),
            )


def _reminder_steps() -> None:
    services.reminders_ensure()


# =============================================================================================
# --scale large : ~150 indicateurs et sept ans de valeurs (issue 8), écrits par lots
# =============================================================================================

LARGE_INDICATORS = 150  # indicators of the 2023–2030 plan at --scale large, the 30 above included (tests lower it)
LARGE_FIRST_YEAR = 2019  # values from this year (2018 is the baseline) to the last closed period
SCOPES = [
    ("national", "au national"),
    ("idf", "en Île-de-France"),
    ("regions", "dans les régions"),
    ("international", "à l'international"),
    ("campus", "dans les campus"),
]
# Manual indicators by ambition: slug, name, unit, target type, aggregation, frequency, 2018 level, yearly trend.
LARGE_MANUAL = {
    "A1": [
        ("tribunes", "Tribunes et notes publiées", "count", "increase", "sum", "yearly", 30, "0.10"),
        ("rencontres-elus", "Rencontres avec des élus", "count", "increase", "sum", "quarterly", 20, "0.08"),
        ("citations-presse", "Citations de la Soce dans la presse", "count", "increase", "sum", "yearly", 40, "0.10"),
        (
            "annuaire-competences",
            "Fiches de l'annuaire des compétences",
            "count",
            "increase",
            "last",
            "yearly",
            800,
            "0.09",
        ),
        ("clubs-budget", "Part des clubs ayant voté leur budget", "percent", "above", "ratio", "yearly", 70, "0.02"),
    ],
    "A2": [
        ("nouveaux-adherents", "Nouveaux adhérents", "count", "increase", "sum", "quarterly", 600, "0.04"),
        ("readhesion", "Taux de réadhésion", "percent", "increase", "ratio", "yearly", 78, "0.01"),
        ("prelevement", "Cotisants par prélèvement", "count", "increase", "last", "yearly", 3000, "0.07"),
        ("benevoles-formes", "Bénévoles formés", "count", "increase", "sum", "yearly", 120, "0.10"),
        ("binomes-mentorat", "Binômes de mentorat actifs", "count", "increase", "last", "quarterly", 90, "0.15"),
        (
            "satisfaction-ateliers",
            "Satisfaction des ateliers carrière",
            "percent",
            "between",
            "ratio",
            "yearly",
            84,
            "0.00",
        ),
    ],
    "A3": [
        ("portraits", "Portraits de camarades publiés", "count", "increase", "sum", "monthly", 60, "0.08"),
        ("ouverture-lettre", "Taux d'ouverture de la lettre", "percent", "above", "ratio", "yearly", 38, "0.01"),
        ("abonnes-reseaux", "Abonnés sur les réseaux sociaux", "count", "increase", "last", "yearly", 12000, "0.12"),
        ("dirigeants-identifies", "Gadzarts dirigeants identifiés", "count", "increase", "last", "yearly", 250, "0.10"),
        (
            "delai-reponse",
            "Délai de réponse aux sollicitations (jours)",
            "count",
            "decrease",
            "last",
            "yearly",
            21,
            "-0.06",
        ),
    ],
    "A4": [
        ("interventions-lycees", "Interventions dans les lycées", "count", "increase", "sum", "quarterly", 60, "0.09"),
        (
            "taxe-apprentissage",
            "Taxe d'apprentissage orientée vers l'École",
            "eur",
            "increase",
            "sum",
            "yearly",
            150000,
            "0.05",
        ),
        ("stages-proposes", "Stages proposés aux élèves", "count", "increase", "sum", "yearly", 300, "0.06"),
        ("convention-ecole", "Convention annuelle avec l'École signée", "bool", "milestone", "last", "yearly", 0, "0"),
        ("cout-evenements", "Coût moyen d'un événement GP (€)", "eur", "below", "last", "yearly", 2500, "0.02"),
    ],
    "A5": [
        (
            "demandes-traitees",
            "Demandes d'entraide traitées dans le mois",
            "count",
            "increase",
            "sum",
            "quarterly",
            180,
            "0.03",
        ),
        ("visites-isoles", "Visites aux camarades isolés", "count", "increase", "sum", "yearly", 80, "0.10"),
        ("parrainages", "Parrainages de nouveaux arrivants", "count", "increase", "sum", "yearly", 50, "0.12"),
        ("delai-entraide", "Délai de décision d'une aide (jours)", "count", "decrease", "last", "yearly", 40, "-0.07"),
        (
            "tables-rondes-region",
            "Tables rondes sur l'engagement public",
            "count",
            "increase",
            "sum",
            "yearly",
            24,
            "0.10",
        ),
    ],
}
# Computed indicators on the registry: metric, name, target type, aggregation. The registry's costly
# figures (entraide's loan positions, the JP shares) are bound once, in the plan above: the live values
# of the dashboard are computed per indicator.
LARGE_COMPUTED = [
    ("members.payers", "Cotisants — trajectoire du Conseil", "increase", "last"),
    ("members.payers", "Cotisants — plancher de sécurité", "above", "last"),
    ("members.returning", "Anciens radiés revenus — relance ciblée", "increase", "sum"),
    ("reminders.conversion", "Conversion des relances — plancher", "above", "ratio"),
    ("volunteers.active", "Bénévoles actifs — objectif 2030", "increase", "last"),
    ("volunteers.active", "Bénévoles actifs — plancher", "above", "last"),
    ("volunteers.charter_signed_current", "Bénévoles à jour de la charte", "increase", "last"),
    ("volunteers.reviews_overdue", "Entretiens annuels de bénévoles en retard", "below", "last"),
    ("entraide.granted_eur", "Secours versés — dans l'enveloppe", "between", "sum"),
    ("entraide.lent_eur", "Prêts d'honneur versés — dans l'enveloppe", "between", "sum"),
]
OWNERS = {"A1": "bureau", "A2": "secretariat", "A3": "benevolat", "A4": "bureau", "A5": "entraide"}
METRIC_OWNERS = {
    "members": "secretariat",
    "reminders": "secretariat",
    "volunteers": "benevolat",
    "entraide": "entraide",
}
UPDATERS = ["secretariat", "benevole", "benevolat", "entraide", "membre", "comite3", "comite4"]


def _large(rng: random.Random, plan: Plan, people: dict, today: date) -> dict:
    """Indicators up to LARGE_INDICATORS, spread over every criterion, each with its reference sheet,
    targets to 2030 and values since LARGE_FIRST_YEAR (bulk inserts; nothing is computed twice).

    Manual values are entered by a contributor and approved by the indicator's owner (four eyes);
    computed ones are the registry's official figures of each closed year, or labelled demo figures
    where the registry has none.
    """
    wanted = LARGE_INDICATORS - Indicator.objects.filter(plan=plan).count()
    if wanted <= 0:
        return {"indicators": 0, "values": 0}
    users = {local: _user(local) for local in {*OWNERS.values(), *METRIC_OWNERS.values(), *UPDATERS}}
    criteria = list(Criterion.objects.filter(objective__plan=plan).select_related("objective__ambition"))
    axes = {
        o.pk: [a.pk for a in o.axes.all()][:1] for o in Objective.objects.filter(plan=plan).prefetch_related("axes")
    }
    by_ambition: dict[str, list[Criterion]] = {}
    for criterion in sorted(criteria, key=lambda c: (c.objective.ambition.position, c.objective.position, c.position)):
        by_ambition.setdefault(criterion.objective.ambition.code, []).append(criterion)
    registry = _RegistryYears(today)
    specs = _large_specs(rng, wanted, registry)
    taken = set(Indicator.objects.values_list("code", flat=True))
    position = Indicator.objects.filter(plan=plan).order_by("-position").values_list("position", flat=True).first() or 0
    rows, turn = [], dict.fromkeys(by_ambition, 0)
    for spec in specs:
        if spec["code"] in taken:
            continue
        ambition = spec["ambition"] if spec["ambition"] in by_ambition else rng.choice(sorted(by_ambition))
        pool = by_ambition[ambition]
        criterion = pool[turn[ambition] % len(pool)]  # round the ambition's criteria
        turn[ambition] += 1
        position += 1
        owner = users.get(spec["owner"]) or users.get("bureau")
        rows.append((_large_indicator(plan, criterion, spec, owner, position), spec, criterion))
    Indicator.objects.bulk_create([indicator for indicator, _spec, _criterion in rows], batch_size=500)
    Indicator.axes.through.objects.bulk_create(
        [
            Indicator.axes.through(indicator_id=indicator.pk, axis_id=axis)
            for indicator, _spec, criterion in rows
            for axis in axes[criterion.objective_id]
        ]
    )
    updaters = []
    for indicator, spec, _criterion in rows:
        if not indicator.is_computed:
            candidates = [users[u] for u in UPDATERS if users.get(u) is not None and users[u] != indicator.owner]
            spec["updater"] = rng.choice(candidates) if candidates else None
            if spec["updater"] is not None:
                updaters.append(Indicator.updaters.through(indicator_id=indicator.pk, user_id=spec["updater"].pk))
    Indicator.updaters.through.objects.bulk_create(updaters)
    admin = users.get("bureau")
    IndicatorTarget.objects.bulk_create(
        [
            IndicatorTarget(
                indicator=indicator,
                target_on=date(year, 12, 31),
                value=value,
                value_high=high,
                set_by=admin,
                set_at=_at(date(2023, 1, 16)),
            )
            for indicator, spec, _criterion in rows
            for year, value, high in spec["targets"]
        ],
        batch_size=1000,
    )
    values = []
    for indicator, spec, _criterion in rows:
        if indicator.is_computed:
            values.extend(_large_computed_values(rng, indicator, spec, registry, today))
        elif spec.get("updater") is not None and indicator.owner is not None:
            values.extend(_large_manual_values(rng, indicator, spec, today))
    IndicatorValue.objects.bulk_create(values, batch_size=1000)
    computed.invalidate()
    return {"indicators": len(rows), "values": len(values)}


class _RegistryYears:
    """The registry's figure of each (metric, year), computed once whatever the number of indicators."""

    def __init__(self, today: date):
        self.today = today
        self.cache: dict[tuple[str, int], computed.Computation] = {}

    def get(self, metric: str, year: int) -> computed.Computation:
        if (metric, year) not in self.cache:
            self.cache[(metric, year)] = computed.compute(metric, date(year, 1, 1), date(year, 12, 31))
        return self.cache[(metric, year)]

    def baseline(self, metric: str) -> tuple[int, Decimal] | None:
        """The first year from 2018 with a positive figure, as the small plan's _registry_baseline()."""
        for year in range(LARGE_FIRST_YEAR - 1, self.today.year):
            result = self.get(metric, year)
            if result.available and result.value is not None and result.value > 0:
                return year, result.value
        return None


def _uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from the seeded generator: the same references on every run."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _scoped(name: str, scope: str) -> str:
    return f"{name} {scope}"


def _large_specs(rng: random.Random, wanted: int, registry: _RegistryYears) -> list[dict]:
    """The computed indicators first, then manual ones by ambition and scope, up to `wanted`."""
    specs = []
    for n, (metric, name, target_type, aggregation) in enumerate(LARGE_COMPUTED, start=1):
        app = metric.split(".")[0]
        ambition = {"members": "A2", "reminders": "A2", "volunteers": "A2", "entraide": "A5"}[app]
        if metric.startswith("volunteers.charter") or metric.startswith("volunteers.reviews"):
            ambition = "A3"
        unit = "percent" if aggregation == "ratio" else "eur" if metric.endswith("_eur") else "count"
        specs.append(
            {
                "code": f"calc-{metric.replace('.', '-').replace('_', '-')}-{n}",
                "name": name,
                "kind": C,
                "metric": metric,
                "unit": unit,
                "target_type": target_type,
                "aggregation": aggregation,
                "frequency": "yearly",
                "ambition": ambition,
                "owner": METRIC_OWNERS[app],
            }
        )
    manual = []
    for scope_slug, scope in SCOPES:
        for ambition, templates in LARGE_MANUAL.items():
            for slug, name, unit, target_type, aggregation, frequency, level, trend in templates:
                manual.append(
                    {
                        "code": f"{slug}-{scope_slug}",
                        "name": _scoped(name, scope),
                        "kind": M,
                        "unit": unit,
                        "target_type": target_type,
                        "aggregation": aggregation,
                        "frequency": frequency,
                        "ambition": ambition,
                        "owner": OWNERS[ambition],
                        "scope": scope,
                        # each scope is a share of the whole, with its own trend
                        "level": Decimal(level)
                        if unit in ("percent", "bool") or target_type in ("decrease", "below")  # rates, delays, costs
                        else Decimal(level) * Decimal(rng.choice(["0.2", "0.35", "0.5", "0.8", "1"])),
                        "trend": Decimal(trend) + Decimal(rng.randint(-2, 3)) / 100,
                    }
                )
    specs = (specs + manual)[:wanted]
    for spec in specs:
        # How demanding the targets are against the indicator's own trend: most are on track, some are not.
        spec["demand"] = Decimal(rng.choice(["0.6", "0.7", "0.8", "0.8", "0.9", "1", "1.2", "1.5"]))
        if spec["kind"] == C:  # the registry's first figure is the baseline, as in the small plan
            found = registry.baseline(spec["metric"])
            spec["baseline_year"], spec["baseline"] = found or (LARGE_FIRST_YEAR - 1, _DEMO_BASELINES[spec["unit"]])
            latest = registry.get(spec["metric"], registry.today.year - 1).value
            spec["reference"] = latest if latest else spec["baseline"]
            years = max(registry.today.year - 1 - spec["baseline_year"], 1)
            if spec["unit"] == "percent":  # points per year, in the unit _level() uses
                spec["trend"] = (spec["reference"] - spec["baseline"]) / years / 25
            else:
                spec["trend"] = (spec["reference"] / spec["baseline"]) ** (Decimal(1) / years) - 1
        else:
            spec["baseline_year"], spec["baseline"] = LARGE_FIRST_YEAR - 1, _level(spec, LARGE_FIRST_YEAR - 1, ZERO)
        spec["targets"] = _targets(spec, spec["baseline"], spec.get("reference"))
    return specs


ZERO = Decimal(0)
_DEMO_BASELINES = {"count": Decimal(100), "eur": Decimal(100000), "percent": Decimal(80)}


def _round(unit: str, value: Decimal) -> Decimal:
    if unit == "percent":
        return min(max(value, Decimal(0)), Decimal(100)).quantize(Decimal("0.1"))
    if unit == "bool":
        return Decimal(1) if value >= 1 else Decimal(0)
    if unit == "eur":
        return max(value, Decimal(0)).quantize(Decimal(10))
    return max(value, Decimal(0)).quantize(Decimal(1))


def _per_period(spec: dict) -> int:
    """A flow entered quarterly or monthly is a quarter or a twelfth of the year's (levels are yearly)."""
    if spec["aggregation"] != "sum":
        return 1
    return {"yearly": 1, "quarterly": 4, "monthly": 12}[spec["frequency"]]


def _level(spec: dict, year: int, noise: Decimal) -> Decimal:
    """The scope's level for one period of `year`: its 2018 level, its trend, some noise."""
    if spec["unit"] == "bool":
        return Decimal(1) if year >= 2024 else Decimal(0)  # the convention signed since 2024
    years = year - (LARGE_FIRST_YEAR - 1)
    if spec["unit"] == "percent":  # `trend` is a quarter of the points gained each year
        value = spec["level"] + spec["trend"] * 25 * years + noise * 25
    else:
        value = spec["level"] * (1 + spec["trend"]) ** years * (1 + noise) / _per_period(spec)
    return _round(spec["unit"], value)


def _targets(
    spec: dict, baseline: Decimal, reference: Decimal | None = None
) -> list[tuple[int, Decimal, Decimal | None]]:
    """Interim and final targets consistent with the target type (never a configuration error).

    Bounds (above, below, between) are set around `reference` (the latest figure when known).
    """
    unit, kind = spec["unit"], spec["target_type"]
    base = baseline if baseline > 0 else Decimal(1)
    bound = reference if reference and reference > 0 else base
    demand = spec.get("demand", Decimal(1))
    out = []
    for year in (2026, 2028, 2030):
        years = year - spec.get("baseline_year", LARGE_FIRST_YEAR - 1)
        if kind == "increase" and unit == "percent":
            value = min(base + max(spec["trend"] * 25, Decimal("0.2")) * demand * years, Decimal("99.9"))
        elif kind == "increase":
            value = base * (1 + max(spec["trend"], Decimal("0.01")) * demand) ** years
        elif kind == "decrease":
            value = base * max(Decimal("0.3"), (1 + min(spec["trend"], Decimal("-0.01")) * demand) ** years)
        elif kind == "above":
            value = bound * Decimal("0.9")
        elif kind == "below":
            value = bound * Decimal("1.3")
        elif kind == "between":
            value = bound * Decimal("0.85")
        elif kind == "milestone":
            if year != 2028:
                continue
            value = Decimal(1)
        else:
            return []  # followed without a target
        value = _round(unit, value) if unit != "bool" else value
        high = _round(unit, bound * Decimal("1.4")) if kind == "between" else None
        if kind == "increase" and value <= baseline:
            value = baseline + 1
        if kind == "decrease" and value >= baseline:
            value = max(baseline - 1, Decimal(0))
        out.append((year, value, high))
    return out


def _large_indicator(plan: Plan, criterion: Criterion, spec: dict, owner, position: int) -> Indicator:
    computed_kind = spec["kind"] == C
    scope = spec.get("scope", "")
    return Indicator(
        plan=plan,
        criterion=criterion,
        code=spec["code"],
        name=spec["name"],
        kind=spec["kind"],
        metric_code=spec.get("metric", ""),
        definition=(
            f"Valeur du registre des indicateurs calculés « {spec.get('metric')} » sur la période, "
            "telle que l'application la calcule à la clôture."
            if computed_kind
            else f"{spec['name']} : décompte de la période, {scope}, selon la fiche validée par le Bureau."
        ),
        data_source="Registre des indicateurs calculés de l'application."
        if computed_kind
        else "Tableau de suivi du contributeur, pièces à l'appui (intranet).",
        collection_method="Calcul automatique à la clôture de chaque période ; valeur provisoire en cours de période."
        if computed_kind
        else "Saisie par le contributeur après la clôture de la période, avec justificatif ; validée par le "
        "responsable de l'indicateur.",
        limitations="Les données antérieures à l'application sont des reprises d'historique."
        if computed_kind
        else "Déclaratif : dépend de la remontée des groupes et des campus ; pas de double comptage contrôlé.",
        unit=spec["unit"],
        decimals=1 if spec["unit"] == "percent" else 0,
        target_type=spec["target_type"],
        aggregation=spec["aggregation"],
        frequency=spec["frequency"],
        owner=owner,
        baseline_value=spec["baseline"],
        baseline_on=date(spec["baseline_year"], 12, 31),
        position=position,
    )


def _large_computed_values(rng, indicator: Indicator, spec: dict, registry: _RegistryYears, today: date):
    """Official figures of the registry for each closed year (demo figures, labelled, where it has none)."""
    rows, previous = [], spec["baseline"]
    for year in range(spec["baseline_year"], today.year):
        start, end = date(year, 1, 1), date(year, 12, 31)
        result = registry.get(indicator.metric_code, year)
        closed_at = _at(end + timedelta(days=1), 3)
        if result.available and result.value is not None:
            value = result.value
            rows.append(
                IndicatorValue(
                    public_id=_uuid(rng),
                    indicator=indicator,
                    period_start=start,
                    period_end=end,
                    value=value,
                    source=IndicatorValue.Source.COMPUTED,
                    status=IndicatorValue.Status.APPROVED,
                    status_changed_at=closed_at,
                    entered_at=closed_at,
                    approved_at=closed_at,
                    definition_version=result.version,
                    fingerprint=computed.fingerprint(
                        indicator_code=indicator.code,
                        metric_code=indicator.metric_code,
                        start=start,
                        end=end,
                        value=value,
                    ),
                    comment="Valeur officielle calculée à la clôture de la période.",
                )
            )
        else:  # no figure in the application for that year: a plausible one, clearly labelled
            value = _round(spec["unit"], previous * (1 + Decimal(rng.randint(-2, 5)) / 100))
            rows.append(
                IndicatorValue(
                    public_id=_uuid(rng),
                    indicator=indicator,
                    period_start=start,
                    period_end=end,
                    value=value,
                    source=IndicatorValue.Source.IMPORT,
                    status=IndicatorValue.Status.APPROVED,
                    status_changed_at=closed_at,
                    entered_at=closed_at,
                    approved_at=closed_at,
                    comment="Donnée de démonstration : la source n'a pas de chiffre pour cette année.",
                )
            )
        previous = value
    return rows


def _large_manual_values(rng, indicator: Indicator, spec: dict, today: date):
    """Each closed period since LARGE_FIRST_YEAR, entered by the contributor, approved by the owner."""
    periods = rules.periods_between(
        indicator.frequency,
        date(LARGE_FIRST_YEAR if indicator.frequency == "yearly" else LARGE_FIRST_YEAR + 1, 1, 1),
        rules.last_closed_period(indicator.frequency, today)[1],
    )
    rows = []
    for index, (start, end) in enumerate(periods):
        noise = Decimal(rng.randint(-25, 25)) / 1000
        value = _level(spec, start.year, noise)
        numerator = denominator = None
        if indicator.unit == "percent" and indicator.aggregation == "ratio":
            denominator = Decimal(rng.randint(200, 2000))
            numerator = (denominator * value / 100).quantize(Decimal(1))
            value = (numerator / denominator * 100).quantize(Decimal("0.1"))
        entered_on = min(today, end + timedelta(days=rng.randint(5, 20 if index % 6 else 50)))
        approved_on = min(today, entered_on + timedelta(days=rng.randint(1, 6)))
        rows.append(
            IndicatorValue(
                public_id=_uuid(rng),
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=value,
                numerator=numerator,
                denominator=denominator,
                source=IndicatorValue.Source.MANUAL,
                status=IndicatorValue.Status.APPROVED,
                status_changed_at=_at(approved_on, 15),
                comment="Chiffre issu du bilan annuel."
                if indicator.frequency == "yearly"
                else "Chiffre relevé par le contributeur.",
                evidence_url=f"https://intranet.soce.fr/bilans/{indicator.code}",
                entered_by=spec["updater"],
                entered_at=_at(entered_on),
                late=entered_on > rules.due_on(end, indicator.grace_days),
                approved_by=indicator.owner,
                approved_at=_at(approved_on, 15),
            )
        )
    return rows
