"""Banc d'essai seulement : ouvre une session par compte de démonstration et imprime les cookies (JSON).

Les sessions portent les mêmes traces d'authentification qu'une connexion par les pages d'allauth
(« password », puis « mfa » pour le personnel, comme `conftest.login_with_mfa`) : l'outil de charge
entre donc dans l'administration comme un membre du personnel qui a saisi son code TOTP, sans que le
banc ait à rejouer le formulaire de connexion (limité en débit) à chaque utilisateur virtuel.
Refusé hors des réglages du banc (`soce.settings.bench`) et pour tout compte hors du domaine de démo.
"""

import json
import time
from importlib import import_module

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from members.demo import DEMO_ACCOUNTS, DEMO_DOMAIN
from members.models import Member, User


class Command(BaseCommand):
    help = "Banc d'essai : crée une session (avec double authentification pour le personnel) par compte de démo."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Fichier JSON où écrire les cookies (défaut : la sortie standard).")
        parser.add_argument(
            "--pool",
            type=int,
            default=0,
            help="En plus : N sessions de membres à jour distincts (comptes de banc créés au besoin), pour les pages "
            "limitées en débit par personne (annuaire).",
        )

    def handle(self, *args, output=None, pool=0, **options):
        if not getattr(settings, "BENCH", False):
            raise CommandError("Réservé au banc d'essai (DJANGO_SETTINGS_MODULE=soce.settings.bench).")
        store_class = import_module(settings.SESSION_ENGINE).SessionStore
        sessions = {}
        for local, *_rest in DEMO_ACCOUNTS:
            email = f"{local}@{DEMO_DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                raise CommandError(f"Compte de démonstration absent : {email} (lancez seed_demo).")
            sessions[local] = self._session(store_class, user)
        if pool:
            sessions["pool"] = [self._session(store_class, user)["value"] for user in _pool_users(pool)]
        text = json.dumps(sessions, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.stdout.write(text)

    def _session(self, store_class, user) -> dict:
        email = user.email
        now = time.time()
        records = [{"method": "password", "at": now, "email": email, "reauthenticated": True}]
        if user.is_staff:
            auth = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if auth is None:
                auth = TOTP.activate(user, generate_totp_secret()).instance
            records.append({"method": "mfa", "at": now, "id": auth.pk, "type": "totp"})
        session = store_class()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session["account_authentication_methods"] = records
        session["account_authentication_methods_user"] = str(user.pk)
        session.create()
        return {"email": email, "cookie": settings.SESSION_COOKIE_NAME, "value": session.session_key}


POOL_DOMAIN = "banc-essai.example"


@transaction.atomic
def _pool_users(count: int) -> list[User]:
    """`count` up-to-date members with a login (bench accounts, created once; the same ones every run)."""
    users = list(User.objects.filter(email__endswith=f"@{POOL_DOMAIN}").order_by("pk")[:count])
    if len(users) < count:
        year = timezone.localdate().year
        candidates = (
            Member.objects.filter(status=Member.Lifecycle.ACTIVE, user__isnull=True, anonymised_at__isnull=True)
            .filter(Q(paid_through_year__gte=year) | Q(lifetime_since__isnull=False))
            .order_by("pk")[: count - len(users)]
        )
        for member in candidates:
            user = User.objects.create_user(
                f"membre-{member.pk}@{POOL_DOMAIN}", None, first_name=member.first_name, last_name=member.last_name
            )
            Member.objects.filter(pk=member.pk).update(user=user)
            users.append(user)
    return users
