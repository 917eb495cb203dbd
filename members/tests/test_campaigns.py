"""Dues campaigns on the reminders engine: audiences, exactly once, good e-mail, unsubscribe."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from members import services
from members.models import Lifecycle, Member
from members.tests.factories import CampusFactory, GroupFactory, GroupMembershipFactory, MemberFactory
from members.tokens import unsubscribe_token
from soce.lib.reminders import services as reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("grids")]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 11, 22), tick=True):
        yield


def _step(rule, *, code="s", send_on=date(2026, 3, 1), is_reminder=True, template="members/dues_reminder", **params):
    return reminders.step_ensure(
        code=code,
        name="Relance",
        rule=rule,
        template=template,
        send_on=send_on,
        params={"year": 2026, **params},
        is_reminder=is_reminder,
        campaign="cotisations-2026",
    )


def _audience(step):
    return sorted(r.member_id for r in reminders.step_audience(step=step))


@pytest.fixture
def population():
    bo = CampusFactory(code="Bo")
    pa = CampusFactory(code="Pa", name="Paris")
    return {
        "paid": MemberFactory(paid_through_year=2026),
        "last_year": MemberFactory(paid_through_year=2025),
        "older": MemberFactory(paid_through_year=2023),
        "jp2": MemberFactory(entry_year=2021, graduation_year=2024, paid_through_year=2025, campus=pa),
        "opted_out": MemberFactory(paid_through_year=2025, reminders_opt_out=True),
        "no_email": MemberFactory(paid_through_year=2025, email=""),
        "struck": MemberFactory(paid_through_year=2021, status=Lifecycle.STRUCK_OFF, struck_off_on=date(2025, 1, 15)),
        "never": MemberFactory(entry_year=2021, graduation_year=2024, paid_through_year=None),
        "lifetime": MemberFactory(paid_through_year=2010, lifetime_since=2010),
        "dead": MemberFactory(paid_through_year=2025, status=Lifecycle.DECEASED),
        "campus": bo,
    }


def test_audience_rules_on_a_seeded_population(population):
    p = population
    ids = lambda *names: sorted(p[n].pk for n in names)  # noqa: E731
    assert _audience(_step("members.unpaid_this_year", code="a")) == ids("last_year", "older", "jp2")
    assert _audience(_step("members.dues_call", code="b", is_reminder=False)) == ids(
        "last_year", "older", "jp2", "opted_out"
    )  # the call still reaches who opted out of reminders
    assert _audience(_step("members.paid_last_year_not_this", code="c")) == ids("last_year", "jp2")
    # JP by tier: graduated in 2024, so JP2 in 2026, whether they paid before or never did
    assert _audience(_step("members.jp_tiers", code="d", tiers=[3])) == []
    assert _audience(_step("members.jp_tiers", code="e", tiers=[2, 3])) == ids("jp2", "never")
    assert _audience(_step("members.struck_off_recent", code="f", years=3)) == ids("struck")
    assert _audience(_step("members.never_paid_since_graduation", code="g", years=5)) == ids("never")
    assert _audience(_step("members.unpaid_this_year", code="h", campus="Pa")) == ids("jp2")
    group = GroupFactory(slug="gt-test")
    GroupMembershipFactory(member=p["older"], group=group)
    assert _audience(_step("members.unpaid_this_year", code="i", group="gt-test")) == ids("older")


def test_declared_payment_not_yet_recorded_is_not_reminded(population):
    services.cotisation_open(member=population["older"], year=2026, method="cheque", by=None)
    assert population["older"].pk not in _audience(_step("members.unpaid_this_year"))


def test_a_payment_between_two_steps_removes_the_person_from_the_next(
    population, staff_user, django_capture_on_commit_callbacks
):
    march = _step("members.unpaid_this_year", code="mars", send_on=date(2026, 3, 1))
    may = _step("members.unpaid_this_year", code="mai", send_on=date(2026, 5, 1))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=march)
    assert len(mail.outbox) == 3
    cot = services.cotisation_open(member=population["last_year"], year=2026, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(
            cotisation=cot, amount_eur=cot.amount_due_eur, method="cheque", paid_on=timezone.localdate(), by=staff_user
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=may)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([population["older"].email, population["jp2"].email])
    results = reminders.step_results(step=march)
    assert results["total"] == 3 and results["sent"] == 3 and results["converted"] == 1


def test_reminder_email_is_personal_with_text_html_and_one_click_unsubscribe(
    population, django_capture_on_commit_callbacks
):
    jp2 = population["jp2"]
    with django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=_step("members.jp_tiers", tiers=[2]))
    message = next(m for m in mail.outbox if m.to == [jp2.email])
    assert "Pa 221" in message.body and jp2.first_name in message.body
    assert "JP2 — 2e année après diplôme" in message.body and "45,00" in message.body
    assert "/renouveler/" in message.body
    assert message.alternatives[0][1] == "text/html" and "<img" not in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message.extra_headers["List-Unsubscribe"].startswith("<http")
        and "/desabonnement/" in message.extra_headers["List-Unsubscribe"]
    )
    assert str(jp2.pk) not in message.extra_headers["List-Unsubscribe"].split("/desabonnement/")[1][:4]


def test_call_has_no_unsubscribe_header(population, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=_step("members.dues_call", is_reminder=False, template="members/dues_call"))
    assert mail.outbox and all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)


def test_one_click_unsubscribe_by_post_without_login_and_forged_token_fails(population):
    member = population["last_year"]
    client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token(member)
    assert client.get(f"/desabonnement/{token}/").status_code == 200
    response = client.post(f"/desabonnement/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Member.objects.get(pk=member.pk).reminders_opt_out
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    other = population["older"]
    assert client.post(f"/desabonnement/{forged}/").status_code == 404
    assert client.post(f"/desabonnement/{unsubscribe_token(other)[:-1]}x/").status_code == 404
    assert not Member.objects.get(pk=other.pk).reminders_opt_out


def test_signed_renewal_link_works_without_login_and_expires(population, settings):
    from members.tokens import renewal_token

    member = population["older"]
    client = Client()
    url = f"/renouveler/{renewal_token(member, 2026)}/"
    page = client.get(url).content.decode()
    assert "Cotisation 2026 de" in page and member.first_name in page
    assert member.email not in page
    response = client.post(url, {"gift_eur": "0", "method": "transfer"})
    assert "SOCE-2026-" in response.content.decode()
    assert client.get("/renouveler/abc/").status_code == 410
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert client.get(url).status_code == 410
