import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_french_by_default():
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ


def test_french_only_until_an_english_catalogue_exists():
    assert [code for code, _label in settings.LANGUAGES] == ["fr"]


def test_french_catalogue_is_compiled():
    assert (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo").exists()


PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "soce.settings.production",
    "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-0123456789",
    "DATABASE_URL": "sqlite:////tmp/soce-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    "ALLOWED_HOSTS": "soce.example.org",
    "SIGNING_PKCS12_PATH": "/etc/soce/seal.p12",
    "SIGNING_PKCS12_PASSPHRASE": "not-the-dev-one",
    "SIGNING_TRUST_ROOT_PATH": "/etc/soce/root.pem",
}


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "SIGNING_PKCS12_PATH", "SIGNING_PKCS12_PASSPHRASE"],
)
def test_production_refuses_to_start_without_required_variables(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert f"La variable d'environnement {missing} est obligatoire" in result.stderr


def test_production_check_deploy_prints_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr
