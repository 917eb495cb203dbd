"""Le PDF d'un document signé : rendu WeasyPrint (PDF/A-3b, preuve jointe), puis cachet PAdES pyHanko."""

from __future__ import annotations

import base64
import io
import json

import qrcode
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from soce.lib.pdf import render_pdf

from . import pki
from .models import EvidenceEvent, SignableDocument
from .registry import get_kind

EVIDENCE_FILENAME = "preuves.json"
SEAL_FIELD = "CachetSoce"


def verify_url(document: SignableDocument) -> str:
    return settings.SITE_URL + reverse("signing:result", args=[document.reference])


def qr_data_url(url: str) -> str:
    """The QR code of `url` as an inline PNG (no file, no network)."""
    qr = qrcode.QRCode(border=1, box_size=6, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def evidence_build(document: SignableDocument, events: list[EvidenceEvent]) -> dict:
    """The evidence file: the document's fingerprint, the parties, and the hash-chained events."""
    parties = []
    for party in document.parties.all():
        parties.append(
            {
                "role": party.role,
                "label": party.label,
                "identity": party.identity,
                "capacity": party.capacity,
                "status": party.status,
                "signed_at": party.signed_at.isoformat() if party.signed_at else None,
                "place": party.place,
                "signature_method": party.signature_method,
                "typed_name": party.typed_name,
                "signature_image_sha256": party.signature_sha256,
                "identity_confirmed_at": party.identity_confirmed_at.isoformat()
                if party.identity_confirmed_at
                else None,
                "consent": {
                    "version": party.consent_version,
                    "text": party.consent_text,
                    "accepted_at": party.consent_accepted_at.isoformat() if party.consent_accepted_at else None,
                },
                "otp_verified_at": party.otp_verified_at.isoformat() if party.otp_verified_at else None,
            }
        )
    return {
        "format": "soce-preuve/1",
        "document": {
            "reference": document.reference,
            "kind": document.kind,
            "title": document.title,
            "version": document.version_label,
            "text_sha256": document.text_sha256,
            "created_at": document.created_at.isoformat(),
            "verify_url": verify_url(document),
        },
        "parties": parties,
        "events": [{**event.payload(), "hash": event.hash} for event in events],
        "chain_head": events[-1].hash if events else EvidenceEvent.GENESIS,
        "seal": {
            "certificate_sha256": pki.seal_certificate_sha256(),
            "trust_root_sha256": pki.trust_root_fingerprint().replace(":", "").lower(),
            "timestamp_authority": settings.SIGNING_TSA_URL or None,
        },
        "generated_at": timezone.now().isoformat(),
    }


def evidence_bytes(evidence: dict) -> bytes:
    return json.dumps(evidence, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def document_pdf(document: SignableDocument, *, events: list[EvidenceEvent], evidence: bytes) -> bytes:
    """The unsealed PDF/A-3b: the text, the parties' blocks, the evidence page and `preuves.json` attached."""
    from weasyprint import Attachment

    kind = get_kind(document.kind)
    parties = list(document.parties.all())
    url = verify_url(document)
    context = {
        "document": document,
        "kind": kind,
        "parties": parties,
        "signers": [p for p in parties if p.role == p.Role.SIGNER],
        "countersigners": [p for p in parties if p.role == p.Role.COUNTERSIGNER],
        "events": events,
        "verify_url": url,
        "qr_code": qr_data_url(url),
        "root_fingerprint": pki.trust_root_fingerprint(),
        "evidence_filename": EVIDENCE_FILENAME,
        "copies": len(parties),
    }
    if kind.pdf_context is not None:
        context.update(kind.pdf_context(document))
    attachment = Attachment(
        string=evidence,
        name=EVIDENCE_FILENAME,
        description="Journal de preuve de la signature (JSON)",
        relationship="Data",
    )
    return render_pdf(kind.pdf_template, context, attachments=[attachment], pdf_variant="pdf/a-3b")


def seal_pdf(pdf: bytes, *, document: SignableDocument) -> tuple[bytes, bool]:
    """Applies the association's PAdES certification seal (no changes allowed, SHA-256, RFC 3161 when set).

    Returns the sealed bytes and whether a time-stamp token was included.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

    timestamper = None
    if settings.SIGNING_TSA_URL:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=10)
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=f"Cachet de la Soce — {document.title} ({document.reference})",
        location="Paris",
        name="Société des ingénieurs Arts et Métiers",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=pki.load_signer(), timestamper=timestamper)
    return out.getvalue(), timestamper is not None
