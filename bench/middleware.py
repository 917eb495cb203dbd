"""Bench-only middleware: counts the SQL queries of each request and returns them in a header."""

from __future__ import annotations

from django.db import connections

HEADER = "X-Bench-Queries"


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class QueryCountMiddleware:
    """First in MIDDLEWARE (soce.settings.bench): every query of the request is counted, on every database.

    A streamed response's queries made while streaming are not counted (the header is sent first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _Counter()
        stack = []
        try:
            for alias in connections:
                wrapper = connections[alias].execute_wrapper(counter)
                wrapper.__enter__()
                stack.append(wrapper)
            response = self.get_response(request)
        finally:
            for wrapper in reversed(stack):
                wrapper.__exit__(None, None, None)
        response[HEADER] = str(counter.count)
        return response
