"""Fixtures partagées : les personas anon, member, volunteer, staff et leurs clients."""

import os
import shutil
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from members.tests.factories import MemberFactory, UserFactory
from soce.lib import roles

pytest_plugins = ["members.tests.dues_fixtures"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls that the
# test makes in between are plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_STORAGE_ROOT = str(tmp_path / "private")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    yield
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture
def anon():
    return Client()


def _member_user(email: str, **member_kwargs):
    user = UserFactory(email=email)
    member = MemberFactory(
        user=user, first_name=user.first_name, last_name=user.last_name, email=email, **member_kwargs
    )
    return user, member


@pytest.fixture
def member_user(db):
    user, _member = _member_user("membre@exemple.fr")
    return user


@pytest.fixture
def member(member_user):
    return member_user.member


@pytest.fixture
def volunteer_user(db):
    user, _member = _member_user("benevole@exemple.fr")
    return user


def enable_totp(user) -> str:
    """Activates TOTP for `user` and returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def staff_user_with(role: str | None, email: str, *, mfa: bool = True):
    user = UserFactory(email=email, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if mfa:
        enable_totp(user)
    return user


@pytest.fixture
def staff_user(db):
    return staff_user_with(roles.SECRETARIAT, "secretariat@exemple.fr")


def login_with_mfa(client: Client, user, *, mfa: bool = True) -> Client:
    """Logs in as if through allauth's pages, with the second factor when `mfa` (session records)."""
    client.force_login(user)
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email, "reauthenticated": True}]
    auth = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if mfa and auth:
        records.append({"method": "mfa", "at": now, "id": auth.pk, "type": "totp"})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


@pytest.fixture
def member_client(member_user):
    client = Client()
    client.force_login(member_user)
    return client


@pytest.fixture
def volunteer_client(volunteer_user):
    client = Client()
    client.force_login(volunteer_user)
    return client


@pytest.fixture
def staff_client(staff_user):
    return login_with_mfa(Client(), staff_user)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (CI requires it: SOCE_REQUIRE_BROWSER=1)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("SOCE_REQUIRE_BROWSER"):
            pytest.fail("Chromium est introuvable (/usr/bin/chromium) alors que la CI l'exige.")
        pytest.skip("Chromium n'est pas installé : apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def totp_now(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


TEST_PASSWORD = "mot-de-passe-solide"  # noqa: S105 - factories' password


def browser_login(page, email: str, password: str = TEST_PASSWORD, totp_secret: str | None = None, next_url: str = "/"):
    """Signs in through the real allauth pages (and the TOTP step when given a secret)."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    if totp_secret:
        page.locator("input[name=code]").fill(totp_now(totp_secret))
        page.get_by_role("button", name="Connexion").click()


def redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CELERY_BROKER_URL"):
            pytest.fail(f"Le courtier {url} est injoignable alors que CELERY_BROKER_URL est défini.")
        pytest.skip(f"Redis injoignable sur {url}")


@pytest.fixture
def celery_worker_on_redis():
    from celery.contrib.testing.worker import start_worker

    from soce.celery import app

    url = settings.CELERY_TEST_BROKER_URL
    redis_or_skip(url)
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    app._local.__dict__.pop("backend", None)  # the backend is cached per thread
    # Drop tasks that an earlier, interrupted run may have left on the queue.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        app._local.__dict__.pop("backend", None)
