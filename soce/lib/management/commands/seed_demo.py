import random

from django.core.management.base import BaseCommand

from soce.lib import demo


class Command(BaseCommand):
    help = "Charge des données de démonstration réalistes et inventées (déterministe, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=2000, help="Nombre de personnes à créer (défaut 2000).")
        parser.add_argument("--seed", type=int, default=2030, help="Graine du générateur (défaut 2030).")
        parser.add_argument(
            "--scale",
            choices=["small", "large"],
            default="small",
            help="« large » : le volume du banc d'essai (100 000 membres, 12 ans de cotisations, 3 000 bénévoles, "
            "3 000 dossiers d'entraide, ~150 indicateurs) ; impose --members 100000 par défaut.",
        )

    def handle(self, *args, **options):
        if options["scale"] == "large" and options["members"] == 2000:
            options["members"] = 100_000
        self.stdout.write("Données de démonstration :")
        for seeder in demo.seeders():
            # One generator per seeder: adding a seeder never changes what the others produce.
            rng = random.Random(f"{options['seed']}:{seeder.name}")
            seeder.run(rng=rng, stdout=self.stdout, options=options)
        from django.db import connection

        if connection.vendor == "postgresql":
            # Fresh statistics: right after bulk inserts the planner would guess row counts badly.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        from members.demo import DEMO_ACCOUNTS, DEMO_DOMAIN, DEMO_PASSWORD

        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Portail : http://127.0.0.1:8000/   Back-office : http://127.0.0.1:8000/admin/")
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for local, first, last, *_rest in DEMO_ACCOUNTS:
            self.stdout.write(f"  {local + '@' + DEMO_DOMAIN:<32} {first} {last}")
        self.stdout.write(
            "Le personnel doit activer la double authentification avant l'administration ; "
            "pour les comptes de démonstration, `python manage.py demo_totp <e-mail>` affiche le code du moment."
        )
