"""Filtres et balises du pilotage : nombres, dates, statuts et graphiques SVG."""

from django import template

from strategy import charts, formatting, labels

register = template.Library()


@register.filter
def num(value, unit="count"):
    """`{{ v|num:"percent" }}` → `31,2 %`."""
    return formatting.fmt(value, unit or "count")


@register.simple_tag
def value(v, unit="count", decimals=None):
    """`{% value v ind.unit ind.decimals %}` with the indicator's own decimals."""
    return formatting.fmt(v, unit or "count", decimals)


@register.simple_tag
def signed(v, unit="count", decimals=None):
    return formatting.fmt_signed(v, unit or "count", decimals)


@register.filter
def pct(value, decimals=0):
    return formatting.fmt_pct(value, int(decimals or 0))


@register.filter
def fdate(value):
    return formatting.fmt_date(value)


@register.simple_tag
def period(start, end):
    return formatting.period_label(start, end)


@register.filter
def status_label(value):
    return labels.status_label(value)


@register.filter
def status_class(value):
    return labels.status_style(value)[0]


@register.filter
def status_icon(value):
    return labels.status_style(value)[2]


@register.filter
def status_colour(value):
    return labels.status_style(value)[1]


@register.filter
def status_mark(value):
    return labels.STATUS_MARK.get(labels.Status(value or "no_data"), "")


@register.filter
def error_label(value):
    return labels.config_error_label(value)


@register.filter
def get(mapping, key):
    """`{{ figures.indicators|get:code }}`."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.simple_tag
def sparkline(points, label, unit="count", decimals=0):
    return charts.sparkline(points or [], label=label, unit=unit, decimals=decimals or 0)


@register.simple_tag
def bullet(label, rollup):
    return charts.bullet(
        label=label,
        progress=rollup.get("progress"),
        expected=rollup.get("expected"),
        status=rollup.get("status"),
        coverage=f"{rollup.get('with_data')}/{rollup.get('total')}",
    )


@register.simple_tag
def curve_chart(data):
    return charts.curve(data)


@register.simple_tag
def bars_chart(series):
    return charts.bars(
        label=series["label"],
        years=series["years"],
        values=series["values"],
        sources=series["sources"],
        unit=series["unit"],
    )
