"""Locust user for one journey (run headless by bench/run.py, one locust process per journey and load).

Environment (set by the runner): BENCH_PATH, BENCH_COOKIE (name=value of the role's session) or
BENCH_COOKIE_FILE (a JSON list of name=value, used in turn, one per request: many distinct members),
BENCH_RAW_OUT (JSON file of the raw samples written when locust quits).
Every request is a GET with no redirect followed: anything but 200 is an error (a 302 to the login or
MFA page would otherwise be measured as a fast success).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

from locust import FastHttpUser, constant, events, task

PATH = os.environ.get("BENCH_PATH", "/")
COOKIE = os.environ.get("BENCH_COOKIE", "")
COOKIE_FILE = os.environ.get("BENCH_COOKIE_FILE", "")
POOL = itertools.cycle(json.loads(Path(COOKIE_FILE).read_text(encoding="utf-8"))) if COOKIE_FILE else None
RAW_OUT = os.environ.get("BENCH_RAW_OUT", "")
QUERY_HEADER = "X-Bench-Queries"

samples: list[list] = []  # [start (epoch s), elapsed ms, status, queries or None]


class JourneyUser(FastHttpUser):
    wait_time = constant(0)  # closed loop: each user asks again as soon as it has its answer

    @task
    def journey(self):
        started = time.time()
        with self.client.get(
            PATH,
            headers={"Cookie": next(POOL) if POOL else COOKIE},
            allow_redirects=False,
            catch_response=True,
            name=PATH,
        ) as response:
            elapsed_ms = (time.time() - started) * 1000
            queries = response.headers.get(QUERY_HEADER) if response.headers else None
            samples.append([started, elapsed_ms, response.status_code, int(queries) if queries else None])
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


@events.quitting.add_listener
def _dump(environment, **kwargs):
    if RAW_OUT:
        with open(RAW_OUT, "w", encoding="utf-8") as fh:
            json.dump({"path": PATH, "samples": samples}, fh)
