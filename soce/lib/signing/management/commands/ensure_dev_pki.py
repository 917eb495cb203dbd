from django.core.management.base import BaseCommand

from soce.lib.signing import pki


class Command(BaseCommand):
    help = (
        "Crée une fois la racine et le certificat de cachet de développement (PKCS#12) dans "
        "SIGNING_PKCS12_PATH et SIGNING_TRUST_ROOT_PATH ; ne fait rien s'ils existent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Les refaire (les PDF déjà scellés ne seront plus reconnus)."
        )

    def handle(self, *args, force=False, **options):
        created = pki.ensure_dev_pki(force=force)
        self.stdout.write("PKI de développement créée." if created else "PKI déjà présente : rien à faire.")
        self.stdout.write(f"Empreinte SHA-256 de la racine : {pki.trust_root_fingerprint()}")
