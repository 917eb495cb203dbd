"""Contrôles d'entrée : IBAN (clé modulo 97) et pièces jointes vérifiées par leur contenu."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from soce.lib.uploads import sniff_content_type

# Lengths of the IBANs we meet (SEPA area and a few frequent others).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MA": 28, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
}  # fmt: skip


def iban_normalise(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper()


def iban_is_valid(value: str) -> bool:
    iban = iban_normalise(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def iban_validate(value: str) -> str:
    """Returns the IBAN without spaces, or raises a French ValidationError."""
    if not iban_is_valid(value):
        raise ValidationError(_("Cet IBAN n'est pas valide : vérifiez-le sur le RIB du bénéficiaire."), code="iban")
    return iban_normalise(value)


def iban_masked(value: str) -> str:
    iban = iban_normalise(value)
    return f"{iban[:4]} •••• {iban[-4:]}" if len(iban) > 8 else iban


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int
    sha256: str
    original_name: str


def check_upload(uploaded, *, max_bytes: int) -> CheckedUpload:
    """Accepts PDF and images only, by content and size; raises ValidationError in French."""
    size = uploaded.size or 0
    if size == 0:
        raise ValidationError(_("Le fichier est vide."), code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("Le fichier dépasse la taille autorisée (%(mb)d Mo).") % {"mb": max_bytes // (1024 * 1024)},
            code="too_big",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("Seuls les PDF et les images (JPEG, PNG, WebP) sont acceptés ; ce fichier n'en est pas un."),
            code="type",
        )
    if content_type.startswith("image/"):
        _verify_image(uploaded)
    elif not _looks_like_pdf(uploaded):
        raise ValidationError(_("Ce PDF semble endommagé : enregistrez-le de nouveau puis réessayez."), code="pdf")
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = (getattr(uploaded, "name", "") or "")[-255:]
    return CheckedUpload(content_type=content_type, size=size, sha256=digest.hexdigest(), original_name=name)


def _verify_image(uploaded) -> None:
    from PIL import Image, UnidentifiedImageError

    uploaded.seek(0)
    try:
        with Image.open(uploaded) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("Cette image est illisible ou endommagée."), code="image") from exc
    finally:
        uploaded.seek(0)


def _looks_like_pdf(uploaded) -> bool:
    uploaded.seek(0)
    uploaded.seek(max((uploaded.size or 0) - 2048, 0))
    tail = uploaded.read()
    uploaded.seek(0)
    return b"%%EOF" in tail
