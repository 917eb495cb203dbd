"""The volunteering figures the Bureau reads (volunteers/metrics.py), on volunteers counted by hand.

On the 22nd of November 2026 the charter in force is V8.1, a minor version of V8 (a signature of V8
is valid for it); V7 is an older major version.
- A, B, C: active in a GT, signed V8 on paper;            → active, signed
- D: review due in a GP, signed V8.1;                      → active, signed
- E: active in a GT, signed V7 only;                       → active, not signed
- F: active in a GT, signed V8 then declined it;           → active, not signed
- G: active in a GT and in a GP, signed V8;                → active (once), signed (once)
- H: suspended, signed V8;                                 → neither
- I: engagement ended on the 31st of October;              → neither
- J: engagement starting in December.                      → neither
So 7 active volunteers, 5 of them with the charter in force; by structure (a person counts in each
structure they serve): GT 6 active and 4 signed, GP 2 and 2.
"""

from datetime import date, datetime

import pytest
from django.utils import timezone

from members.tests.factories import MemberFactory
from soce.lib import metrics as registry
from soce.lib.metrics import Group
from volunteers import metrics
from volunteers.models import CharterSignature, CharterVersion, Engagement, StructureKind
from volunteers.tests.factories import EngagementFactory, MissionFactory

pytestmark = pytest.mark.django_db
END = date(2026, 11, 22)
PERIOD = (date(2026, 1, 1), END)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


def version(label: str, published: date, *, kind="major", baseline=None) -> CharterVersion:
    v = CharterVersion.objects.create(label=label, body_html=f"<p>{label}</p>", kind=kind)
    CharterVersion.objects.filter(pk=v.pk).update(
        status="published", text_sha256="0" * 64, published_at=at(published), baseline=baseline or v
    )
    v.refresh_from_db()
    return v


def sign(member, v: CharterVersion, *, declined=False) -> CharterSignature:
    return CharterSignature.objects.create(
        volunteer=member,
        version=v,
        on_paper=True,
        volunteer_signed_at=v.published_at,
        declined_at=at(END) if declined else None,
    )


@pytest.fixture
def volunteers():
    v7 = version("V7", date(2019, 9, 19))
    v8 = version("V8", date(2025, 1, 1))
    v81 = version("V8.1", date(2026, 3, 1), kind="minor", baseline=v8)
    gt = MissionFactory(structure_kind=StructureKind.TERRITORIAL)
    gp = MissionFactory(structure_kind=StructureKind.PROFESSIONAL)
    people = {name: MemberFactory(last_name=name) for name in "ABCDEFGHIJ"}

    def serve(name, mission=gt, status=Engagement.Status.ACTIVE, **kwargs):
        kwargs.setdefault("starts_on", date(2025, 6, 1))
        return EngagementFactory(volunteer=people[name], mission=mission, status=status, **kwargs)

    for name in "ABC":
        serve(name)
        sign(people[name], v8)
    serve("D", gp, Engagement.Status.REVIEW_DUE)
    sign(people["D"], v81)
    serve("E")
    sign(people["E"], v7)
    serve("F")
    sign(people["F"], v8, declined=True)
    serve("G")
    serve("G", gp)
    sign(people["G"], v8)
    serve("H", status=Engagement.Status.SUSPENDED)
    sign(people["H"], v8)
    serve("I", ends_on=date(2026, 10, 31))
    serve("J", starts_on=date(2026, 12, 1))
    return people


def test_active_and_signed_the_charter_in_force_counted_by_hand(volunteers):
    assert metrics.active_volunteers(*PERIOD) == 7
    assert metrics.charter_signed_current(*PERIOD) == 5
    assert registry.get("volunteers.active").func(*PERIOD) == 7
    assert registry.get("volunteers.charter_signed_current").func(*PERIOD) == 5
    # a year earlier: V8 was in force, I still served, J had not started, E's and F's signatures as now
    earlier = (date(2025, 1, 1), date(2025, 11, 22))
    assert metrics.active_volunteers(*earlier) == 8  # A B C D E F G I
    assert metrics.charter_signed_current(*earlier) == 5  # the current version is read as of today


def test_breakdowns_give_every_structure_with_its_head_count(volunteers):
    gt, gp = str(StructureKind.TERRITORIAL.label), str(StructureKind.PROFESSIONAL.label)
    assert metrics.active_by_structure(*PERIOD) == {gt: Group(6, 6), gp: Group(2, 2)}  # small groups too
    assert metrics.signed_current_by_structure(*PERIOD) == {gt: Group(4, 4), gp: Group(2, 2)}
    assert registry.get("volunteers.active").breakdowns["structure"](*PERIOD) == {gt: Group(6, 6), gp: Group(2, 2)}


def test_no_charter_published_means_no_figure_never_zero(db):
    EngagementFactory(status=Engagement.Status.ACTIVE, starts_on=date(2025, 1, 1))
    assert metrics.charter_signed_current(*PERIOD) is None
    assert metrics.signed_current_by_structure(*PERIOD) == {}
    assert metrics.active_volunteers(*PERIOD) == 1
