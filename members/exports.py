"""Export CSV des membres en flux : mémoire constante quel que soit le nombre de lignes.

django-import-export's `MemberResource().export()` builds the whole tablib Dataset (and one model instance
per row, with its campus and category) before the first byte is sent: its memory grows with the table.
This export reads plain tuples through a server-side cursor (`.values_list().iterator()`) in chunks and
yields one CSV line at a time, so the peak memory is one chunk's worth, at 1,000 rows as at 100,000.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from members.models import Member, format_promo

# Same columns and order as MemberResource's export (export_order, then the remaining fields).
COLUMNS = [
    ("last_name", "last_name"),
    ("first_name", "first_name"),
    ("promo", None),
    ("categorie", "category__code"),
    ("email", "email"),
    ("city", "city"),
    ("country", "country"),
]
_VALUES = ["campus__code", "entry_year", *[source for _name, source in COLUMNS if source]]


class _Echo:
    """A file-like object whose write() returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _safe(value):
    # A cell starting with =, +, - or @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def members_csv_rows(queryset=None, *, chunk_size: int = 2000) -> Iterator[str]:
    """Yields the header then one CSV line per member (no side effect)."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield writer.writerow([name for name, _source in COLUMNS])
    qs = (queryset if queryset is not None else Member.objects.all()).order_by("pk").values_list(*_VALUES)
    for campus_code, entry_year, *values in qs.iterator(chunk_size=chunk_size):
        row = iter(values)
        promo = format_promo(campus_code, entry_year) if campus_code and entry_year else ""
        yield writer.writerow([promo if source is None else _safe(next(row)) for _name, source in COLUMNS])


def members_csv_response(queryset=None, *, filename: str = "membres.csv") -> StreamingHttpResponse:
    response = StreamingHttpResponse(_with_bom(members_csv_rows(queryset)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines: Iterable[str]) -> Iterator[str]:
    yield "\ufeff"  # Excel opens UTF-8 CSV files correctly only with a BOM
    yield from lines
