"""IBAN et pièces jointes : le contenu décide, pas le nom du fichier."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from entraide.checks import check_upload, iban_is_valid, iban_masked, iban_validate

from .conftest import pdf_bytes, png_bytes

MB = 1024 * 1024


@pytest.mark.parametrize("iban", ["FR76 3000 6000 0112 3456 7890 189", "DE89370400440532013000", "be68 5390 0754 7034"])
def test_valid_ibans(iban):
    assert iban_is_valid(iban)


@pytest.mark.parametrize("iban", ["FR76 3000 6000 0112 3456 7890 188", "FR7630006000011234567890", "", "XX00"])
def test_invalid_ibans(iban):
    assert not iban_is_valid(iban)
    with pytest.raises(ValidationError, match="IBAN"):
        iban_validate(iban)


def test_iban_masked():
    assert iban_masked("FR7630006000011234567890189") == "FR76 •••• 0189"


def test_pdf_and_png_are_accepted():
    assert check_upload(SimpleUploadedFile("a.pdf", pdf_bytes()), max_bytes=MB).content_type == "application/pdf"
    checked = check_upload(SimpleUploadedFile("photo.png", png_bytes()), max_bytes=MB)
    assert checked.content_type == "image/png"
    assert len(checked.sha256) == 64


def test_renamed_executable_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    with pytest.raises(ValidationError, match="Seuls les PDF et les images"):
        check_upload(SimpleUploadedFile("justificatif.pdf", exe, content_type="application/pdf"), max_bytes=MB)


def test_fake_image_and_truncated_pdf_are_refused():
    with pytest.raises(ValidationError, match="illisible"):
        check_upload(SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10), max_bytes=MB)
    with pytest.raises(ValidationError, match="endommagé"):
        check_upload(SimpleUploadedFile("x.pdf", b"%PDF-1.4\n" + b"a" * 50), max_bytes=MB)


def test_size_limit_and_empty_file():
    with pytest.raises(ValidationError, match="taille autorisée"):
        check_upload(SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (2 * MB) + b"%%EOF"), max_bytes=MB)
    with pytest.raises(ValidationError, match="vide"):
        check_upload(SimpleUploadedFile("empty.pdf", b""), max_bytes=MB)
