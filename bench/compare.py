"""Compares two benchmark reports (JSON): query counts must match, latency and throughput side by side.

    python -m bench.compare bench/results/A.json bench/results/B.json

Exit status 1 when a journey's query count differs between the two runs (same data, same code: it must
not), 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def compare(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """Returns (table lines, query-count differences)."""
    before = {(j["name"], j["users"]): j for j in old["journeys"]}
    lines = ["| journey | users | queries | p95 ms | req/s |", "|---|---:|---|---|---|"]
    differences = []
    for j in new["journeys"]:
        key = (j["name"], j["users"])
        o = before.get(key)
        if o is None:
            lines.append(f"| {j['name']} | {j['users']} | new: {j['queries']} | {j['p95_ms']} | {j['rps']} |")
            continue
        same = o.get("queries") == j.get("queries")
        if not same:
            differences.append(f"{j['name']} ({j['users']} users): {o.get('queries')} → {j.get('queries')}")
        lines.append(
            f"| {j['name']} | {j['users']} | {o.get('queries')} → {j.get('queries')}{'' if same else ' ≠'} | "
            f"{o.get('p95_ms')} → {j.get('p95_ms')} | {o.get('rps')} → {j.get('rps')} |"
        )
    return lines, differences


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print(__doc__)
        return 2
    old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args)
    lines, differences = compare(old, new)
    print("\n".join(lines))
    if differences:
        print("\nQuery counts differ:\n- " + "\n- ".join(differences))
        return 1
    print("\nSame query count for every journey.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
