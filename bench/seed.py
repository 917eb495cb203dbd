"""Seeds the bench database like `manage.py seed_demo --scale large`, one seeder at a time.

Same seeders, same order, same generator per seeder as seed_demo (so the same data), but a seeder that
fails is reported and the next ones still run, and `--only` completes a database seeded before an app's
seeder existed (seeders are idempotent):

    python -m bench.seed [--only volunteers,entraide] [--scale large]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated seeder names (default: all)")
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--seed", type=int, default=2030)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soce.settings.bench")
    import django

    django.setup()
    from django.core.management.base import OutputWrapper

    from soce.lib import demo

    stdout = OutputWrapper(sys.stdout)  # seed_demo's seeders write lines without their newline

    options = {"scale": args.scale, "members": 100_000 if args.scale == "large" else 2000, "seed": args.seed}
    only = {n for n in (args.only or "").split(",") if n}
    report = {}
    for seeder in demo.seeders():
        if only and seeder.name not in only:
            continue
        rng = random.Random(f"{args.seed}:{seeder.name}")  # noqa: S311 - seed_demo's own scheme
        started = time.perf_counter()
        try:
            seeder.run(rng=rng, stdout=stdout, options=options)
            report[seeder.name] = {"ok": True, "seconds": round(time.perf_counter() - started, 1)}
        except Exception as exc:  # one broken seeder must not stop the others
            traceback.print_exc()
            report[seeder.name] = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:500]}
    print("\n" + json.dumps({"seeders": report}))
    return 0 if all(r["ok"] for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
