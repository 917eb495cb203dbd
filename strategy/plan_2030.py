"""Le plan #DemainLaSoce 2023–2030 tel que le document de stratégie le formule (voir DOMAIN.md).

La vision, les cinq ambitions avec leur énoncé, leurs quinze objectifs et les dix axes stratégiques ;
rien d'inventé : ni critère clé de réussite, ni indicateur, ni cible, ni valeur (les administrateurs
de la stratégie les définissent). Le document présente les ambitions 2 et 3 côte à côte : la
répartition de leurs objectifs est une lecture, et le personnel peut déplacer un objectif.
Utilisé par `manage.py strategy_seed_plan` (production) et par les données de démonstration.
"""

from datetime import date

PLAN_CODE = "demain-la-soce"
PLAN_NAME = "#DemainLaSoce 2023–2030"
STARTS_ON, ENDS_ON = date(2023, 1, 1), date(2030, 12, 31)

VISION = (
    "Devenir une force d'influence incontournable de la transformation environnementale, sociétale, "
    "industrielle et numérique de la France, tout en contribuant à l'épanouissement professionnel et "
    "personnel de ses membres tout au long de leur vie."
)

AXES = [
    "Sécuriser les adhésions et les développer drastiquement",
    "Déployer notre rôle dans la transformation environnementale, sociétale, industrielle et numérique",
    "Mettre en place une cellule de veille (héros, talents, réalisations et leur reconnaissance)",
    "Créer un club qui rédige des propositions prêtes à diffuser",
    "Communiquer régulièrement, en interne et en externe, sur nos héros, talents, réalisations et "
    "services intergénérationnels, en renforçant GT, GP et promos",
    "Adopter une culture de la reconnaissance des membres",
    "Partager une vision commune avec l'École (ses instances, ses professeurs)",
    "Miser sur l'intégration intergénérationnelle et l'accompagnement dans la vie professionnelle",
    "Des actions d'accompagnement personnel tout au long de la vie",
    "Une nouvelle gouvernance : autonomie, moyens et résultats ; des clubs maîtres de leurs ressources",
]

AMBITIONS = [
    (
        "A1",
        "Nous affirmer comme leader",
        "Être reconnus comme la première association d'anciens élèves influente dans la transformation.",
        [
            "Avoir une influence réelle sur les décideurs politiques et socio-économiques",
            "Faire reconnaître les compétences réelles de la communauté",
            "Nous organiser pour une influence croissante",
        ],
    ),
    (
        "A2",
        "Unir pour agir, fiers d'être Gadzarts",
        "Redonner à chacun la fierté d'appartenir et l'envie de contribuer.",
        [
            "Fédérer toutes nos forces, quels que soient l'âge, la position, l'origine sociale ou géographique",
            "Aller vers un écosystème de compétences où émergent de nouveaux talents",
            "Renforcer les compétences techniques et mieux valoriser les compétences comportementales",
        ],
    ),
    (
        "A3",
        "Valoriser nos savoir-faire",
        "Accompagner les membres toute leur vie, mettre les talents en lumière et donner envie aux meilleurs "
        "de nous rejoindre.",
        [
            "Être les meilleurs là où nous sommes, notamment parmi les dirigeants",
            "Associer les promotions d'élèves à nos réflexions et décisions",
            "Une forte culture de la reconnaissance des talents",
        ],
    ),
    (
        "A4",
        "Faire valoir l'attractivité de notre formation",
        "Répondre aux besoins du monde du travail et les anticiper en influençant les cursus d'ingénieurs.",
        [
            "Se mobiliser pour un développement participatif et efficace de l'École (humain et financier)",
            "Contribuer aux travaux des ingénieurs en lien avec les besoins de l'industrie",
            "Être fiers des compétences techniques des élèves et de leur attachement à notre histoire",
        ],
    ),
    (
        "A5",
        "Humanisme et Fraternité",
        "Structurer et développer l'entraide et les liens intergénérationnels à un niveau supérieur à toute "
        "autre association d'anciens élèves.",
        [
            "Rassembler les actions envers élèves et membres en une stratégie qui reflète le soutien financier "
            "et moral de la communauté",
            "Identifier les actions caritatives alignées sur notre vision ou celle de la Fondation Arts et Métiers",
            "Développer le mentorat et les tables rondes sur l'engagement des Gadzarts dans la société",
        ],
    ),
]
