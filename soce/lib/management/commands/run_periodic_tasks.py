from django.core.management.base import BaseCommand, CommandError

from soce.lib import periodic
from soce.schedule import PERIODIC_TASKS


class Command(BaseCommand):
    help = (
        "Exécute les tâches périodiques dans le processus (cron sans courtier). Sans option : chacune une "
        "fois. Avec --due : seulement celles dont l'heure est venue depuis leur dernière exécution, à lancer "
        "chaque minute par cron (`* * * * * manage.py run_periodic_tasks --due`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Seulement ces tâches (par nom).")
        parser.add_argument(
            "--due", action="store_true", help="Seulement les tâches dues selon leur planning (crontab)."
        )

    def handle(self, *args, names=(), due=False, **options):
        unknown = sorted(set(names) - set(PERIODIC_TASKS))
        if unknown:
            raise CommandError(f"Tâche inconnue : {', '.join(unknown)}")
        failed = 0
        for outcome in periodic.run(names=names, due_only=due):
            if outcome.skipped:
                continue
            self.stdout.write(f"{outcome.name} : {outcome.doc}")
            if outcome.error:
                failed += 1
                self.stderr.write(f"  → échec : {outcome.error}")
            else:
                self.stdout.write(f"  → {outcome.result}")
        if failed:
            raise CommandError(f"{failed} tâche(s) en échec")
