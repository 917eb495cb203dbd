"""The steps' admin: a template that exists, « Envoyer maintenant » that says when nothing is due,
failures per step that staff can open and resend; the outbox keeps entraide e-mails to the circle."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from soce.lib import roles
from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders import services
from soce.lib.reminders.models import Delivery, Step
from soce.lib.reminders.registry import AudienceRule, Recipient, register

pytestmark = pytest.mark.django_db


def _three(step, today):
    for i in range(3):
        yield Recipient(key=f"a-{i}", to=f"a{i}@exemple.fr", context={"name": f"A{i}"})


register(AudienceRule(code="tests.admin_three", label="Trois personnes", build=_three))


def _step(code="admin-step", send_on=None, **kwargs):
    return services.step_ensure(
        code=code,
        name=kwargs.pop("name", "Rappel de test"),
        rule="tests.admin_three",
        template="reminders/test",
        send_on=send_on or timezone.localdate(),
        campaign="tests",
        **kwargs,
    )


def _form(campaign, template):
    return {
        "campaign": campaign.pk,
        "code": "nouvelle",
        "name": "Nouvelle étape",
        "rule": "tests.admin_three",
        "params": "{}",
        "template": template,
        "send_on": timezone.localdate().strftime("%d/%m/%Y"),
    }


def test_step_form_refuses_an_email_template_that_does_not_exist(staff_client):
    campaign = _step().campaign
    response = staff_client.post(reverse("admin:reminders_step_add"), _form(campaign, "members/dues_relance"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gabarit d&#x27;e-mail introuvable : « members/dues_relance »" in html
    assert "emails/members/dues_relance_subject.txt" in html
    assert not Step.objects.filter(code="nouvelle").exists()
    response = staff_client.post(reverse("admin:reminders_step_add"), _form(campaign, "members/dues_reminder"))
    assert response.status_code == 302
    assert Step.objects.get(code="nouvelle").template == "members/dues_reminder"


def test_send_now_on_a_step_not_yet_due_says_so_and_sends_nothing(staff_client):
    future = _step(code="future", name="Relance d'octobre", send_on=timezone.localdate() + timedelta(days=30))
    response = staff_client.post(
        reverse("admin:reminders_step_changelist"),
        {"action": "run_now", "_selected_action": [future.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "n&#x27;est pas due" in html and "prévue le" in html
    assert "Envoi lancé" not in html
    assert Delivery.objects.count() == 0


def test_send_now_on_a_due_step_sends_it(staff_client, django_capture_on_commit_callbacks):
    due = _step()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:reminders_step_changelist"),
            {"action": "run_now", "_selected_action": [due.pk]},
            follow=True,
        )
    assert "Envoi lancé pour « Rappel de test »" in response.content.decode()
    assert len(mail.outbox) == 3


def test_staff_open_a_steps_failures_and_resend_one(staff_client, django_capture_on_commit_callbacks):
    step = _step()
    other = _step(code="other-step")
    refused = SMTPRecipientsRefused({"a1@exemple.fr": (550, b"5.1.1 Unknown user")})
    real_send = EmailMultiAlternatives.send

    def send(message, *args, **kwargs):
        if message.to == ["a1@exemple.fr"]:
            raise refused
        return real_send(message, *args, **kwargs)

    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", send),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.step_run(step=step)
        services.step_run(step=other)
    assert OutgoingEmail.objects.filter(status=EmailStatus.FAILED).count() == 2  # one per step
    failed = OutgoingEmail.objects.get(status=EmailStatus.FAILED, idempotency_key__startswith="reminder:admin-step:")
    assert "5.1.1" in failed.last_error and failed.attempts == 1

    listing = staff_client.get(reverse("admin:reminders_step_changelist")).content.decode()
    link = reverse("admin:core_outgoingemail_changelist") + "?idempotency_key__startswith=reminder%3Aadmin-step%3A"
    assert link in listing
    page = staff_client.get(reverse("admin:reminders_step_change", args=[step.pk])).content.decode()
    assert "voir les échecs et les renvoyer" in page
    assert "1 échecs" in page

    outbox = staff_client.get(
        reverse("admin:core_outgoingemail_changelist"),
        {"idempotency_key__startswith": "reminder:admin-step:", "status__exact": "failed"},
    )
    assert outbox.status_code == 200
    assert list(outbox.context["cl"].result_list) == [failed]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:core_outgoingemail_changelist"),
            {"action": "resend", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [["a1@exemple.fr"]]
    assert services.step_results(step=step)["failed"] == 0
    assert OutgoingEmail.objects.filter(status=EmailStatus.FAILED).count() == 1  # the other step's, untouched


def test_pausing_from_the_step_form_holds_the_emails_like_the_action(staff_client, django_capture_on_commit_callbacks):
    step = _step()
    step.campaign.rate_per_minute = 1
    step.campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step)
    data = {
        "campaign": step.campaign_id,
        "code": step.code,
        "name": step.name,
        "rule": step.rule,
        "params": "{}",
        "template": step.template,
        "send_on": step.send_on.strftime("%d/%m/%Y"),
        "is_reminder": "on",
        "paused": "on",
    }
    response = staff_client.post(reverse("admin:reminders_step_change", args=[step.pk]), data)
    assert response.status_code == 302
    assert Step.objects.get(pk=step.pk).paused
    assert OutgoingEmail.objects.filter(status=EmailStatus.HELD).count() == 2


# --- Outbox confidentiality ------------------------------------------------------------------------


def _email(key, template):
    return OutgoingEmail.objects.create(
        idempotency_key=key,
        template=template,
        to="beneficiaire@exemple.fr",
        from_email="s@exemple.fr",
        subject=f"Objet {key}",
        body_text="Prêt de 3 000 € refusé : motif…",
        status=EmailStatus.SENT,
    )


def test_outbox_hides_entraide_emails_from_the_secretariat(staff_client, staff_user):
    secret = _email("entraide:1", "entraide/case_decided")
    public = _email("members:1", "members/renewal")
    changelist = staff_client.get(reverse("admin:core_outgoingemail_changelist"))
    assert list(changelist.context["cl"].result_list) == [public]
    assert "entraide/case_decided" not in changelist.content.decode()  # not even in the template filter
    change = staff_client.get(reverse("admin:core_outgoingemail_change", args=[secret.pk]))
    assert change.status_code == 302  # « n'existe pas » : the admin does not show it
    assert "3 000" not in staff_client.get(change["Location"], follow=True).content.decode()


def test_outbox_shows_entraide_emails_to_the_entraide_circle(staff_client, staff_user):
    staff_user.groups.add(Group.objects.get(name=roles.ENTRAIDE))
    secret = _email("entraide:1", "entraide/case_decided")
    change = staff_client.get(reverse("admin:core_outgoingemail_change", args=[secret.pk]))
    assert change.status_code == 200
    assert "3 000" in change.content.decode()
