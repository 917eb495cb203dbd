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
    """The last one-time code e-mailed (optionally to one address), read from the test mailbox.

    The outbox row itself is redacted once sent, so the code is only in the delivered message.
    """
    from django.core import mail

    for message in reversed(getattr(mail, "outbox", [])):
        if (to is None or to in message.to) and (found := re.search(r"\b(\d{6})\b", message.subject)):
            return found.group(1)
    from soce.lib.models import OutgoingEmail

    unsent = OutgoingEmail.objects.filter(template="signing/otp", redact_after_send=True).exclude(status="sent")
    if to:
        unsent = unsent.filter(to=to)
    email = unsent.order_by("-id").first()
    if email is not None and (found := re.search(r"\b(\d{6})\b", email.subject)):
        return found.group(1)
    raise AssertionError("Aucun code à usage unique envoyé ni en attente.")
