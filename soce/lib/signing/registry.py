"""Natures de documents signables : chaque app déclare la sienne dans son AppConfig.ready().

    from soce.lib.signing.registry import DocumentKind, register

    register(DocumentKind(
        code="entraide.loan_contract",
        label="Contrat de prêt d'honneur",
        pdf_template="pdf/entraide/loan_contract.html",   # extends "pdf/signing/base.html"
        pdf_context=lambda document: {"loan": document.related.loan},
        on_party_signed=_after_party_signed,               # (document, party) -> None, inside the transaction
        on_sealed=_after_sealed,                           # (document) -> None, inside the transaction
    ))

The engine never imports the apps: it calls these hooks (floors: apps above, engine below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocumentKind:
    code: str  # "<app>.<document>"
    label: str  # French
    pdf_template: str = "pdf/signing/document.html"
    # Extra template context for the PDF (the document is always given as `document`).
    pdf_context: Callable[[Any], dict] | None = None
    # Hooks, called inside the service's transaction.
    on_party_signed: Callable[[Any, Any], None] | None = None
    on_declined: Callable[[Any, Any], None] | None = None
    on_sealed: Callable[[Any], None] | None = None
    # E-mail sent to each party with the sealed PDF attached (templates/emails/<template>_*.txt).
    delivery_template: str = "signing/sealed"
    # Where a party finds the document in the portal, for the e-mails: url(document, party) -> absolute path.
    portal_url: Callable[[Any, Any], str] | None = None


_KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> None:
    _KINDS[kind.code] = kind


def get_kind(code: str) -> DocumentKind:
    """The registered kind, or a neutral default (documents stay verifiable if an app is removed)."""
    return _KINDS.get(code) or DocumentKind(code=code, label=code)
