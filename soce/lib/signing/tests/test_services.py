import base64
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from members.tests.factories import UserFactory
from soce.lib.exceptions import BusinessError
from soce.lib.models import OutgoingEmail
from soce.lib.signing import pki, services
from soce.lib.signing.models import EvidenceAction, EvidenceEvent, OTPChallenge, Party, SignableDocument

from .conftest import CLIENT, code_from, confirm_and_verify, sign_all

pytestmark = pytest.mark.django_db


def _signer_party(document):
    return document.parties.get(role=Party.Role.SIGNER)


def test_text_is_sanitised_and_frozen_by_its_hash(document):
    assert "<script>" not in document.text_html
    assert "<strong>sur l'honneur</strong>" in document.text_html
    assert document.text_sha256 == services.sha256_hex(document.text_html)
    assert document.reference == services.normalise_reference(document.reference.lower().replace("-", " "))


def test_evidence_is_hash_chained_and_append_only(document, signer):
    services.party_open(party=_signer_party(document), user=signer, client=CLIENT)
    events = list(document.events.order_by("seq"))
    assert [e.action for e in events] == [EvidenceAction.CREATED, EvidenceAction.OPENED]
    assert events[1].prev_hash == events[0].hash
    assert services.evidence_verify_chain(document=document)
    with pytest.raises(ValueError):
        events[0].save()
    with pytest.raises(ValueError):
        events[0].delete()
    # Someone edits a row behind the application's back: the chain no longer holds.
    EvidenceEvent.objects.filter(pk=events[0].pk).update(data={"title": "autre"})
    assert not services.evidence_verify_chain(document=document)


