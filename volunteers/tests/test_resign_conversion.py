"""Re-signing reminders' conversion: delivered e-mails whose volunteer signed the version within 30 days."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from members.tests.factories import MemberFactory
from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders.models import Delivery, Step
from soce.lib.reminders.services import step_ensure
from volunteers.models import CharterSignature, CharterVersion
from volunteers.reminders import charter_resign_conversion

pytestmark = pytest.mark.django_db
SENT = timezone.make_aware(datetime(2027, 3, 1, 7))


def test_counts_signatures_of_that_version_within_30_days_of_a_delivered_email():
    v8 = CharterVersion.objects.create(label="V8", body_html="<p>V8</p>", kind="major")
    v7 = CharterVersion.objects.create(label="V7", body_html="<p>V7</p>", kind="major")
    step: Step = step_ensure(
        code="charte-v8-annonce",
        name="Charte V8",
        rule="volunteers.charter_resign",
        template="volunteers/charter_resign",
        send_on=SENT.date(),
        campaign="charte-v8",
        params={"version_id": v8.pk},
    )
    people = {name: MemberFactory() for name in ("soon", "late", "before", "other_version", "bounced", "never")}
    for name, member in people.items():
        failed = name == "bounced"
        email = OutgoingEmail.objects.create(
            idempotency_key=f"reminder:{step.code}:member-{member.pk}",
            template=step.template,
            to=member.email,
            subject="Charte",
            body_text="…",
            status=EmailStatus.FAILED if failed else EmailStatus.SENT,
            sent_at=None if failed else SENT,
        )
        Delivery.objects.create(
            step=step, recipient_key=f"member-{member.pk}", email=email, member_id=member.pk, planned_at=SENT
        )
    signed = {
        "soon": (v8, SENT + timedelta(days=10)),
        "late": (v8, SENT + timedelta(days=40)),
        "before": (v8, SENT - timedelta(days=2)),
        "other_version": (v7, SENT + timedelta(days=3)),
        "bounced": (v8, SENT + timedelta(days=3)),
    }
    for name, (version, at) in signed.items():
        CharterSignature.objects.create(volunteer=people[name], version=version, on_paper=True, volunteer_signed_at=at)
    assert charter_resign_conversion(step) == 1
