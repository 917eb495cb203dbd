"""Le dossier du Bureau : chiffres figés, PDF produit une fois, relu avec pypdf, empreintes vérifiables."""

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from pypdf import PdfReader

from strategy import services
from strategy.models import BoardPack, IndicatorValue

from .factories import (
    AmbitionFactory,
    CriterionFactory,
    IndicatorFactory,
    ObjectiveFactory,
    TargetFactory,
    ValueFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]


@pytest.fixture
def plan():
    with time_machine.travel(date(2026, 11, 22), tick=False):
        ambition = AmbitionFactory(code="A2", title="Unir pour agir, fiers d'être Gadzarts")
        objective = ObjectiveFactory(ambition=ambition, code="A2.O1", title="Fédérer toutes nos forces")
        ind = IndicatorFactory(
            criterion=CriterionFactory(objective=objective), code="mentorats", name="Binômes de mentorat actifs"
        )
        TargetFactory(indicator=ind, value=Decimal(500), target_on=date(2030, 12, 31))
        ValueFactory(indicator=ind, value=Decimal(240), period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))
        AmbitionFactory(plan=ambition.plan, code="A5", title="Humanisme et Fraternité")
        yield ambition.plan


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_board_pack_is_frozen_rendered_once_and_provable(plan, bureau_client, django_capture_on_commit_callbacks):
    with time_machine.travel(date(2026, 11, 22), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = bureau_client.post(
            f"/pilotage/dossiers/?plan={plan.code}", {"title": "Bureau du 24 novembre", "meeting_on": "2026-11-24"}
        )
    assert response.status_code == 302
    pack = BoardPack.objects.get()
    assert pack.status == BoardPack.Status.READY
    pdf = pack.pdf.open("rb").read()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == pack.pdf_sha256
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1 + 2 + 1  # one-pager, one page per ambition, community panel
    text = text_of(pdf)
    assert "#DemainLaSoce 2023–2030" in text
    assert "Bureau du 24 novembre" in text
    assert "Binômes de mentorat actifs" in text and "Humanisme et Fraternité" in text
    assert "16 266" in text.replace("\u202f", " ")  # the 2017 figure of the 2019 annual report
    assert pack.figures_sha256 in text
    # the figures it shows are stored alongside
    ind = pack.figures["dashboard"]["indicators"]["mentorats"]
    assert ind["actual"] == "240" and ind["final_target"]["value"] == "500"
    assert services.boardpack_integrity(pack=pack) == {"pdf": True, "figures": True}

    # later values do not change what the Bureau saw
    IndicatorValue.objects.update(value=Decimal(999))
    assert services.boardpack_render(boardpack_id=pack.pk).pdf_sha256 == pack.pdf_sha256
    pack.refresh_from_db()
    assert pack.figures["dashboard"]["indicators"]["mentorats"]["actual"] == "240"

    download = bureau_client.get(f"/pilotage/dossiers/{pack.reference}/pdf/")
    assert b"".join(download.streaming_content) == pdf
    figures = bureau_client.get(f"/pilotage/dossiers/{pack.reference}/chiffres.json").json()
    assert figures["figures_sha256"] == pack.figures_sha256
    assert "intact" in bureau_client.get(f"/pilotage/dossiers/{pack.reference}/verification/").content.decode()


def test_tampering_is_detected(plan, bureau_user):
    pack = services.boardpack_request(plan=plan, by=bureau_user, title="", meeting_on=date(2026, 11, 24))
    services.boardpack_render(boardpack_id=pack.pk)
    pack.refresh_from_db()
    pack.figures["dashboard"]["indicators"]["mentorats"]["actual"] = "480"
    assert services.boardpack_integrity(pack=pack) == {"pdf": True, "figures": False}


def test_only_the_bureau_prepares_a_board_pack(plan, staff_client):
    assert staff_client.post("/pilotage/dossiers/", {"meeting_on": "2026-11-24"}).status_code == 403
    assert not BoardPack.objects.exists()
