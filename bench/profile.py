"""Profiles one journey in-process: its SQL queries with their times, EXPLAIN ANALYZE of the slowest, cProfile.

    DJANGO_SETTINGS_MODULE=soce.settings.bench DATABASE_URL=… python -m bench.profile admin_members [--explain 3]

The request goes through the whole middleware stack with the Django test client, logged in as the
journey's role with the same session records as the load run (bench_sessions).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("journey")
    parser.add_argument("--explain", type=int, default=2, help="EXPLAIN ANALYZE the N slowest queries")
    parser.add_argument("--cprofile", type=int, default=25, help="print the N most expensive functions (0: none)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soce.settings.bench")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from members.models import User
    from soce.lib.management.commands.bench_sessions import Command, _pool_users

    from .journeys import discover

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    journey = discover([args.journey])[0]
    if journey["path"] is None:
        raise SystemExit(f"{args.journey}: missing ({journey['note']})")
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    pooled = journey["role"] == "pool"
    user = _pool_users(1)[0] if pooled else User.objects.get(email=f"{journey['role']}@demo.soce.fr")
    session = Command()._session(store, user)
    client = Client()
    client.cookies[session["cookie"]] = session["value"]
    for _ in range(3):  # warm caches (templates, content types, URL resolvers)
        client.get(journey["path"])
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(journey["path"])
        elapsed = (time.perf_counter() - started) * 1000
    print(f"{journey['name']} {journey['path']} → {response.status_code} in {elapsed:.1f} ms, {len(ctx)} queries")
    for i, q in enumerate(ctx.captured_queries, 1):
        print(f"  {i:>2}. {float(q['time']) * 1000:7.1f} ms  {q['sql'][:220]}")
    slowest = sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)[: args.explain]
    for q in slowest:
        print(f"\nEXPLAIN ANALYZE ({float(q['time']) * 1000:.1f} ms): {q['sql'][:600]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            for (line,) in cursor.fetchall():
                print("   ", line)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(journey["path"])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.cprofile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
