"""Données de démonstration des membres : campus, catégories, groupes, personnes, comptes.

Déterministe (graine fixe) et idempotent (ce qui existe déjà n'est pas recréé).
"""

from __future__ import annotations

import random
from datetime import date

from django.contrib.auth.models import Group as AuthGroup
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from soce.lib import roles

from .models import Campus, Category, Group, GroupMembership, Member, User

DEMO_DOMAIN = "demo.soce.fr"
DEMO_PASSWORD = "soce-demo-2026"  # noqa: S105 - demo only, printed by seed_demo

CAMPUSES = [
    ("Ai", "Aix-en-Provence", "campus", 1843),
    ("An", "Angers", "campus", 1815),
    ("Bo", "Bordeaux-Talence", "campus", 1963),
    ("Ch", "Châlons-en-Champagne", "campus", 1806),
    ("Cl", "Cluny", "campus", 1891),
    ("Li", "Lille", "campus", 1900),
    ("Me", "Metz", "campus", 1997),
    ("Pa", "Paris", "campus", 1912),
    ("Ba", "Bastia (institut)", "institute", 2000),
    ("Cy", "Chambéry (institut)", "institute", 1990),
    ("La", "Laval (institut)", "institute", 2000),
]
SCHOOL_CAMPUSES = ["Ai", "An", "Bo", "Ch", "Cl", "Li", "Me", "Pa"]

CATEGORIES = [
    ("gadzarts", "Gadzarts", True),
    ("eleve", "Élève (PG)", False),
    ("autre-diplome", "Diplômé d'une autre filière de l'École", True),
    ("associe", "Membre associé", False),
    ("honoraire", "Membre d'honneur", False),
    ("conjoint-survivant", "Veuve ou veuf de membre", False),
]

TERRITORIAL_GROUPS = [
    "Paris Île-de-France",
    "Lyon Rhône",
    "Bordeaux Gironde",
    "Toulouse Occitanie",
    "Marseille Provence",
    "Nantes Atlantique",
    "Lille Flandres",
    "Strasbourg Alsace",
    "Grenoble Dauphiné",
    "Rennes Bretagne",
    "Clermont Auvergne",
    "Dijon Bourgogne",
    "Metz Lorraine",
    "Angers Anjou",
    "Rouen Normandie",
    "Montpellier Hérault",
    "Nice Côte d'Azur",
    "Reims Champagne",
    "Genève Suisse romande",
    "Montréal Québec",
]
PROFESSIONAL_GROUPS = [
    "Aéronautique et spatial",
    "Automobile et mobilités",
    "Énergie",
    "Industrie du futur",
    "Numérique",
    "Construction et BTP",
    "Santé et biomédical",
    "Conseil et finance",
    "Entrepreneurs",
    "Défense",
]
CLUBS = ["Club des Gadzarts golfeurs", "Club voile Arts et Métiers", "Club Gadz'Histoire"]

