"""Evidence files are checked by their content and size, never by their name or the browser's word."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from strategy.forms import MAX_EVIDENCE_BYTES, CorrectionForm, ValueEntryForm

PERIODS = [(date(2025, 1, 1), date(2025, 12, 31))]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64  # a Windows program


def xlsx() -> bytes:
    book = Workbook()
    book.active.append(["Conférences", 12])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def entry(name: str, content: bytes, **data):
    form = ValueEntryForm(
        {"period": "2025-01-01", "value": "12", "comment": "Bilan 2025", **data},
        {"evidence": SimpleUploadedFile(name, content)},
        periods=PERIODS,
        percent=False,
        today=date(2026, 1, 5),
        grace_days=30,
    )
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bilan.pdf", PDF),
        ("photo.PNG", PNG),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32),
        ("tableau.xlsx", xlsx()),
        ("note.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})),
        ("liste.csv", "Groupe;Conférences\nLyon;4\nNîmes;2\n".encode()),
    ],
)
def test_accepted_evidence(name, content):
    form = entry(name, content)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("bilan.pdf", EXE, "ni un PDF"),  # a program renamed
        ("bilan.exe", EXE, "ni un PDF"),
        ("bilan.pdf", PNG, "ne correspond pas"),  # an image called a PDF
        (
            "tableau.xlsx",
            zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/vbaProject.bin": b"x"}),
            "ni un PDF",
        ),
        ("archive.xlsx", zipped({"setup.exe": EXE}), "ni un PDF"),  # any zip is not an office document
        ("vide.pdf", b"", "vide"),
    ],
)
def test_refused_evidence(name, content, why):
    form = entry(name, content)
    assert not form.is_valid()
    assert why in " ".join(form.errors["evidence"])


def test_evidence_over_5_mb_is_refused():
    form = entry("bilan.pdf", PDF + b"0" * MAX_EVIDENCE_BYTES)
    assert "5 Mo" in " ".join(form.errors["evidence"])


def test_a_correction_checks_its_evidence_too():
    form = CorrectionForm(
        {"value": "5", "reason": "Une table ronde oubliée"}, {"evidence": SimpleUploadedFile("fix.pdf", EXE)}
    )
    assert not form.is_valid() and "evidence" in form.errors
