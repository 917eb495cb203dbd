"""`make bench`: the whole benchmark of issue 8, against PostgreSQL, on this machine.

1. environment: production-like settings (soce.settings.bench, DEBUG off), DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/soce_bench, created if absent), a throw-away secret key, the broker;
2. migrate, `seed_demo --scale large` if the database has no member, collectstatic;
3. one session per demo account (`manage.py bench_sessions`: password + TOTP records, as after a login);
4. gunicorn on loopback (2 sync workers for 2 cores), then for each journey: a warm-up, locust headless
   with 1 user, then with 8 users (closed loop), the workers' RSS sampled with psutil;
5. the measured steps (bench/steps.py), each in its own process;
6. bench/results/<UTC timestamp>.md/.json and latest.md/.json, and the summary table on stdout.

Knobs (environment): BENCH_SECONDS (8-user run, default 30), BENCH_SINGLE_SECONDS (1-user run, default
10), BENCH_USERS (8), BENCH_JOURNEYS (comma-separated names), BENCH_STEPS (comma-separated, "none"),
BENCH_QUICK=1 (a smoke run in under 2 minutes: 8 users for 2 s per journey, no single-user pass, small
steps; reports go to var/bench/quick/, never over bench/results/), BENCH_PORT,
BENCH_SEED_SCALE (large; "small" to try the harness on a small database).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from .report import build_report, missing, summarise, summary_table, write_reports

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
WORK_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/soce_bench"
ALL_STEPS = ["import_members", "export_members", "reminder_step", "charter_pdfs", "tax_receipts_job",
             "reminder_throughput"]  # fmt: skip
QUICK = {
    "BENCH_SECONDS": "2",
    "BENCH_SINGLE_SECONDS": "0",  # 0: no single-user pass
    "BENCH_IMPORT_ROWS": "500",
    "BENCH_RECEIPTS_SECONDS": "10",
    "BENCH_EXPORT_ROWS": "10000",
    "BENCH_REMINDER_MEMBERS": "2000",
    "BENCH_CHARTERS": "3",
    "BENCH_THROUGHPUT_EMAILS": "100",
}


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def bench_env() -> dict[str, str]:
    """The server's and the steps' environment: production settings' required variables, set here only."""
    env = dict(os.environ)
    if env.get("BENCH_QUICK") == "1":
        for key, value in QUICK.items():
            env.setdefault(key, value)
    env["DJANGO_SETTINGS_MODULE"] = "soce.settings.bench"
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("DJANGO_SECRET_KEY", "bench-" + secrets.token_urlsafe(32))  # never stored
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")  # the tests use 15
    env.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/12")
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("CONN_MAX_AGE", "600")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(env: dict, *args: str, capture: bool = False) -> str:
    cmd = [sys.executable, "manage.py", *args]
    proc = subprocess.run(cmd, cwd=BASE_DIR, env=env, capture_output=capture, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({proc.returncode}): {(proc.stderr or '')[-3000:]}")
    return proc.stdout if capture else ""


def step_json(env: dict, name: str, timeout: int = 3600) -> dict:
    proc = subprocess.run(  # noqa: S603 - our module, fixed arguments
        [sys.executable, "-m", "bench.steps", name],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"name": name, "summary": f"failed (exit {proc.returncode})", "met": False,
                "error": (proc.stderr or "")[-3000:]}  # fmt: skip


def ensure_database(env: dict) -> None:
    """Creates the bench database when it does not exist (never drops anything)."""
    from psycopg2 import sql
    from psycopg2.extensions import parse_dsn

    name = parse_dsn(env["DATABASE_URL"].replace("postgres://", "postgresql://", 1))["dbname"]
    conn = _connect(env, dbname="postgres")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def _connect(env: dict, *, dbname: str | None = None):
    import psycopg2
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(env["DATABASE_URL"].replace("postgres://", "postgresql://", 1))
    if dbname:
        params["dbname"] = dbname
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def vacuum_analyze(env: dict) -> None:
    """Right after a bulk seed the planner has no statistics (it then picks nested loops over 45,000 rows)."""
    conn = _connect(env)
    with conn.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    conn.close()


def prepare(env: dict, *, seed: bool) -> dict:
    ensure_database(env)
    log("migrate")
    manage(env, "migrate", "--noinput", capture=True)
    count = manage(env, "shell", "-c", "from members.models import Member; print(Member.objects.count())", capture=True)
    members = int(count.strip().splitlines()[-1])
    prepared: dict = {"members_before": members}
    if members == 0 and seed:
        scale = env.get("BENCH_SEED_SCALE") or "large"
        log(f"empty database: seed_demo's seeders, --scale {scale} (once; the database is kept for later runs)")
        started = time.perf_counter()
        proc = subprocess.run(  # noqa: S603 - our module, fixed arguments
            [sys.executable, "-m", "bench.seed", "--scale", scale], cwd=BASE_DIR, env=env, check=False,
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        seeded = json.loads(proc.stdout.strip().splitlines()[-1])["seeders"]
        log(f"seeded in {time.perf_counter() - started:.0f} s: {seeded}")
        prepared["seeders"] = seeded
    # Also (above all) right after seeding: without statistics the planner guesses one row everywhere.
    log("VACUUM (ANALYZE): fresh planner statistics and visibility map, as autovacuum would give a live database")
    vacuum_analyze(env)
    if _static_is_current():
        log("collectstatic: up to date")
    else:
        log("collectstatic")
        manage(env, "collectstatic", "--noinput", capture=True)
    return prepared


def _static_is_current() -> bool:
    """The collected manifest is newer than every source file (collectstatic with compression takes ~40 s)."""
    manifest = WORK_DIR / "static" / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [BASE_DIR / "static", BASE_DIR / "node_modules" / ".installed", BASE_DIR / "package-lock.json"]
    for source in sources:
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(p.stat().st_mtime > built for p in paths if p.exists()):
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on loopback, with a sampler of its workers' resident memory."""

    def __init__(self, env: dict, port: int, workers: int = 2):
        self.env, self.port, self.workers = env, port, workers
        self.proc: subprocess.Popen | None = None
        self._peak = 0
        self._overall = 0
        self._stop = threading.Event()

    def start(self) -> None:
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "soce.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        log_file = open(WORK_DIR / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=self.env, stdout=log_file, stderr=log_file)  # noqa: S603
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        else:
            raise SystemExit(f"gunicorn did not answer within 60 s (see {WORK_DIR / 'gunicorn.log'})")
        threading.Thread(target=self._sample, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _sample(self) -> None:
        import psutil

        master = psutil.Process(self.proc.pid)
        while not self._stop.is_set():
            try:
                rss = max((c.memory_info().rss for c in master.children()), default=0)
            except psutil.Error:
                rss = 0
            self._peak = max(self._peak, rss)
            self._overall = max(self._overall, rss)
            time.sleep(0.2)

    def reset_peak(self) -> None:
        self._peak = 0

    def peak_mb(self) -> float:
        return round(self._peak / 1024 / 1024, 1)

    def overall_peak_mb(self) -> float:
        return round(self._overall / 1024 / 1024, 1)

    def stop(self) -> None:
        self._stop.set()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def warm_up(url: str, cookie: str, times: int = 6) -> int | None:
    """A few requests so that both workers have loaded templates and URL patterns; returns the last status."""
    status = None
    for _ in range(times):
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        try:
            with _NO_REDIRECTS.open(request, timeout=60) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            status = None
        if status in (404, None):
            break
    return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def run_locust(
    env: dict, *, host: str, path: str, cookie: str, users: int, seconds: int, cookie_file: Path | None = None
) -> tuple[list, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", dir=WORK_DIR, delete=False) as tmp:
        raw_out = tmp.name
    locust_env = {**env, "BENCH_PATH": path, "BENCH_COOKIE": cookie, "BENCH_RAW_OUT": raw_out}
    if cookie_file is not None:
        locust_env["BENCH_COOKIE_FILE"] = str(cookie_file)
    cmd = [
        str(VENV_BIN / "locust"),
        "-f",
        str(BASE_DIR / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our venv's locust, fixed arguments
        cmd, cwd=BASE_DIR, env=locust_env, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    elapsed = time.perf_counter() - started
    try:
        samples = json.loads(Path(raw_out).read_text())["samples"]
    except (OSError, json.JSONDecodeError, KeyError):
        samples = []
    Path(raw_out).unlink(missing_ok=True)
    return samples, elapsed


def run_journeys(env: dict, journeys: list[dict], sessions: dict, server: Server) -> list[dict]:
    single_s = int(env.get("BENCH_SINGLE_SECONDS") or 10)
    load_s = int(env.get("BENCH_SECONDS") or 30)
    users = int(env.get("BENCH_USERS") or 8)
    results = []
    for journey in journeys:
        common = {k: journey[k] for k in ("kind", "role", "title", "path", "note")}
        session = sessions.get(journey["role"])
        if journey["path"] is None or session is None:
            reason = journey["note"] or f"no session for {journey['role']}"
            log(f"{journey['name']}: missing ({reason})")
            results += [missing(name=journey["name"], users=n, reason=reason, **{**common, "note": reason})
                        for n in (1, users)]  # fmt: skip
            continue
        cookie_file = None
        if journey["role"] == "pool":
            cookies = [f"{sessions['membre']['cookie']}={value}" for value in session]
            cookie_file = WORK_DIR / "pool-cookies.json"
            cookie_file.write_text(json.dumps(cookies))
            cookie = cookies[-1]  # the warm-up uses the last one
        else:
            cookie = f"{session['cookie']}={session['value']}"
        status = warm_up(server.url + journey["path"], cookie)
        if status == 404:
            log(f"{journey['name']}: {journey['path']} answers 404 — missing")
            results += [missing(name=journey["name"], users=n, reason="404", **common) for n in (1, users)]
            continue
        levels = [(1, single_s)] if single_s > 0 else []
        for n, seconds in [*levels, (users, load_s)]:
            server.reset_peak()
            samples, _elapsed = run_locust(
                env, host=server.url, path=journey["path"], cookie=cookie, users=n, seconds=seconds,
                cookie_file=cookie_file,
            )  # fmt: skip
            entry = summarise(
                name=journey["name"],
                users=n,
                samples=samples,
                duration_s=seconds,
                worker_peak_rss_mb=server.peak_mb(),
                warm_up_status=status,
                **common,
            )
            log(
                f"{journey['name']:<28} users={n} p50={entry['p50_ms']} p95={entry['p95_ms']} "
                f"rps={entry['rps']} errors={entry['errors']} queries={entry['queries']}"
            )
            results.append(entry)
    return results


def merge_reports(previous: dict, current: dict) -> dict:
    """`previous` with the journeys and steps measured by `current` replaced (a partial re-run)."""
    measured = {(j["name"], j["users"]) for j in current["journeys"]}
    steps = {s["name"] for s in current["steps"]}
    merged = {**previous, "finished_at": current["finished_at"], "data": current["data"]}
    if current["journeys"]:
        merged.update(server=current["server"], load=current["load"])
    merged["journeys"] = [j for j in previous["journeys"] if (j["name"], j["users"]) not in measured]
    merged["journeys"] += current["journeys"]
    merged["steps"] = [s for s in previous["steps"] if s["name"] not in steps] + current["steps"]
    merged["partial_updates"] = [
        *previous.get("partial_updates", []),
        {"at": current["finished_at"], "journeys": sorted({n for n, _ in measured}), "steps": sorted(steps)},
    ]
    return merged


def machine() -> dict:
    import psutil

    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql_client": pg,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-load", action="store_true", help="skip the HTTP journeys")
    parser.add_argument("--no-seed", action="store_true", help="never seed, even an empty database")
    parser.add_argument("--steps", help="comma-separated steps (default: all but seed_large, 3-5 min; 'none' for none)")
    parser.add_argument("--journeys", help="comma-separated journey names (default: all)")
    parser.add_argument("--results-dir", default=str(RESULTS_DIR), help="where to write the reports")
    parser.add_argument(
        "--update-latest",
        action="store_true",
        help="merge what this run measured into bench/results/latest.json (the rest is kept) and write a new pair",
    )
    args = parser.parse_args(argv)
    env = bench_env()
    if args.journeys:
        env["BENCH_JOURNEYS"] = args.journeys
    steps = (args.steps or env.get("BENCH_STEPS") or ",".join(ALL_STEPS)).split(",")
    steps = [s for s in steps if s and s != "none"]
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    data = prepare(env, seed=not args.no_seed)
    discovered = step_json(env, "discover")
    if "journeys" not in discovered:
        raise SystemExit(f"discovery failed: {discovered.get('error') or discovered}")
    data.update(discovered.get("data", {}))
    journeys: list[dict] = []
    server_meta: dict = {}
    if not args.no_load:
        sessions_file = WORK_DIR / "sessions.json"
        pool = env.get("BENCH_POOL") or "600"
        manage(env, "bench_sessions", "--output", str(sessions_file), "--pool", pool, capture=True)
        sessions = json.loads(sessions_file.read_text())
        server = Server(env, int(env.get("BENCH_PORT") or free_port()))
        log(f"gunicorn on {server.url} (2 sync workers)")
        server.start()
        try:
            journeys = run_journeys(env, discovered["journeys"], sessions, server)
        finally:
            server_meta = {
                "gunicorn": "2 sync workers on 127.0.0.1",
                "settings": "soce.settings.bench",
                "workers_peak_rss_mb": server.overall_peak_mb(),
            }
            server.stop()
            sessions_file.unlink(missing_ok=True)
    results = []
    for name in steps:
        log(f"step {name}")
        result = step_json(env, name)
        log(f"  {result.get('summary')}")
        results.append(result)
    report = build_report(
        journeys=journeys,
        steps=results,
        meta={
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "data": data,
            "server": server_meta,
            "load": {
                "tool": "locust (headless, FastHttpUser, no think time)",
                "single_user_seconds": int(env.get("BENCH_SINGLE_SECONDS") or 10),
                "users": int(env.get("BENCH_USERS") or 8),
                "seconds": int(env.get("BENCH_SECONDS") or 30),
                "quick": env.get("BENCH_QUICK") == "1",
            },
        },
    )
    results_dir = Path(args.results_dir).resolve()
    if env.get("BENCH_QUICK") == "1" and results_dir == RESULTS_DIR:
        results_dir = WORK_DIR / "quick"  # a smoke run never replaces the measured results
    if args.update_latest and (results_dir / "latest.json").exists():
        report = merge_reports(json.loads((results_dir / "latest.json").read_text()), report)
    dated_json, dated_md = write_reports(report, results_dir)
    print()
    print(summary_table(report))
    print()
    for step in results:
        print(f"- {step.get('name')}: {step.get('summary')}")
    log(f"written {dated_json}, {dated_md} and latest.*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
