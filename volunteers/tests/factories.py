import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from members.tests.factories import GroupFactory, MemberFactory
from volunteers.demo import V7_TEXT, V8_TEXT
from volunteers.models import CharterVersion, CountersigningMandate, Engagement, Mission, StructureKind


class MissionFactory(DjangoModelFactory):
    class Meta:
        model = Mission

    title = factory.Sequence(lambda n: f"Délégué PMI {n}")
    description = "Relations avec les écoles et les entreprises du territoire."
    structure_kind = StructureKind.TERRITORIAL
    group = factory.SubFactory(GroupFactory)
    expected_time = "2 heures par mois"
    referent = factory.SubFactory(MemberFactory)
    review_every_months = 12


class EngagementFactory(DjangoModelFactory):
    class Meta:
        model = Engagement

    volunteer = factory.SubFactory(MemberFactory)
    mission = factory.SubFactory(MissionFactory)
    referent = factory.SelfAttribute("mission.referent")
    starts_on = factory.LazyFunction(timezone.localdate)
    status = Engagement.Status.AWAITING_SIGNATURE


class CharterVersionFactory(DjangoModelFactory):
    class Meta:
        model = CharterVersion

    label = factory.Sequence(lambda n: f"V{n + 10}")
    body_html = V8_TEXT
    kind = CharterVersion.Kind.MAJOR


class MandateFactory(DjangoModelFactory):
    class Meta:
        model = CountersigningMandate

    member = factory.SubFactory(MemberFactory)
    capacity = "Vice-président de la Soce"


__all__ = ["V7_TEXT", "V8_TEXT"]
