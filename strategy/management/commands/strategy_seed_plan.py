"""manage.py strategy_seed_plan : le plan #DemainLaSoce 2023–2030 en production."""

from django.core.management.base import BaseCommand

from strategy import services


class Command(BaseCommand):
    help = (
        "Crée le plan #DemainLaSoce 2023–2030 tel que le document de stratégie le formule : la vision, "
        "les 10 axes stratégiques, les 5 ambitions avec leur énoncé et leurs 15 objectifs (strategy/plan_2030.py). "
        "Aucune donnée inventée : ni critère clé de réussite, ni indicateur, ni cible, ni valeur ; les "
        "administrateurs de la stratégie les définissent ensuite. Sans risque à relancer : seul ce qui manque "
        "est créé, rien de ce que le personnel a modifié n'est touché (un objectif déplacé ou reformulé est "
        "reconnu par son intitulé ou son code). Le plan devient le plan en vigueur seulement si aucun ne l'est."
    )

    def handle(self, *args, **options):
        created = services.plan_2030_seed()
        if not any(created.values()):
            self.stdout.write("Plan #DemainLaSoce 2023–2030 : déjà complet, rien à créer.")
            return

        def count(n: int, word: str) -> str:
            return f"{n} {word}{'s' if n > 1 else ''}"

        self.stdout.write(
            self.style.SUCCESS(
                "Plan #DemainLaSoce 2023–2030 : "
                + ("plan créé ; " if created["plan"] else "")
                + "créés : "
                + ", ".join(
                    [
                        count(created["axes"], "axe"),
                        count(created["ambitions"], "ambition"),
                        count(created["objectives"], "objectif"),
                    ]
                )
                + "."
            )
        )