def test_otp_is_hashed_and_e_mailed_then_verified(document, signer, mailoutbox, django_capture_on_commit_callbacks):
    party = _signer_party(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.party_confirm(
            party=party, user=signer, identity=party.identity, consent_text="ok", consent_version="T1", client=CLIENT
        )
        challenge = services.otp_send(party=party, user=signer, to=signer.email, client=CLIENT)
    code = code_from(mailoutbox)
    assert mailoutbox[-1].to == [signer.email]
    assert code not in challenge.code_hash
    assert services.otp_verify(party=party, user=signer, code=f" {code[:3]} {code[3:]} ", client=CLIENT).ok
    party.refresh_from_db()
    assert party.otp_verified_at is not None
    assert document.events.filter(action=EvidenceAction.OTP_VERIFIED).exists()


def test_otp_attempts_are_limited(document, signer, mailoutbox, django_capture_on_commit_callbacks):
    party = _signer_party(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.party_confirm(
            party=party, user=signer, identity=party.identity, consent_text="ok", consent_version="T1", client=CLIENT
        )
        services.otp_send(party=party, user=signer, to=signer.email, client=CLIENT)
    good = code_from(mailoutbox)
    wrong = "000000" if good != "000000" else "111111"
    messages = [services.otp_verify(party=party, user=signer, code=wrong, client=CLIENT).message for _ in range(5)]
    assert messages[0] == "Code erroné. Il vous reste 4 essais."
    assert messages[3] == "Code erroné. Il vous reste 1 essai."
    assert "Trop d'essais" in messages[4]
    # Even the right code is refused once the attempts are spent: a new code is needed.
    check = services.otp_verify(party=party, user=signer, code=good, client=CLIENT)
    assert not check.ok and "Trop d'essais" in check.message
    assert OTPChallenge.objects.get(party=party).attempts == 5
    assert document.events.filter(action=EvidenceAction.OTP_FAILED).count() == 5


def test_otp_expires(document, signer, mailoutbox, django_capture_on_commit_callbacks):
    party = _signer_party(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.party_confirm(
            party=party, user=signer, identity=party.identity, consent_text="ok", consent_version="T1", client=CLIENT
        )
        services.otp_send(party=party, user=signer, to=signer.email, client=CLIENT)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        check = services.otp_verify(party=party, user=signer, code=code_from(mailoutbox), client=CLIENT)
    assert not check.ok and "expiré" in check.message


def test_new_code_retires_the_previous_one_and_sends_are_limited(document, signer, mailoutbox):
    party = _signer_party(document)
    services.party_confirm(
        party=party, user=signer, identity=party.identity, consent_text="ok", consent_version="T1", client=CLIENT
    )
    for _ in range(services.OTP_MAX_SENDS_PER_HOUR):
        services.otp_send(party=party, user=signer, to=signer.email, client=CLIENT)
    assert OTPChallenge.objects.filter(party=party, superseded_at__isnull=True).count() == 1
    with pytest.raises(BusinessError, match="Trop de codes"):
        services.otp_send(party=party, user=signer, to=signer.email, client=CLIENT)


def test_signing_requires_the_verified_code(document, signer):
    party = _signer_party(document)
    services.party_confirm(
        party=party, user=signer, identity=party.identity, consent_text="ok", consent_version="T1", client=CLIENT
    )
    with pytest.raises(BusinessError, match="code reçu par e-mail"):
        services.party_sign(party=party, user=signer, typed_name="Étienne Marchand", place="Angers", client=CLIENT)


def test_blank_pad_and_wrong_typed_name_are_refused(document, signer, mailoutbox):
    party = _signer_party(document)
    confirm_and_verify(party, signer, mailoutbox, party.identity)
    empty = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    buffer = io.BytesIO()
    empty.save(buffer, format="PNG")
    blank = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    with pytest.raises(BusinessError, match="cadre de signature est vide"):
        services.party_sign(party=party, user=signer, signature_data_url=blank, place="A", client=CLIENT)
    with pytest.raises(BusinessError, match="illisible"):
        services.party_sign(party=party, user=signer, signature_data_url=blank[:60] + "!!", place="A", client=CLIENT)
    with pytest.raises(BusinessError, match="tels qu'ils figurent"):
        services.party_sign(party=party, user=signer, typed_name="Quelqu'un d'autre", place="A", client=CLIENT)
    signed = services.party_sign(party=party, user=signer, typed_name="etienne MARCHAND", place="Angers", client=CLIENT)
    assert signed.status == Party.Status.SIGNED and signed.signature_method == "typed"


def test_only_one_representative_holds_a_countersignature(document, representative):
    other = UserFactory(email="autre-representant@exemple.fr")
    counter = document.parties.get(role=Party.Role.COUNTERSIGNER)
    stale = Party.objects.get(pk=counter.pk)
    services.party_claim(party=counter, user=representative, identity={"last_name": "Lemaire"}, client=CLIENT)
    with pytest.raises(BusinessError, match="Un autre représentant"):
        services.party_claim(party=stale, user=other, identity={"last_name": "Autre"}, client=CLIENT)
    with time_machine.travel(timezone.now() + services.CLAIM_TIMEOUT + timedelta(minutes=1)):
        services.party_claim(party=stale, user=other, identity={"last_name": "Autre"}, client=CLIENT)
    counter.refresh_from_db()
    assert counter.user == other and counter.consent_accepted_at is None


def test_a_signer_cannot_also_countersign(document, signer):
    counter = document.parties.get(role=Party.Role.COUNTERSIGNER)
    with pytest.raises(BusinessError, match="vous signez vous-même"):
        services.party_claim(party=counter, user=signer, identity={"last_name": "Marchand"}, client=CLIENT)


def test_two_countersignatures_at_once_give_one(document, signer, representative, mailoutbox):
    party = _signer_party(document)
    confirm_and_verify(party, signer, mailoutbox, party.identity)
    services.party_sign(party=party, user=signer, typed_name="Étienne Marchand", place="Angers", client=CLIENT)
    counter = document.parties.get(role=Party.Role.COUNTERSIGNER)
    identity = {"last_name": "Lemaire", "first_name": "Sophie", "email": representative.email}
    services.party_claim(party=counter, user=representative, identity=identity, client=CLIENT)
    confirm_and_verify(counter, representative, mailoutbox, identity)
    first, second = Party.objects.get(pk=counter.pk), Party.objects.get(pk=counter.pk)  # a double submission
    services.party_sign(party=first, user=representative, typed_name="Sophie Lemaire", place="Paris", client=CLIENT)
    with pytest.raises(BusinessError, match=r"déjà été donnée|plus en cours"):
        services.party_sign(
            party=second, user=representative, typed_name="Sophie Lemaire", place="Paris", client=CLIENT
        )
    assert document.events.filter(action=EvidenceAction.SIGNED, party=counter).count() == 1


def test_decline_ends_the_document(document, signer):
    party = _signer_party(document)
    with pytest.raises(BusinessError, match="motif"):
        services.party_decline(party=party, user=signer, reason=" ", client=CLIENT)
    services.party_decline(party=party, user=signer, reason="Je ne suis pas d'accord.", client=CLIENT)
    document.refresh_from_db()
    assert document.status == SignableDocument.Status.DECLINED


def test_sealed_pdf_carries_the_evidence_and_a_trusted_certification_seal(sealed_document, mailoutbox):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    data = services.document_sealed_pdf(document=sealed_document)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Marchand".upper() in text and sealed_document.reference in text and "Dossier de preuve" in text
    evidence = json.loads(reader.attachments["preuves.json"][0])
    assert evidence["document"]["text_sha256"] == sealed_document.text_sha256
    assert [e["action"] for e in evidence["events"]][-1] == "signed"
    assert evidence["chain_head"] == evidence["events"][-1]["hash"]

    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[pki.trust_root()], allow_fetching=False))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.md_algorithm == "sha256"
    assert signature.docmdp_level == MDPPerm.NO_CHANGES and status.docmdp_ok

    assert services.evidence_verify_chain(document=sealed_document)
    actions = list(sealed_document.events.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["sealed", "delivered", "delivered"]
    copies = [m for m in mailoutbox if m.attachments]
    assert sorted(m.to[0] for m in copies) == ["representant@exemple.fr", "signataire@exemple.fr"]
    assert copies[0].attachments[0][0] == sealed_document.filename
    assert copies[0].attachments[0][1] == data


def test_sealing_twice_changes_nothing(sealed_document):
    events = sealed_document.events.count()
    emails = OutgoingEmail.objects.count()
    services.document_seal(document_id=sealed_document.pk)
    assert sealed_document.events.count() == events
    assert OutgoingEmail.objects.count() == emails


def test_verification_of_the_original_and_of_a_flipped_byte(sealed_document):
    data = services.document_sealed_pdf(document=sealed_document)
    result = services.verify_pdf(data=data)
    assert result.status == "valid", result.reasons
    assert result.document == sealed_document and result.matches_record
    flipped = bytearray(data)
    flipped[len(flipped) // 3] ^= 0x01
    altered = services.verify_pdf(data=bytes(flipped))
    assert altered.status == "altered"
    assert services.verify_pdf(data=b"not a pdf").status == "not_pdf"


def test_a_byte_flipped_in_the_signature_gap_is_still_caught(sealed_document):
    """The bytes of /Contents are outside the signed range: the register's hash catches them."""
    data = bytearray(services.document_sealed_pdf(document=sealed_document))
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    position = end - 10  # in the zero padding after the CMS structure
    data[position] = ord("1") if data[position] != ord("1") else ord("2")
    assert services.verify_pdf(data=bytes(data)).status == "altered"


def test_verify_reference(sealed_document, document):
    result = services.verify_reference(reference=sealed_document.reference.lower())
    assert result.status == "valid"
    assert services.verify_reference(reference="ZZZZ-ZZZZ-ZZZZ-ZZZZ") is None
    names = [p["name"] for p in services.parties_for_public(document=sealed_document)]
    assert names == ["Étienne M.", "Sophie L."]


def test_pending_document_reference(document):
    assert services.verify_reference(reference=document.reference).status == "pending"


def test_sign_all_helper_is_complete(document, signer, representative, mailoutbox):
    sign_all(document, signer, representative, mailoutbox)
    document.refresh_from_db()
    assert document.status == SignableDocument.Status.SIGNED  # sealing waits for the commit


def test_a_seal_from_another_authority_is_untrusted(sealed_document, settings, tmp_path):
    from soce.lib.signing.pdf import document_pdf, evidence_build, evidence_bytes, seal_pdf

    trusted_paths = (settings.SIGNING_PKCS12_PATH, settings.SIGNING_TRUST_ROOT_PATH)
    settings.SIGNING_PKCS12_PATH = str(tmp_path / "other.p12")
    settings.SIGNING_TRUST_ROOT_PATH = str(tmp_path / "other-root.pem")
    pki.ensure_dev_pki()  # someone else's authority
    events = list(sealed_document.events.order_by("seq"))
    evidence = evidence_bytes(evidence_build(sealed_document, events))
    forged, _timestamped = seal_pdf(
        document_pdf(sealed_document, events=events, evidence=evidence), document=sealed_document
    )
    settings.SIGNING_PKCS12_PATH, settings.SIGNING_TRUST_ROOT_PATH = trusted_paths
    result = services.verify_pdf(data=forged)
    assert result.status == "untrusted", (result.status, result.reasons)
