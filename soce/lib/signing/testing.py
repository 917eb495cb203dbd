"""Aides de test pour les apps qui utilisent le moteur de signature (jamais importé par le code applicatif)."""

from __future__ import annotations

import base64
import io
import re


def drawn_signature() -> str:
    """A PNG data URL like signature_pad's: a stroke on a transparent background."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (80, 20), (150, 90), (290, 30)], fill=(11, 61, 99, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def last_otp_code(to: str | None = None) -> str:
    """The last one-time code queued in the outbox (optionally for one address)."""
    from soce.lib.models import OutgoingEmail

    emails = OutgoingEmail.objects.filter(template="signing/otp")
    if to:
        emails = emails.filter(to=to)
    email = emails.order_by("-id").first()
    if email is None:
        raise AssertionError("Aucun code à usage unique dans la boîte d'envoi.")
    return re.search(r"\b(\d{6})\b", email.subject).group(1)
