"""The ceremony through the test client (real form posts), shared by the tests."""

from django.urls import reverse

from soce.lib.signing.testing import drawn_signature, last_otp_code
from volunteers.models import CharterSignature, CountersigningMandate

CONFIRM = {"identity_ok": "on", "consent_ok": "on", "evidence_ok": "on"}


def volunteer_signs(client, member, *, place="Angers", typed_name=None) -> CharterSignature:
    response = client.post(reverse("volunteers:charter"), CONFIRM)
    assert response.status_code == 302, response.content.decode()[:2000]
    signature = CharterSignature.objects.filter(volunteer=member, on_paper=False).latest("created_at")
    step = reverse("volunteers:charter_step", args=[signature.public_id])
    assert response["Location"] == step
    code = last_otp_code(to=member.contact_email)
    client.post(reverse("volunteers:charter_code", args=[signature.public_id]), {"code": code})
    data = {"place": place, "signature": "" if typed_name else drawn_signature(), "typed_name": typed_name or ""}
    response = client.post(reverse("volunteers:charter_sign", args=[signature.public_id]), data, follow=True)
    assert "en attente de contresignature" in response.content.decode()
    signature.refresh_from_db()
    return signature


def representative_countersigns(client, signature, representative_email):
    page = reverse("volunteers:countersign", args=[signature.public_id])
    assert client.get(page).status_code == 200
    mandate = CountersigningMandate.objects.get(member__user__email=representative_email)
    client.post(reverse("volunteers:countersign_take", args=[signature.public_id]), {**CONFIRM, "mandate": mandate.pk})
    code = last_otp_code(to=representative_email)
    client.post(reverse("volunteers:countersign_code", args=[signature.public_id]), {"code": code})
    return client.post(
        reverse("volunteers:countersign_sign", args=[signature.public_id]),
        {"place": "Paris", "signature": drawn_signature(), "typed_name": ""},
        follow=True,
    )
