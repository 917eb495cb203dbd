"""The bench-only middleware: the SQL queries of a request, in a response header."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory

from bench.middleware import HEADER, QueryCountMiddleware


def _view_with_queries(n):
    def view(request):
        for _ in range(n):
            get_user_model().objects.filter(pk=0).exists()
        return HttpResponse("ok")

    return view


def test_counts_the_queries_of_the_request(db):
    response = QueryCountMiddleware(_view_with_queries(3))(RequestFactory().get("/"))
    assert response[HEADER] == "3"


def test_counts_zero_and_does_not_leak_between_requests(db):
    middleware = QueryCountMiddleware(_view_with_queries(0))
    assert middleware(RequestFactory().get("/"))[HEADER] == "0"
    assert QueryCountMiddleware(_view_with_queries(2))(RequestFactory().get("/"))[HEADER] == "2"
    assert middleware(RequestFactory().get("/"))[HEADER] == "0"


def test_queries_after_the_response_are_not_counted(db):
    from django.db import connection

    QueryCountMiddleware(_view_with_queries(1))(RequestFactory().get("/"))
    assert connection.execute_wrappers == []
