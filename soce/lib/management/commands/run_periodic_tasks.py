from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from soce.schedule import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Exécute une fois, dans le processus, chaque tâche périodique (cron sans courtier)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Seulement ces tâches (par nom).")

    def handle(self, *args, names=(), **options):
        for name, (path, _schedule, doc) in PERIODIC_TASKS.items():
            if names and name not in names:
                continue
            self.stdout.write(f"{name} : {doc}")
            result = import_string(path).apply().get()
            self.stdout.write(f"  → {result}")
