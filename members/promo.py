"""Libellés de promotion : `Bo 179` = campus de Bordeaux, entrée en 1979."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import MIN_ENTRY_YEAR, PROMO_OFFSET

_PROMO_RE = re.compile(r"^\s*([A-Za-zÀ-ÿ]{2,4})\s*\.?\s*(\d{1,3})\s*$")


@dataclass(frozen=True)
class Promo:
    campus_code: str
    entry_year: int

    @property
    def number(self) -> int:
        return self.entry_year - PROMO_OFFSET

    @property
    def label(self) -> str:
        return f"{self.campus_code} {self.number}"

    def __str__(self) -> str:
        return self.label


def parse_promo(text: str, *, campus_codes: dict[str, str] | None = None) -> Promo:
    """Parses `bo179`, `Bo. 179`, `BO 179`… into a Promo; raises ValidationError in French.

    `campus_codes` maps lower-case codes to their canonical spelling (defaults to the database).
    """
    match = _PROMO_RE.match(text or "")
    if not match:
        raise ValidationError(
            "« %(value)s » n'est pas une promotion : écrivez le code du campus puis le numéro, par ex. « Bo 179 ».",
            code="promo_format",
            params={"value": text},
        )
    code, number = match.group(1), int(match.group(2))
    if campus_codes is None:
        from .models import Campus

        campus_codes = {c.lower(): c for c in Campus.objects.values_list("code", flat=True)}
    canonical = campus_codes.get(code.lower())
    if canonical is None:
        raise ValidationError(
            "Campus inconnu : « %(code)s ». Codes connus : %(known)s.",
            code="promo_campus",
            params={"code": code, "known": ", ".join(sorted(campus_codes.values()))},
        )
    entry_year = number + PROMO_OFFSET
    latest = timezone.localdate().year + 1
    if entry_year < MIN_ENTRY_YEAR or entry_year > latest:
        raise ValidationError(
            "Promotion impossible : %(label)s correspondrait à une entrée en %(year)d.",
            code="promo_year",
            params={"label": f"{canonical} {number}", "year": entry_year},
        )
    return Promo(canonical, entry_year)
