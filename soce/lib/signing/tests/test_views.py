import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soce.lib.signing import pki, services

pytestmark = pytest.mark.django_db


def test_verify_page_is_public_and_publishes_the_root_fingerprint(anon):
    response = anon.get("/verifier/")
    assert response.status_code == 200
    assert pki.trust_root_fingerprint() in response.content.decode()


def test_upload_of_the_sealed_pdf_says_intact(anon, sealed_document):
    data = services.document_sealed_pdf(document=sealed_document)
    response = anon.post("/verifier/", {"pdf": SimpleUploadedFile("charte.pdf", data, "application/pdf")})
    html = response.content.decode()
    assert 'data-verdict="valid"' in html
    assert "Étienne M." in html and "Marchand" not in html  # redacted for the public


def test_upload_of_an_altered_pdf_says_altered(anon, sealed_document):
    data = bytearray(services.document_sealed_pdf(document=sealed_document))
    data[len(data) // 2] ^= 0x20
    response = anon.post("/verifier/", {"pdf": SimpleUploadedFile("charte.pdf", bytes(data), "application/pdf")})
    assert 'data-verdict="altered"' in response.content.decode()


def test_reference_form_redirects_to_the_qr_target(anon, sealed_document):
    typed = sealed_document.reference.lower().replace("-", " ")
    response = anon.post("/verifier/", {"reference": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/verifier/{sealed_document.reference}/"
    page = anon.get(response["Location"])
    assert page.status_code == 200 and 'data-verdict="valid"' in page.content.decode()


def test_unknown_reference_is_a_404_page(anon):
    response = anon.get("/verifier/ZZZZ-ZZZZ-ZZZZ-ZZZZ/")
    assert response.status_code == 404
    assert "Aucun document ne porte cette référence" in response.content.decode()


def test_ensure_dev_pki_is_idempotent(settings, tmp_path):
    from django.core.management import call_command

    settings.SIGNING_PKCS12_PATH = str(tmp_path / "pki" / "seal.p12")
    settings.SIGNING_TRUST_ROOT_PATH = str(tmp_path / "pki" / "root.pem")
    assert pki.ensure_dev_pki() is True
    first = (tmp_path / "pki" / "seal.p12").read_bytes()
    call_command("ensure_dev_pki")
    assert (tmp_path / "pki" / "seal.p12").read_bytes() == first
    assert pki.load_signer().signing_cert is not None
    assert len(pki.trust_root_fingerprint()) == 95
