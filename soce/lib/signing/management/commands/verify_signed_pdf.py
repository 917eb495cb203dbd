from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from soce.lib.signing import pki, services


class Command(BaseCommand):
    help = "Vérifie un PDF scellé par la Soce : cachet intact, racine de confiance, conformité au registre."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Chemin du PDF à vérifier.")

    def handle(self, *args, path, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        result = services.verify_pdf(data=file.read_bytes())
        self.stdout.write(f"Résultat : {result.headline}")
        self.stdout.write(f"  SHA-256 du fichier : {result.file_sha256}")
        if result.document is not None:
            self.stdout.write(f"  Référence : {result.document.reference} — {result.document.title}")
        if result.seal_subject:
            self.stdout.write(f"  Cachet : {result.seal_subject}")
        for reason in result.reasons:
            self.stdout.write(f"  - {reason}")
        self.stdout.write(f"  Racine de confiance (SHA-256) : {pki.trust_root_fingerprint()}")
        if not result.ok:
            raise CommandError(result.status)
