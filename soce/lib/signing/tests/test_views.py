import html
import os
import re
import shlex
import ssl
import subprocess
import sys
from pathlib import Path

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


def test_root_certificate_is_published_as_pem_for_anyone(anon):
    response = anon.get("/verifier/racine.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    der = ssl.PEM_cert_to_DER_cert(response.content.decode())
    assert pki.fingerprint(der) == pki.trust_root_fingerprint()
    assert 'href="/verifier/racine.pem"' in anon.get("/verifier/").content.decode()


def _recipe(page: str) -> tuple[list[str], str]:
    """The validation command and the fingerprint one-liner, exactly as /verifier/ shows them."""
    validate = html.unescape(re.search(r'<code id="cli-validate">(.*?)</code>', page).group(1))
    fingerprint = html.unescape(re.search(r"<code>(python3 -c .*?)</code>", page).group(1))
    return shlex.split(validate), shlex.split(fingerprint)


def test_the_published_command_line_recipe_validates_a_sealed_pdf(anon, sealed_document, tmp_path):
    page = anon.get("/verifier/").content.decode()
    assert 'pip install "pyhanko-cli==0.6.0"' in html.unescape(page)
    validate, fingerprint = _recipe(page)
    assert validate[:3] == ["pyhanko", "sign", "validate"]
    (tmp_path / "soce-racine.pem").write_bytes(anon.get("/verifier/racine.pem").content)
    (tmp_path / "charte.pdf").write_bytes(services.document_sealed_pdf(document=sealed_document))
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}

    printed = subprocess.run(
        [sys.executable, *fingerprint[1:]], cwd=tmp_path, capture_output=True, text=True, check=True, env=env
    )
    assert printed.stdout.strip() == pki.trust_root_fingerprint()

    ok = subprocess.run(validate, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "The signature is judged VALID." in ok.stdout
    assert "The signer's certificate is trusted." in ok.stdout
    assert "The signature covers the entire file." in ok.stdout

    data = bytearray((tmp_path / "charte.pdf").read_bytes())
    data[len(data) // 2] ^= 0x20
    (tmp_path / "charte.pdf").write_bytes(bytes(data))
    altered = subprocess.run(validate, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert altered.returncode != 0 and "INVALID" in altered.stdout
