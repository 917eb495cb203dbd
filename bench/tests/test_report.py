"""The report writer: the JSON shape that scripts compare, percentiles, targets, the Markdown table."""

import json
from datetime import UTC, datetime

from bench.report import build_report, evaluate, missing, percentile, summarise, write_reports
from bench.run import bench_env

REQUIRED = {"name", "users", "p50_ms", "p95_ms", "p99_ms", "rps", "errors", "queries"}


def _samples(n=100, *, status=200, queries=7):
    # [start epoch s, elapsed ms, status, queries]: one request every 10 ms taking 1..n ms
    return [[1000 + i * 0.01, float(i + 1), status, queries] for i in range(n)]


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([], 50) is None


def test_summarise_counts_errors_queries_and_rate():
    samples = _samples(100)
    samples[3][2] = 500
    samples[4][2] = 404
    samples[5][3] = 9
    entry = summarise(name="admin_members", users=8, samples=samples, duration_s=1, kind="list")
    assert entry.keys() >= REQUIRED
    assert (entry["p50_ms"], entry["p95_ms"], entry["p99_ms"]) == (50.0, 95.0, 99.0)
    assert entry["errors"] == 2
    assert entry["error_kinds"] == {"500": 1, "404": 1}
    assert (entry["queries"], entry["queries_min"], entry["queries_max"]) == (7, 7, 9)
    # 100 requests from t=1000.00 to the end of the last one (1000.99 + 0.1 s)
    assert entry["rps"] == round(100 / 1.09, 2)


def test_targets_per_kind_and_load():
    single = summarise(name="dashboard", users=1, samples=_samples(100), duration_s=1, kind="dashboard")
    assert [t["met"] for t in evaluate(single)] == [True, True, True]  # p95 95 ms < 250 ms
    detail = summarise(name="member_home", users=8, samples=_samples(100, queries=16), duration_s=1, kind="detail")
    checks = {t["target"]: t["met"] for t in evaluate(detail)}
    assert checks == {"≥ 100 req/s": False, "no errors": True, "≤ 15 queries": False}
    gone = missing(name="charter", users=8, reason="404", kind="detail")
    assert evaluate(gone) == [{"target": "page exists", "value": None, "met": False}]


def test_write_reports_json_shape_and_latest(tmp_path):
    journeys = [
        summarise(name="member_home", users=1, samples=_samples(), duration_s=1, kind="detail", path="/"),
        summarise(name="member_home", users=8, samples=_samples(), duration_s=1, kind="detail", path="/"),
        missing(name="charter", users=1, reason="404", kind="detail", path="/benevolat/charte/"),
    ]
    steps = [{"name": "export_members", "summary": "10 rows", "seconds": 0.1, "peak_memory_mb": 1.0, "met": True}]
    report = build_report(journeys=journeys, steps=steps, meta={"started_at": "x"})
    dated_json, dated_md = write_reports(report, tmp_path, now=datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC))
    assert dated_json.name == "20260301T120005Z.json"
    assert dated_md.name == "20260301T120005Z.md"
    data = json.loads((tmp_path / "latest.json").read_text())
    assert data == json.loads(dated_json.read_text())
    assert isinstance(data["journeys"], list)
    assert [(j["name"], j["users"]) for j in data["journeys"]] == [
        ("member_home", 1),
        ("member_home", 8),
        ("charter", 1),
    ]
    for entry in data["journeys"]:
        assert entry.keys() >= REQUIRED
        assert isinstance(entry["targets"], list)
    assert data["journeys"][2]["errors"] == 1
    assert data["steps"][0]["name"] == "export_members"
    markdown = (tmp_path / "latest.md").read_text()
    assert "| member_home | 8 |" in markdown
    assert "| charter | 1 | — |" in markdown


def test_bench_env_sets_production_variables(monkeypatch):
    for name in ("DATABASE_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "BENCH_QUICK"):
        monkeypatch.delenv(name, raising=False)
    env = bench_env()
    assert env["DJANGO_SETTINGS_MODULE"] == "soce.settings.bench"
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/soce_bench"
    assert env["DJANGO_SECRET_KEY"].startswith("bench-")
    assert env["CELERY_BROKER_URL"] and env["ALLOWED_HOSTS"]
    monkeypatch.setenv("BENCH_QUICK", "1")
    assert bench_env()["BENCH_SECONDS"] == "2"


def test_compare_flags_a_changed_query_count():
    from bench.compare import compare

    old = {"journeys": [summarise(name="dues", users=8, samples=_samples(queries=9), duration_s=1)]}
    same = {"journeys": [summarise(name="dues", users=8, samples=_samples(queries=9), duration_s=1)]}
    changed = {"journeys": [summarise(name="dues", users=8, samples=_samples(queries=10), duration_s=1)]}
    assert compare(old, same)[1] == []
    assert compare(old, changed)[1] == ["dues (8 users): 9 → 10"]