FIRST_NAMES_M = [
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "Alain",
    "Bernard",
    "Jacques",
    "François",
    "Daniel",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Maxime",
    "Hugo",
    "Lucas",
    "Louis",
    "Paul",
    "Arthur",
    "Étienne",
    "Rémi",
    "Baptiste",
    "Olivier",
    "Guillaume",
    "Mathieu",
    "Sébastien",
    "Yves",
    "Gérard",
    "Hervé",
]
FIRST_NAMES_F = [
    "Marie",
    "Anne",
    "Claire",
    "Sophie",
    "Camille",
    "Julie",
    "Léa",
    "Chloé",
    "Emma",
    "Manon",
    "Isabelle",
    "Catherine",
    "Hélène",
    "Élodie",
    "Pauline",
    "Lucie",
    "Inès",
    "Sarah",
    "Agathe",
    "Margaux",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
]
CITIES = [
    ("Paris", "75015", "FR"),
    ("Lyon", "69003", "FR"),
    ("Bordeaux", "33000", "FR"),
    ("Toulouse", "31000", "FR"),
    ("Marseille", "13008", "FR"),
    ("Nantes", "44000", "FR"),
    ("Lille", "59000", "FR"),
    ("Strasbourg", "67000", "FR"),
    ("Grenoble", "38000", "FR"),
    ("Rennes", "35000", "FR"),
    ("Angers", "49000", "FR"),
    ("Metz", "57000", "FR"),
    ("Cluny", "71250", "FR"),
    ("Aix-en-Provence", "13100", "FR"),
    ("Châlons-en-Champagne", "51000", "FR"),
    ("Genève", "1201", "CH"),
    ("Montréal", "H2X 1Y4", "CA"),
    ("Munich", "80331", "DE"),
    ("Londres", "SW1A", "GB"),
    ("Singapour", "018956", "SG"),
    ("Bruxelles", "1000", "BE"),
    ("Casablanca", "20000", "MA"),
]
EMPLOYERS = [
    ("Airbus", "Aéronautique"),
    ("Safran", "Aéronautique"),
    ("Renault Group", "Automobile"),
    ("Stellantis", "Automobile"),
    ("EDF", "Énergie"),
    ("TotalEnergies", "Énergie"),
    ("Schneider Electric", "Énergie"),
    ("Dassault Systèmes", "Numérique"),
    ("Capgemini", "Conseil"),
    ("Vinci", "Construction"),
    ("Bouygues", "Construction"),
    ("Thales", "Défense"),
    ("Michelin", "Industrie"),
    ("Saint-Gobain", "Industrie"),
    ("Alstom", "Ferroviaire"),
    ("Naval Group", "Défense"),
    ("Orano", "Énergie"),
    ("Valeo", "Automobile"),
    ("Arts et Métiers", "Enseignement"),
    ("Indépendant", "Conseil"),
]
STREETS = ["Victor Hugo", "de la République", "Pasteur", "Jean Jaurès", "des Arts"]
POSITIONS = [
    "Ingénieur d'études",
    "Chef de projet",
    "Directeur technique",
    "Responsable de production",
    "Ingénieur méthodes",
    "Directeur d'usine",
    "Consultant",
    "Responsable R&D",
    "Ingénieur qualité",
    "Directeur général",
    "Architecte logiciel",
]

# (email local part, first name, last name, civility, campus, entry year, roles, staff, superuser)
DEMO_ACCOUNTS = [
    ("membre", "Camille", "Fournier", "Mme", "Bo", 2022, [], False, False),
    ("benevole", "Étienne", "Marchand", "M.", "An", 1998, [], False, False),
    ("secretariat", "Hélène", "Garnier", "Mme", None, None, [roles.SECRETARIAT], True, False),
    ("entraide", "Olivier", "Rousseau", "M.", "Cl", 1975, [roles.ENTRAIDE], True, False),
    ("benevolat", "Sophie", "Lemaire", "Mme", None, None, [roles.BENEVOLAT], True, False),
    ("bureau", "Bernard", "Chevalier", "M.", "Pa", 1972, [roles.BUREAU], True, False),
    ("admin", "Alain", "Administrateur", "M.", None, None, [], True, True),
]


def seed(*, rng: random.Random, stdout, options: dict) -> None:
    """Creates the reference data, `options['members']` people and the demo accounts."""
    with transaction.atomic():
        campuses = _campuses()
        categories = _categories()
        groups = _groups(campuses)
        if not Member.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists():
            _people(rng, options.get("members", 2000), campuses, categories, groups)
        _accounts(campuses, categories, groups)
    stdout.write(f"  membres : {Member.objects.count()} personnes, {Group.objects.count()} groupes")


def _campuses() -> dict[str, Campus]:
    out = {}
    for code, name, kind, first in CAMPUSES:
        out[code], _ = Campus.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "first_year": first}
        )
    return out


