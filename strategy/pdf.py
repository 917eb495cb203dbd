"""PDF du pilotage : la page unique (A4 paysage) et le dossier du Bureau, à partir des chiffres figés."""

from __future__ import annotations

from soce.lib.pdf import render_pdf

from .models import BoardPack


def dashboard_pdf(figures: dict) -> bytes:
    """The one-pager as shown on screen (same figures, same SVG charts)."""
    return render_pdf("pdf/strategy/dashboard.html", {"figures": figures})


def board_pack_pdf(pack: BoardPack) -> bytes:
    """The one-pager, each ambition's detail and the community panel, from the pack's stored figures."""
    return render_pdf(
        "pdf/strategy/board_pack.html",
        {
            "pack": pack,
            "figures": pack.figures["dashboard"],
            "community": pack.figures["community"],
        },
    )
