"""Réglages du banc d'essai (`make bench`) : la production, servie en HTTP clair sur la boucle locale.

Les variables obligatoires de la production (secret, base, courtier, hôtes) sont posées par le lanceur
`bench/run.py`, jamais ici. Seules différences avec la production : pas de redirection HTTPS ni de
cookies « Secure » (gunicorn écoute en HTTP sur 127.0.0.1), et un middleware qui compte les requêtes SQL
de chaque réponse dans l'en-tête `X-Bench-Queries`.
"""

import os
from pathlib import Path

# Production requires the sealing certificate; the bench seals with the development one (make pki).
_PKI = Path(__file__).resolve().parents[2] / "var" / "pki"
os.environ.setdefault("SIGNING_PKCS12_PATH", str(_PKI / "soce-seal.p12"))
os.environ.setdefault("SIGNING_PKCS12_PASSPHRASE", "soce-dev")
os.environ.setdefault("SIGNING_TRUST_ROOT_PATH", str(_PKI / "soce-root.pem"))

from .production import *  # noqa: E402, F403
from .production import BASE_DIR, MIDDLEWARE, STORAGES, env  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
MFA_TRUST_COOKIE_SECURE = False

# First, so that it counts every query of the request, middleware included (session, user, MFA).
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]

# E-mails of the reminder-throughput step: written to files that the bench counts (no SMTP).
EMAIL_BACKEND = env.str("BENCH_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env.str("BENCH_EMAIL_FILE_PATH", default="")

BENCH = True
# Own static and file folders: collectstatic and the measured steps never touch the developers' ones.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "bench" / "media"))
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "bench" / "private"))
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
}
