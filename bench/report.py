"""Turns raw samples into the issue 8 report: one JSON and one Markdown file per run, plus latest.*.

The JSON holds a list `journeys` (one entry per journey and load level) with at least name, users,
p50_ms, p95_ms, p99_ms, rps, errors and queries, so that two runs can be compared by a script, and a
list `steps` (the separately measured steps: import, export, reminders, PDFs, receipts, workers).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from .journeys import MAX_QUERIES, MAX_SINGLE_P95_MS, MIN_RPS

SCHEMA = 1


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation): the value below which `pct` % of the samples fall."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(*, name: str, users: int, samples: list[list], duration_s: float, **extra) -> dict:
    """One journey at one load level from raw samples [start, elapsed_ms, status, queries]."""
    times = [s[1] for s in samples]
    errors = Counter(str(s[2]) for s in samples if s[2] != 200)
    queries = [s[3] for s in samples if s[3] is not None]
    # From the first request's start to the last one's end: the time the server was actually asked.
    window = max(s[0] + s[1] / 1000 for s in samples) - min(s[0] for s in samples) if samples else duration_s
    common = Counter(queries).most_common(1)
    return {
        "name": name,
        "users": users,
        "requests": len(samples),
        "duration_s": round(window, 2),
        "p50_ms": _round(percentile(times, 50)),
        "p95_ms": _round(percentile(times, 95)),
        "p99_ms": _round(percentile(times, 99)),
        "max_ms": _round(max(times) if times else None),
        "rps": round(len(samples) / window, 2) if window else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        # The most frequent count (steady state); min and max show whether it varies within the run.
        "queries": common[0][0] if common else None,
        "queries_min": min(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
        **extra,
    }


def missing(*, name: str, users: int, reason: str, **extra) -> dict:
    """A journey whose page does not exist (yet): reported, counted as an error, never measured."""
    return {
        "name": name,
        "users": users,
        "requests": 0,
        "duration_s": 0.0,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "max_ms": None,
        "rps": 0.0,
        "errors": 1,
        "error_kinds": {"missing": 1},
        "queries": None,
        "queries_min": None,
        "queries_max": None,
        "status": "missing",
        "note": reason,
        **extra,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def evaluate(entry: dict, *, single_users: int = 1) -> list[dict]:
    """The issue's targets that apply to this entry, each with the measured value and whether it is met."""
    kind = entry.get("kind")
    if entry.get("status") == "missing":
        return [{"target": "page exists", "value": None, "met": False}]
    checks = []
    if entry["users"] == single_users and kind in MAX_SINGLE_P95_MS:
        limit = MAX_SINGLE_P95_MS[kind]
        checks.append({"target": f"p95 < {limit:g} ms", "value": entry["p95_ms"], "met": entry["p95_ms"] < limit})
    if entry["users"] > single_users and kind in MIN_RPS:
        limit = MIN_RPS[kind]
        checks.append({"target": f"≥ {limit:g} req/s", "value": entry["rps"], "met": entry["rps"] >= limit})
    checks.append({"target": "no errors", "value": entry["errors"], "met": entry["errors"] == 0})
    q = entry.get("queries_max")
    checks.append({"target": f"≤ {MAX_QUERIES} queries", "value": q, "met": q is not None and q <= MAX_QUERIES})
    return checks


def build_report(*, journeys: list[dict], steps: list[dict], meta: dict) -> dict:
    for entry in journeys:
        entry["targets"] = evaluate(entry)
        entry["met"] = all(t["met"] for t in entry["targets"])
    return {"schema": SCHEMA, **meta, "journeys": journeys, "steps": steps}


def _cell(value, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def summary_table(report: dict) -> str:
    lines = [
        "| journey | users | p50 ms | p95 ms | p99 ms | req/s | errors | queries | RSS MB | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for j in report["journeys"]:
        queries = _cell(j.get("queries"))
        if j.get("queries_max") is not None and j.get("queries_max") != j.get("queries_min"):
            queries += f" ({j['queries_min']}–{j['queries_max']})"
        missed = [t["target"] for t in j.get("targets", []) if not t["met"]]
        verdict = "missing" if j.get("status") == "missing" else ("ok" if not missed else "MISS: " + ", ".join(missed))
        lines.append(
            f"| {j['name']} | {j['users']} | {_cell(j['p50_ms'])} | {_cell(j['p95_ms'])} | {_cell(j['p99_ms'])} | "
            f"{_cell(j['rps'])} | {j['errors']} | {queries} | {_cell(j.get('worker_peak_rss_mb'))} | {verdict} |"
        )
    return "\n".join(lines)


def steps_table(report: dict) -> str:
    lines = ["| step | result | time s | peak memory MB | target | met |", "|---|---|---:|---:|---|---|"]
    for s in report["steps"]:
        met = {True: "yes", False: "NO", None: "—"}[s.get("met")]
        lines.append(
            f"| {s['name']} | {s.get('summary', '')} | {_cell(s.get('seconds'))} | "
            f"{_cell(s.get('peak_memory_mb'))} | {s.get('target', '')} | {met} |"
        )
    return "\n".join(lines)


def render_markdown(report: dict) -> str:
    meta = [
        f"- started: {report.get('started_at', '?')}, finished: {report.get('finished_at', '?')}",
        f"- machine: {report.get('machine', {})}",
        f"- data: {report.get('data', {})}",
        f"- server: {report.get('server', {})}",
        f"- load: {report.get('load', {})}",
        *[
            f"- partial re-run at {u['at']}: journeys {', '.join(u['journeys']) or '—'}; "
            f"steps {', '.join(u['steps']) or '—'}"
            for u in report.get("partial_updates", [])
        ],
    ]
    parts = [
        "# Benchmark results",
        "",
        *meta,
        "",
        "## Journeys",
        "",
        summary_table(report),
        "",
        "Latency in ms measured by the load tool (locust, closed loop, no think time); queries = SQL queries of",
        "one request (most frequent value, range when it varied), counted by bench.middleware.QueryCountMiddleware;",
        "RSS = the largest gunicorn worker's peak resident memory during that journey (psutil).",
        "",
    ]
    notes = [f"- {j['name']}: {j['path'] or '—'} {('— ' + j['note']) if j.get('note') else ''}" for j in _once(report)]
    parts += ["Paths:", "", *notes, "", "## Measured steps", "", steps_table(report), ""]
    for s in report["steps"]:
        if s.get("details"):
            parts += [f"### {s['name']}", "", "```", json.dumps(s["details"], indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(parts)


def _once(report: dict):
    seen = set()
    for j in report["journeys"]:
        if j["name"] not in seen:
            seen.add(j["name"])
            yield {"name": j["name"], "path": j.get("path"), "note": j.get("note", "")}


def write_reports(report: dict, results_dir: Path, *, now: datetime | None = None) -> tuple[Path, Path]:
    """Writes <UTC timestamp>.json/.md and latest.json/.md; returns the dated pair."""
    now = now or datetime.now(UTC)
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    text_json = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    text_md = render_markdown(report)
    paths = (results_dir / f"{stamp}.json", results_dir / f"{stamp}.md")
    for path, text in ((paths[0], text_json), (paths[1], text_md)):
        path.write_text(text, encoding="utf-8")
    (results_dir / "latest.json").write_text(text_json, encoding="utf-8")
    (results_dir / "latest.md").write_text(text_md, encoding="utf-8")
    return paths