def _categories() -> dict[str, Category]:
    out = {}
    for position, (code, label, alumni) in enumerate(CATEGORIES):
        out[code], _ = Category.objects.get_or_create(
            code=code, defaults={"label": label, "is_alumni": alumni, "position": position}
        )
    return out


def _groups(campuses: dict[str, Campus]) -> dict[str, list[Group]]:
    out: dict[str, list[Group]] = {"gt": [], "gp": [], "club": [], "campus": [], "national": []}
    for name in TERRITORIAL_GROUPS:
        out["gt"].append(
            Group.objects.get_or_create(slug=f"gt-{slugify(name)}", defaults={"kind": "gt", "name": f"GT {name}"})[0]
        )
    for name in PROFESSIONAL_GROUPS:
        out["gp"].append(
            Group.objects.get_or_create(slug=f"gp-{slugify(name)}", defaults={"kind": "gp", "name": f"GP {name}"})[0]
        )
    for name in CLUBS:
        out["club"].append(Group.objects.get_or_create(slug=slugify(name), defaults={"kind": "club", "name": name})[0])
    for code in SCHOOL_CAMPUSES:
        campus = campuses[code]
        out["campus"].append(
            Group.objects.get_or_create(
                slug=f"campus-{code.lower()}",
                defaults={"kind": "campus", "name": f"Campus {campus.name}", "campus": campus},
            )[0]
        )
    out["national"].append(
        Group.objects.get_or_create(slug="bureau-national", defaults={"kind": "national", "name": "Bureau national"})[0]
    )
    return out


def promo_group(campus: Campus, entry_year: int) -> Group:
    number = entry_year - 1800
    group, _ = Group.objects.get_or_create(
        slug=f"promo-{campus.code.lower()}-{number}",
        defaults={
            "kind": "promo",
            "name": f"Promotion {campus.code} {number}",
            "campus": campus,
            "entry_year": entry_year,
        },
    )
    return group


def _people(rng, count, campuses, categories, groups) -> None:
    today = timezone.localdate()
    now = timezone.now()
    members = []
    for i in range(count):
        female = rng.random() < 0.18
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        roll = rng.random()
        code = rng.choice(SCHOOL_CAMPUSES)
        campus = campuses[code]
        if roll < 0.86:
            category = categories["gadzarts"]
            entry = rng.randint(max(1950, campus.first_year), 2025)
        elif roll < 0.93:
            category = categories["eleve"]
            entry = rng.randint(2023, 2025)
        elif roll < 0.97:
            category = categories["autre-diplome"]
            entry = rng.randint(2005, 2023)
        else:
            category = rng.choice([categories["associe"], categories["honoraire"], categories["conjoint-survivant"]])
            campus, entry = None, None
        graduation = entry + 3 if entry and category.code != "eleve" else None
        if graduation and graduation > today.year:
            graduation = None
        city, postal, country = rng.choice(CITIES)
        employer, sector = rng.choice(EMPLOYERS)
        listed = rng.random() < 0.8
        birth_year = (entry - 20) if entry else rng.randint(1940, 1990)
        members.append(
            Member(
                civility="Mme" if female else "M.",
                first_name=first,
                last_name=last,
                email=f"{slugify(first)}.{slugify(last)}.{i}@{DEMO_DOMAIN}",
                phone=f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                address_line1=f"{rng.randint(1, 120)} rue {rng.choice(STREETS)}",
                postal_code=postal,
                city=city,
                country=country,
                birth_date=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
                campus=campus,
                entry_year=entry,
                graduation_year=graduation,
                category=category,
                employer=employer if category.code != "eleve" else "",
                position=rng.choice(POSITIONS) if category.code != "eleve" else "",
                sector=sector,
                directory_consent_at=now if listed else None,
                newsletter_consent_at=now if rng.random() < 0.6 else None,
                email_visibility="members" if rng.random() < 0.5 else "nobody",
                phone_visibility="members" if rng.random() < 0.2 else "nobody",
                address_visibility="nobody",
                employer_visibility="members" if rng.random() < 0.8 else "nobody",
            )
        )
    Member.objects.bulk_create(members, batch_size=2000)
    # In key order: the model's default order (by name) leaves namesakes in whatever order the table holds
    # them, and every draw below would then depend on the database's physical state.
    created = list(
        Member.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").select_related("campus", "category").order_by("pk")
    )
    memberships = []
    promo_cache: dict[tuple[str, int], Group] = {}
    for member in created:
        memberships.append(GroupMembership(member=member, group=rng.choice(groups["gt"]), starts_on=today))
        if rng.random() < 0.35:
            memberships.append(GroupMembership(member=member, group=rng.choice(groups["gp"]), starts_on=today))
        if member.campus_id and member.entry_year:
            key = (member.campus.code, member.entry_year)
            if key not in promo_cache:
                promo_cache[key] = promo_group(member.campus, member.entry_year)
            memberships.append(GroupMembership(member=member, group=promo_cache[key], starts_on=today))
    GroupMembership.objects.bulk_create(memberships, batch_size=5000)
    _officers(rng, groups, promo_cache, created, today)


