"""Graphiques SVG rendus côté serveur : les mêmes à l'écran et dans le PDF, sans bibliothèque JavaScript.

Chaque graphique porte `role="img"`, un `<title>` et une `<desc>` reliés par `aria-labelledby` ;
la `<desc>` est l'alternative textuelle complète (les valeurs en mots). Tout texte passe par
`escape()` : le SVG est marqué sûr parce que nous l'avons écrit, jamais le texte des utilisateurs.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .formatting import fmt, fmt_date, fmt_pct, to_decimal
from .labels import status_label, status_style

INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
BLUE = "#0b3d63"
GOLD = "#b8892b"


_COUNTER = itertools.count(1)


def _id(*parts) -> str:
    """Unique within a page even when the same chart appears twice (one-pager and detail pages)."""
    return "g" + hashlib.sha256(repr(parts).encode()).hexdigest()[:8] + str(next(_COUNTER))


def _f(value: Decimal | float | int) -> str:
    return format(Decimal(value).quantize(Decimal("0.1")), "f")


def _svg(*, width: int, height: int, title: str, desc: str, body: list[str], css_class: str, key) -> SafeString:
    gid = _id(css_class, key)
    # every text below went through escape()
    return mark_safe(
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{gid}-t {gid}-d" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, Arial, sans-serif">'
        f'<title id="{gid}-t">{escape(title)}</title><desc id="{gid}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _scale(lo: Decimal, hi: Decimal, out_lo: Decimal, out_hi: Decimal):
    span = hi - lo or Decimal(1)

    def at(v: Decimal) -> Decimal:
        return out_lo + (v - lo) / span * (out_hi - out_lo)

    return at


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _text(x, y, text, *, size=10, anchor="start", fill=INK, weight="normal") -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


# --------------------------------------------------------------------------- sparkline


def sparkline(points: list, *, label: str, unit: str = "count", decimals: int = 0) -> SafeString:
    """A tiny line of the last values; the description lists them."""
    width, height, pad = 120, 32, 3
    values = [(p[0], to_decimal(p[1])) for p in points if to_decimal(p[1]) is not None]
    desc = (
        "; ".join(f"{fmt_date(d)} : {fmt(v, unit, decimals)}" for d, v in values) if values else "Pas encore de valeur."
    )
    body = []
    if len(values) >= 2:
        nums = [v for _d, v in values]
        y = _scale(min(nums), max(nums), Decimal(height - pad), Decimal(pad))
        x = _scale(Decimal(0), Decimal(len(values) - 1), Decimal(pad), Decimal(width - pad))
        coords = " ".join(f"{_f(x(Decimal(i)))},{_f(y(v))}" for i, (_d, v) in enumerate(values))
        body.append(f'<polyline points="{coords}" fill="none" stroke="{BLUE}" stroke-width="1.5"/>')
        body.append(f'<circle cx="{_f(x(Decimal(len(values) - 1)))}" cy="{_f(y(nums[-1]))}" r="2.5" fill="{GOLD}"/>')
    return _svg(
        width=width,
        height=height,
        title=f"Évolution : {label}",
        desc=desc,
        body=body,
        css_class="chart-spark",
        key=(label, points),
    )


# --------------------------------------------------------------------------- bullet graph


def bullet(*, label: str, progress, expected, status: str, coverage: str = "") -> SafeString:
    """Progress (bar) against what is expected to date (tick) and the 2030 target (end), in percent."""
    width, height = 300, 30
    left, right = 4, width - 4
    x = _scale(Decimal(0), Decimal(100), Decimal(left), Decimal(right))
    _cls, colour, _icon = status_style(status)
    body = [
        f'<rect x="{left}" y="6" width="{_f(x(Decimal(85)) - left)}" height="18" fill="#f1f3f5"/>',
        f'<rect x="{_f(x(Decimal(85)))}" y="6" width="{_f(x(Decimal(95)) - x(Decimal(85)))}" height="18" '
        'fill="#e9ecef"/>',
        f'<rect x="{_f(x(Decimal(95)))}" y="6" width="{_f(right - x(Decimal(95)))}" height="18" fill="#dee2e6"/>',
    ]
    p = to_decimal(progress)
    e = to_decimal(expected)
    if p is not None:
        body.append(
            f'<rect x="{left}" y="11" width="{_f(x(p) - left)}" height="8" fill="{colour}" '
            f'stroke="{INK}" stroke-width="0.3"/>'
        )
    if e is not None:
        body.append(f'<line x1="{_f(x(e))}" x2="{_f(x(e))}" y1="3" y2="27" stroke="{INK}" stroke-width="2"/>')
    body.append(f'<line x1="{right}" x2="{right}" y1="3" y2="27" stroke="{GOLD}" stroke-width="3"/>')
    words = status_label(status)
    if p is None:
        desc = f"{label} : pas de donnée ({words})."
    else:
        desc = (
            f"{label} : {fmt_pct(p)} du chemin vers la cible 2030 ; attendu à date : {fmt_pct(e)} ; "
            f"statut : {words}" + (f" ; couverture {coverage}" if coverage else "") + "."
        )
    return _svg(
        width=width,
        height=height,
        title=f"Progression : {label}",
        desc=desc,
        body=body,
        css_class="chart-bullet",
        key=(label, progress, expected),
    )


# --------------------------------------------------------------------------- turn the curve


def curve(data: dict | None) -> SafeString:
    """Actuals, stepped targets, forecast and annotations of one indicator over time."""
    if not data:
        return mark_safe("")
    width, height = 760, 300
    left, right, top, bottom = 64, width - 16, 28, height - 40
    unit, decimals = data["unit"], data["decimals"]
    actuals = [(_day(d), to_decimal(v)) for d, v in data["actuals"] if to_decimal(v) is not None]
    targets = [(_day(d), to_decimal(v)) for d, v in data["targets"] if to_decimal(v) is not None]
    forecast = [(_day(d), to_decimal(v)) for d, v in data["forecast"]]
    baseline = data["baseline"]
    base = (
        (_day(baseline["on"]), to_decimal(baseline["value"]))
        if baseline and baseline.get("on") and baseline.get("value") is not None
        else None
    )
    live = data.get("live")
    live_pt = (_day(live["end"]), to_decimal(live["value"])) if live else None
    annotations = [(_day(d), text) for d, text in data["annotations"]]
    everything = actuals + targets + forecast + ([base] if base else []) + ([live_pt] if live_pt else [])
    title = f"Inverser la courbe : {data['name']}"
    if not everything:
        return _svg(
            width=width,
            height=60,
            title=title,
            desc="Pas encore de valeur ni de cible.",
            body=[_text(10, 30, "Pas encore de donnée.", fill=MUTED)],
            css_class="chart-curve",
            key=data["code"],
        )
    days = [d for d, _v in everything] + [d for d, _t in annotations]
    d0, d1 = min(days), max(days)
    d0 = date(d0.year, 1, 1)
    d1 = date(d1.year, 12, 31)
    vals = [v for _d, v in everything]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * Decimal("0.1") or (abs(hi) * Decimal("0.1") or Decimal(1))
    lo, hi = lo - pad, hi + pad
    if min(vals) >= 0 and lo < 0:
        lo = Decimal(0)
    x = _scale(Decimal(d0.toordinal()), Decimal(d1.toordinal()), Decimal(left), Decimal(right))

    def xd(d: date) -> Decimal:
        return x(Decimal(d.toordinal()))

    y = _scale(lo, hi, Decimal(bottom), Decimal(top))
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="#fff" stroke="{GRID}"/>']
    for i in range(5):
        v = lo + (hi - lo) * Decimal(i) / Decimal(4)
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{_f(y(v))}" y2="{_f(y(v))}" stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(_text(left - 6, y(v) + Decimal(3), fmt(v, unit, decimals), size=9, anchor="end", fill=MUTED))
    step = max(1, (d1.year - d0.year + 1) // 10)
    for year in range(d0.year, d1.year + 1, step):
        xx = xd(date(year, 1, 1))
        body.append(f'<line x1="{_f(xx)}" x2="{_f(xx)}" y1="{bottom}" y2="{bottom + 4}" stroke="{MUTED}"/>')
        body.append(_text(xd(date(year, 7, 1)), Decimal(bottom + 15), str(year), size=9, anchor="middle", fill=MUTED))
    for d, label in annotations:
        xx = xd(d)
        body.append(
            f'<line x1="{_f(xx)}" x2="{_f(xx)}" y1="{top}" y2="{bottom}" stroke="{MUTED}" stroke-dasharray="2 3"/>'
        )
        body.append(_text(xx + Decimal(3), Decimal(top + 10), label, size=8, fill=MUTED))
    if targets:
        path = []
        prev_day = base[0] if base else targets[0][0]
        for d, v in targets:
            path.append(f"M{_f(xd(prev_day))},{_f(y(v))} H{_f(xd(d))}")
            prev_day = d
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{GOLD}" stroke-width="2.5"/>')
        for d, v in targets:
            body.append(f'<circle cx="{_f(xd(d))}" cy="{_f(y(v))}" r="3" fill="{GOLD}"/>')
    if base:
        body.append(f'<rect x="{_f(xd(base[0]) - 3)}" y="{_f(y(base[1]) - 3)}" width="6" height="6" fill="{MUTED}"/>')
    if len(forecast) == 2:
        (fa, va), (fb, vb) = forecast
        body.append(
            f'<line x1="{_f(xd(fa))}" y1="{_f(y(va))}" x2="{_f(xd(fb))}" y2="{_f(y(vb))}" stroke="{MUTED}" '
            f'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
    if actuals:
        coords = " ".join(f"{_f(xd(d))},{_f(y(v))}" for d, v in actuals)
        body.append(f'<polyline points="{coords}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>')
        for d, v in actuals:
            body.append(f'<circle cx="{_f(xd(d))}" cy="{_f(y(v))}" r="3" fill="{BLUE}"/>')
    if live_pt:
        body.append(
            f'<circle cx="{_f(xd(live_pt[0]))}" cy="{_f(y(live_pt[1]))}" r="4" fill="#fff" '
            f'stroke="{BLUE}" stroke-width="2"/>'
        )
    legend = [
        (BLUE, "valeurs"),
        (GOLD, "cibles par échéance"),
        (MUTED, "tendance (moindres carrés)"),
    ]
    lx = left
    for colour, text in legend:
        body.append(f'<rect x="{lx}" y="8" width="14" height="4" fill="{colour}"/>')
        body.append(_text(lx + 18, 13, text, size=9))
        lx += 24 + 6 * len(text)
    parts = []
    if base:
        parts.append(f"Référence {fmt(base[1], unit, decimals)} au {fmt_date(base[0])}.")
    if actuals:
        parts.append("Valeurs : " + "; ".join(f"{fmt_date(d)} {fmt(v, unit, decimals)}" for d, v in actuals) + ".")
    else:
        parts.append("Pas encore de valeur officielle.")
    if live_pt:
        parts.append(f"Valeur provisoire au {fmt_date(live_pt[0])} : {fmt(live_pt[1], unit, decimals)}.")
    if targets:
        parts.append("Cibles : " + "; ".join(f"{fmt_date(d)} {fmt(v, unit, decimals)}" for d, v in targets) + ".")
    if len(forecast) == 2:
        parts.append(f"Tendance au {fmt_date(forecast[1][0])} : {fmt(forecast[1][1], unit, decimals)}.")
    if annotations:
        parts.append("Repères : " + "; ".join(f"{fmt_date(d)} {t}" for d, t in annotations) + ".")
    parts.append(f"Statut : {data['status_label']}.")
    return _svg(
        width=width,
        height=height,
        title=title,
        desc=" ".join(parts),
        body=body,
        css_class="chart-curve",
        key=(data["code"], data["actuals"], data["targets"]),
    )


# --------------------------------------------------------------------------- bars per year


SOURCE_FILL = {"report": "#8fa9c0", "official": BLUE, "registry": BLUE, "live": "#ffffff", "": "#ffffff"}


def bars(*, label: str, years: list[int], values: list, sources: list[str], unit: str = "count") -> SafeString:
    """One bar per year; figures from the 2019 report lighter, the current year outlined (provisional)."""
    width, height = 560, 200
    left, right, top, bottom = 8, width - 8, 20, height - 24
    nums = [to_decimal(v) for v in values]
    known = [v for v in nums if v is not None]
    body = []
    if not known:
        body.append(_text(10, 30, "Source indisponible ou pas encore de donnée.", fill=MUTED))
        return _svg(
            width=width, height=60, title=label, desc="Pas de donnée.", body=body, css_class="chart-bars", key=(label,)
        )
    hi = max(known) * Decimal("1.12") or Decimal(1)
    y = _scale(Decimal(0), hi, Decimal(bottom), Decimal(top))
    slot = Decimal(right - left) / Decimal(len(years))
    bar = slot * Decimal("0.7")
    for i, (year, v, source) in enumerate(zip(years, nums, sources, strict=True)):
        xx = Decimal(left) + slot * i + (slot - bar) / 2
        if v is not None:
            fill = SOURCE_FILL.get(source, BLUE)
            dash = ' stroke-dasharray="3 2"' if source == "live" else ""
            body.append(
                f'<rect x="{_f(xx)}" y="{_f(y(v))}" width="{_f(bar)}" height="{_f(Decimal(bottom) - y(v))}" '
                f'fill="{fill}" stroke="{BLUE}" stroke-width="1"{dash}/>'
            )
            body.append(_text(xx + bar / 2, y(v) - Decimal(3), fmt(v, unit), size=8, anchor="middle"))
        body.append(_text(xx + bar / 2, Decimal(bottom + 14), str(year), size=9, anchor="middle", fill=MUTED))
    words = {"report": "rapport annuel 2019", "live": "provisoire", "official": "officiel", "registry": "calculé"}
    desc = "; ".join(
        f"{year} : {fmt(v, unit)}" + (f" ({words[s]})" if s in words and s not in ("official", "registry") else "")
        for year, v, s in zip(years, nums, sources, strict=True)
        if v is not None
    )
    return _svg(
        width=width, height=height, title=label, desc=desc + ".", body=body, css_class="chart-bars", key=(label, values)
    )
