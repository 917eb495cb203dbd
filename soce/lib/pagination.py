"""Pagination sans compter toute la table : estimation du planificateur, ou compte plafonné."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, an unfiltered changelist uses the planner's row estimate instead of COUNT(*)."""

    @cached_property
    def count(self):
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and not query.where and connections[qs.db].vendor == "postgresql":
            with connections[qs.db].cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [qs.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] and row[0] > 10000:
                return int(row[0])
        return super().count


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows (COUNT over a LIMITed subquery): pages beyond the cap are not offered.

    For searches that may match thousands of rows where nobody pages that far (and should not:
    scraping), it avoids counting the whole match on every page. The count ignores the ordering (the
    number of rows under the cap does not depend on it), so the database need not sort what it counts;
    a DISTINCT queryset keeps it, as Django may add the ordering's columns to what is DISTINCT.
    """

    cap = 1000

    @cached_property
    def count(self):
        qs = self.object_list
        if hasattr(qs, "query") and not qs.query.distinct:
            qs = qs.order_by()
        return qs[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class KeysFirstPaginator(Paginator):
    """Pages the keys of a queryset, then loads the page's rows with their joins (two queries, not one).

    Sorting and cutting the page happen on the table alone; only the page's rows are then joined to their
    related tables. In one query, PostgreSQL may join every matching row (a beneficiary's member among
    100,000) before the sort keeps fifty of them.
    """

    def page(self, number):
        page = super().page(number)
        keys = list(page.object_list)
        rows = self._full.in_bulk(keys)
        page.object_list = [rows[k] for k in keys if k in rows]
        return page

    def __init__(self, object_list, *args, **kwargs):
        self._full = object_list
        super().__init__(object_list.values_list("pk", flat=True), *args, **kwargs)


class CappedKeysFirstPaginator(CappedCountPaginator):
    """A capped count, and each page read in one query whose subquery picks the page's keys on the keys alone.

    `WHERE pk IN (SELECT pk … ORDER BY … LIMIT n OFFSET k)`: choosing the page may walk an index-only
    scan through thousands of rows, and only the page's rows are read in full with their joins. In a
    single query PostgreSQL reads every walked row from the table (KeysFirstPaginator does the same in two).

    When every row fits on the first page, the query has no LIMIT: a LIMIT as small as the count lets the
    planner, which expects more matches than there are, walk an index in order for the last one.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        qs = self.object_list
        if bottom == 0 and top == self.count and not self.capped:
            return self._get_page(qs, number, self)
        keys = qs.values("pk")[bottom:top]
        return self._get_page(qs.filter(pk__in=keys), number, self)
