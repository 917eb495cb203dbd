import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from members.gdpr import member_data
from volunteers.tests.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_my_data_includes_volunteering_and_aid_sections():
    engagement = EngagementFactory()
    data = member_data(member=engagement.volunteer)
    sections = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    text = json.dumps(sections, ensure_ascii=False)
    assert engagement.mission.title in text
    assert str(engagement.public_id) in text
    assert "entraide" in text and "dossiers" in text