def _officers(rng, groups, promo_cache, members, today) -> None:
    """Presidents for the GT/GP, promo delegates, campus delegates and directors."""
    by_group: dict[int, list[int]] = {}
    for gm in GroupMembership.objects.values("group_id", "id").order_by("id"):
        by_group.setdefault(gm["group_id"], []).append(gm["id"])
    ends = date(today.year + 2, 6, 30)
    for group in groups["gt"] + groups["gp"]:
        ids = by_group.get(group.pk)
        if ids:
            GroupMembership.objects.filter(pk=rng.choice(ids)).update(role="president", ends_on=ends)
    for group in promo_cache.values():
        ids = by_group.get(group.pk)
        if ids:
            GroupMembership.objects.filter(pk=rng.choice(ids)).update(role="promo_delegate", ends_on=ends)
    by_campus: dict[int, list] = {}
    for m in members:
        if m.campus_id and m.category.code == "gadzarts" and len(by_campus.setdefault(m.campus_id, [])) < 40:
            by_campus[m.campus_id].append(m)
    for group in groups["campus"]:
        pool = by_campus.get(group.campus_id, [])
        if len(pool) >= 2:
            dsc, director = rng.sample(pool, 2)
            GroupMembership.objects.get_or_create(
                member=dsc, group=group, defaults={"role": "campus_delegate", "ends_on": ends}
            )
            GroupMembership.objects.get_or_create(
                member=director, group=group, defaults={"role": "campus_director", "ends_on": ends}
            )


def _accounts(campuses, categories, groups) -> None:
    from allauth.account.models import EmailAddress

    for local, first, last, civility, campus_code, entry, role_names, staff, superuser in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, first_name=first, last_name=last, is_staff=staff, is_superuser=superuser
            )
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        for name in role_names:
            user.groups.add(AuthGroup.objects.get(name=name))
        if Member.objects.filter(user=user).exists():
            continue
        campus = campuses.get(campus_code) if campus_code else None
        member = Member.objects.create(
            user=user,
            civility=civility,
            first_name=first,
            last_name=last,
            email=email,
            city="Paris",
            postal_code="75016",
            campus=campus,
            entry_year=entry,
            graduation_year=(entry + 3) if entry else None,
            category=categories["gadzarts"] if campus else categories["associe"],
            employer="Soce" if staff else "Safran",
            position="Permanent" if staff else "Ingénieure méthodes",
            directory_consent_at=timezone.now(),
            email_visibility="members",
        )
        # The volunteer demo account presides its GT: the officer's view of a group page and its export.
        role = "president" if local == "benevole" else "member"
        ends = date(timezone.localdate().year + 1, 12, 31) if role == "president" else None
        GroupMembership.objects.create(member=member, group=groups["gt"][0], role=role, ends_on=ends)
        if campus and entry:
            GroupMembership.objects.create(member=member, group=promo_group(campus, entry))
