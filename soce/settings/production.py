"""Réglages de production : pas de valeur par défaut pour les secrets ni les services."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"La variable d'environnement {name} est obligatoire en production.")
    return value


SECRET_KEY = _required("DJANGO_SECRET_KEY")
_required("DATABASE_URL")
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")
# The association's sealing certificate: never the development one generated under var/pki.
SIGNING_PKCS12_PATH = _required("SIGNING_PKCS12_PATH")
SIGNING_PKCS12_PASSPHRASE = _required("SIGNING_PKCS12_PASSPHRASE")
SIGNING_TRUST_ROOT_PATH = _required("SIGNING_TRUST_ROOT_PATH")
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {"default": env.cache("CACHE_URL", default=CELERY_BROKER_URL)}
if not env.list("ALLOWED_HOSTS", default=[]):
    raise ImproperlyConfigured("ALLOWED_HOSTS est obligatoire en production.")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
MFA_TRUST_COOKIE_SECURE = True
