from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members.demo import DEMO_DOMAIN
from members.models import User


class Command(BaseCommand):
    help = "Comptes de démonstration seulement : active la double authentification et affiche le code TOTP du moment."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not email.endswith(f"@{DEMO_DOMAIN}") or not settings.DEBUG:
            raise CommandError("Réservé aux comptes de démonstration, en développement (DEBUG).")
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError("Compte inconnu.")
        auth = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if auth is None:
            auth = TOTP.activate(user, generate_totp_secret()).instance
            self.stdout.write("Double authentification activée pour ce compte de démonstration.")
        secret = decrypt(auth.data["secret"])
        counter = next(iter(yield_hotp_counters_from_time()))
        self.stdout.write(f"Secret (à saisir dans une application TOTP) : {secret}")
        self.stdout.write(f"Code du moment : {format_hotp_value(hotp_value(secret, counter))}")
