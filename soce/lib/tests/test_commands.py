from io import StringIO

import pytest
from django.core.management import call_command

from members.models import Campus, Group, Member, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_the_logins(monkeypatch):
    from django.core import mail

    monkeypatch.delattr(mail, "outbox", raising=False)  # as under `make run`: no test mailbox
    out = StringIO()
    call_command("seed_demo", members=120, stdout=out)
    counts = (Member.objects.count(), Group.objects.count(), User.objects.count())
    call_command("seed_demo", members=120, stdout=StringIO())
    assert (Member.objects.count(), Group.objects.count(), User.objects.count()) == counts
    text = out.getvalue()
    for login in (
        "membre@demo.soce.fr",
        "secretariat@demo.soce.fr",
        "entraide@demo.soce.fr",
        "benevolat@demo.soce.fr",
        "bureau@demo.soce.fr",
        "admin@demo.soce.fr",
    ):
        assert login in text
    assert Campus.objects.filter(code="Bo").exists()
    assert Group.objects.filter(kind="gt").count() == 20
    assert Group.objects.filter(kind="gp").count() == 10
    years = Member.objects.exclude(entry_year=None).values_list("entry_year", flat=True)
    assert min(years) >= 1950 and max(years) <= 2025
    assert User.objects.get(email="secretariat@demo.soce.fr").groups.filter(name="Secrétariat").exists()


def test_seed_demo_is_deterministic():
    from django.db import transaction

    def snapshot():
        return list(Member.objects.order_by("email").values_list("email", "entry_year", "city", "paid_through_year"))

    with transaction.atomic():
        call_command("seed_demo", members=60, stdout=StringIO())
        first = snapshot()
        transaction.set_rollback(True)
    assert Member.objects.count() == 0
    call_command("seed_demo", members=60, stdout=StringIO())
    assert snapshot() == first


def test_run_periodic_tasks_runs_every_job_in_process():
    out = StringIO()
    call_command("run_periodic_tasks", stdout=out)
    assert "outbox-requeue-stale" in out.getvalue()


def test_roles_carry_their_permissions():
    from django.contrib.auth.models import Group as Role

    secretariat = Role.objects.get(name="Secrétariat")
    bureau = Role.objects.get(name="Bureau")
    assert secretariat.permissions.filter(codename="change_member").exists()
    assert bureau.permissions.filter(codename="view_member").exists()
    assert not bureau.permissions.filter(codename="change_member").exists()
