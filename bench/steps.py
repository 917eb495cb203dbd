"""The separately measured steps of issue 8. Each is a function; each runs alone in its own process:

    DJANGO_SETTINGS_MODULE=soce.settings.bench … python -m bench.steps <step> [--out file.json]

(`python -m bench.run --steps <step> --no-load` sets the environment for you.) A step returns a dict with
at least name, summary, seconds, peak_memory_mb (and how it was measured), target and met (True, False,
or None when not available). Steps that write leave the database as they found it: they run inside a
transaction that is rolled back, or delete the rows they created.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from .report import percentile

BASE_DIR = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


class Rollback(Exception):
    """Raised at the end of a measured transaction so that the database stays as it was."""


def _rss_peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def not_available(name: str, reason: str, target: str = "") -> dict:
    return {"name": name, "summary": f"not available: {reason}", "target": target, "met": None, "available": False}


# --------------------------------------------------------------------------------------------- discover


def discover() -> dict:
    """The journeys' concrete paths on this database (used by the runner)."""
    from .journeys import discover as discover_journeys

    names = [n for n in os.environ.get("BENCH_JOURNEYS", "").split(",") if n]
    return {"name": "discover", "journeys": discover_journeys(names or None), "data": data_summary()}


def data_summary() -> dict:
    from django.apps import apps
    from django.db import connection

    counts = {}
    for label in [
        "members.Member",
        "members.Cotisation",
        "members.Payment",
        "members.GroupMembership",
        "volunteers.Engagement",
        "entraide.AidCase",
        "strategy.Indicator",
        "strategy.IndicatorValue",
        "signing.SignableDocument",
    ]:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        with connection.cursor() as cursor:  # the planner's estimate: no COUNT(*) over big tables
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table])
            row = cursor.fetchone()
        counts[label] = int(row[0]) if row and row[0] and row[0] > 0 else model.objects.count()
    return counts


# --------------------------------------------------------------------------------------------- import


def import_csv(rows: int, *, seed: int = 8) -> bytes:
    """A deterministic CSV of `rows` new graduates in MemberResource's columns (e-mails that do not exist)."""
    import random

    from members.models import Campus

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    campuses = list(Campus.objects.filter(kind="campus").values_list("code", flat=True)) or ["Bo"]
    first = ["Camille", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Arthur", "Zoé", "Nathan"]
    last = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
    cities = ["Paris", "Lyon", "Bordeaux", "Lille", "Metz", "Angers", "Cluny", "Aix-en-Provence", "Toulouse"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["civility", "first_name", "last_name", "email", "phone", "city", "country", "promo",
                     "graduation_year", "categorie", "employer"])  # fmt: skip
    for i in range(rows):
        entry = rng.randint(2000, 2022)
        writer.writerow(
            [
                rng.choice(["M.", "Mme"]),
                rng.choice(first),
                f"{rng.choice(last)}-{i}",
                f"import-{seed}-{i:06d}@bench-import.example",
                f"06{rng.randint(0, 99_999_999):08d}",
                rng.choice(cities),
                "FR",
                f"{rng.choice(campuses)} {entry - 1800}",
                entry + 3,
                "gadzarts",
                rng.choice(["Safran", "Airbus", "Renault", "EDF", "Alstom", ""]),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _run_import(resource_class, data: bytes) -> dict:
    """Imports through django-import-export exactly as the admin's confirm step does, then rolls back."""
    import tablib
    from django.db import transaction

    from members.models import Member

    before = Member.objects.count()
    dataset = tablib.Dataset().load(data.decode("utf-8"), format="csv")
    started = time.perf_counter()
    outcome = {}
    try:
        with transaction.atomic():
            result = resource_class().import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
            outcome = {
                "totals": {k: v for k, v in result.totals.items() if v},
                "has_errors": result.has_errors(),
                "has_validation_errors": result.has_validation_errors(),
                "created": Member.objects.count() - before,
            }
            outcome["seconds"] = round(time.perf_counter() - started, 2)
            raise Rollback
    except Rollback:
        pass
    outcome["rolled_back"] = Member.objects.count() == before
    return outcome


def import_members() -> dict:
    """CSV import of N members (default 50,000) through MemberResource, the admin's import.

    Each path runs in its own process (peak memory = that process's ru_maxrss, Linux getrusage), inside a
    transaction rolled back at the end so that the database is unchanged.
    """
    rows = _int_env("BENCH_IMPORT_ROWS", 50_000)
    paths = [p for p in os.environ.get("BENCH_IMPORT_PATHS", "stock").split(",") if p]
    details = {"rows": rows, "memory": "peak RSS of the importing process (getrusage ru_maxrss)"}
    for path in paths:
        details[path] = _subprocess_step(f"import_members_{path}")
    fast, stock = details.get("fast", {}), details.get("stock", {})
    best = fast if fast.get("seconds") else stock
    target_ok = (
        bool(best.get("seconds"))
        and best["seconds"] < 60
        and best["peak_memory_mb"] < 500
        and best.get("created") == rows
        and not best.get("has_errors")
    )
    parts = [f"{p}: {details[p].get('seconds')} s, {details[p].get('peak_memory_mb')} MB" for p in paths]
    return {
        "name": "import_members",
        "summary": f"{rows} rows; " + "; ".join(parts),
        "seconds": best.get("seconds"),
        "peak_memory_mb": best.get("peak_memory_mb"),
        "memory_measure": "ru_maxrss of the importing process",
        "target": "< 60 s and < 500 MB",
        "met": target_ok,
        "details": details,
    }


def _import_with(resource_path: str) -> dict:
    import importlib

    module, _, name = resource_path.rpartition(".")
    resource_class = getattr(importlib.import_module(module), name)
    rows = _int_env("BENCH_IMPORT_ROWS", 50_000)
    data = import_csv(rows)
    baseline = _rss_peak_mb()
    outcome = _run_import(resource_class, data)
    return {
        "resource": resource_path,
        "rows": rows,
        **outcome,
        "baseline_rss_mb": baseline,
        "peak_memory_mb": _rss_peak_mb(),
    }


def import_members_stock() -> dict:
    return _import_with("members.resources.MemberResource")


# --------------------------------------------------------------------------------------------- export


def export_members() -> dict:
    """Streamed CSV export of all members (default 100,000): memory (tracemalloc) checked along the way."""
    from members.exports import members_csv_rows
    from members.models import Member

    limit = _int_env("BENCH_EXPORT_ROWS", 100_000)
    qs = Member.objects.all()
    if limit < qs.count():
        qs = Member.objects.filter(pk__in=Member.objects.order_by("pk").values("pk")[:limit])
    checkpoints = sorted({limit // 10, limit // 4, limit // 2, limit})
    tracemalloc.start()
    started = time.perf_counter()
    rows = size = 0
    samples = []
    for line in members_csv_rows(qs):
        size += len(line.encode("utf-8"))
        rows += 1
        if rows - 1 in checkpoints:  # the header is line 1
            current, peak = tracemalloc.get_traced_memory()
            samples.append({"rows": rows - 1, "current_mb": round(current / MB, 2), "peak_mb": round(peak / MB, 2)})
    seconds = round(time.perf_counter() - started, 2)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    first, last = samples[0]["peak_mb"], samples[-1]["peak_mb"]
    flat = last <= max(first * 1.5, first + 5)
    details = {"rows": rows - 1, "bytes": size, "checkpoints": samples, "rss_peak_mb": _rss_peak_mb()}
    if os.environ.get("BENCH_EXPORT_COMPARE", "1") == "1":
        details["import_export_resource"] = _subprocess_step("export_members_resource")
    return {
        "name": "export_members",
        "summary": f"{rows - 1} rows, {size / MB:.1f} MB of CSV; Python heap peak {first} MB at "
        f"{samples[0]['rows']} rows, {last} MB at {samples[-1]['rows']} rows",
        "seconds": seconds,
        "peak_memory_mb": round(peak / MB, 2),
        "memory_measure": "tracemalloc peak (Python allocations during the export)",
        "target": "memory flat (streamed)",
        "met": flat,
        "details": details,
    }


def export_members_resource() -> dict:
    """For comparison: MemberResource().export() (what the admin's export does) builds it all in memory."""
    from members.models import Member
    from members.resources import MemberResource

    limit = _int_env("BENCH_EXPORT_ROWS", 100_000)
    qs = Member.objects.select_related("campus", "category").order_by("pk")[:limit]
    baseline = _rss_peak_mb()
    started = time.perf_counter()
    dataset = MemberResource().export(queryset=qs)
    text = dataset.csv
    return {
        "rows": len(dataset),
        "bytes": len(text.encode("utf-8")),
        "seconds": round(time.perf_counter() - started, 2),
        "baseline_rss_mb": baseline,
        "peak_memory_mb": _rss_peak_mb(),
        "memory": "peak RSS of the exporting process (getrusage ru_maxrss)",
    }


# --------------------------------------------------------------------------------------------- reminders


def _reminder_candidates(year: int) -> list[tuple[str, str, dict]]:
    """(rule, e-mail template, params) of the dues campaign's real steps, from small audiences to large ones.

    The yearly reminder (`members.unpaid_this_year`) reaches those who paid in the last three years and not
    yet this year: about 9,000 people in the large data set. The win-back e-mail to the struck-off
    (`members.struck_off_recent`, struck off for at most N years) is the campaign's largest step.
    """
    candidates = [
        ("members.unpaid_this_year", "members/dues_reminder", {"year": y}) for y in range(year, year - 12, -1)
    ]
    candidates += [
        ("members.struck_off_recent", "members/dues_winback", {"year": year, "years": n}) for n in range(1, 31)
    ]
    return candidates


def reminder_step() -> dict:
    """Plans and queues one dues reminder step for ~20,000 members (issue 8).

    Among the dues campaign's rules and parameters (or only BENCH_REMINDER_RULE's), the step whose audience is
    closest to the target is planned; the run happens in a transaction rolled back at the end (no e-mail
    leaves, nothing stays).
    """
    from django.db import transaction
    from django.utils import timezone

    from soce.lib.models import OutgoingEmail
    from soce.lib.reminders.models import Delivery
    from soce.lib.reminders.services import step_audience_count, step_ensure, step_run

    target = _int_env("BENCH_REMINDER_MEMBERS", 20_000)
    only_rule = os.environ.get("BENCH_REMINDER_RULE")
    today = timezone.localdate()
    outcome: dict = {}
    try:
        with transaction.atomic():
            step, count = None, 0
            for index, (rule, template, params) in enumerate(_reminder_candidates(today.year)):
                if only_rule and rule != only_rule:
                    continue
                candidate = step_ensure(
                    code=f"bench-{index}",
                    name=f"Banc d'essai {rule} {params}",
                    rule=rule,
                    template=template,
                    send_on=today,
                    params=params,
                    campaign="bench",
                )
                n = step_audience_count(step=candidate, today=today)
                if step is None or abs(n - target) < abs(count - target):
                    step, count = candidate, n
                if n > target * 1.2:  # audiences grow with N: no need to look further
                    break
            rule = step.rule
            started = time.perf_counter()
            result = step_run(step=step)
            seconds = round(time.perf_counter() - started, 2)
            outcome = {
                "rule": rule,
                "params": step.params,
                "audience": count,
                "queued": result.queued,
                "skipped": result.skipped,
                "outbox_rows": OutgoingEmail.objects.filter(
                    idempotency_key__startswith=f"reminder:{step.code}:"
                ).count(),
                "deliveries": Delivery.objects.filter(step=step).count(),
                "seconds": seconds,
            }
            raise Rollback
    except Rollback:
        pass
    rate = round(outcome["queued"] / outcome["seconds"], 1) if outcome.get("seconds") else None
    return {
        "name": "reminder_step",
        "summary": f"{outcome['queued']} e-mails planned and queued ({outcome['deliveries']} deliveries, "
        f"{outcome['outbox_rows']} outbox rows), {rate}/s; "
        f"audience {outcome['audience']} ({rule}, {outcome['params']})",
        "seconds": outcome.get("seconds"),
        "peak_memory_mb": _rss_peak_mb(),
        "memory_measure": "ru_maxrss of the step's process",
        "target": "< 60 s for 20,000",
        "met": bool(outcome.get("seconds")) and outcome["seconds"] * 20_000 / max(outcome["queued"], 1) < 60,
        "details": outcome,
    }


# --------------------------------------------------------------------------------------------- charters


def charter_pdfs() -> dict:
    """Renders and seals N charter PDFs (default 100) with the signing engine's own functions."""
    try:
        from soce.lib.signing.models import DocumentStatus, SignableDocument
        from soce.lib.signing.pdf import document_pdf, evidence_build, evidence_bytes, seal_pdf
        from soce.lib.signing.pki import ensure_dev_pki
    except ImportError as exc:
        return not_available("charter_pdfs", f"soce.lib.signing has no render+seal API ({exc})", "< 1.5 s each")
    count = _int_env("BENCH_CHARTERS", 100)
    docs = list(
        SignableDocument.objects.filter(status__in=[DocumentStatus.SIGNED, DocumentStatus.SEALED])
        .filter(kind__icontains="charter")
        .order_by("pk")[:count]
    ) or list(
        SignableDocument.objects.filter(status__in=[DocumentStatus.SIGNED, DocumentStatus.SEALED]).order_by("pk")[
            :count
        ]
    )
    if not docs:
        return not_available("charter_pdfs", "no signed charter in the data", "< 1.5 s each")
    ensure_dev_pki()
    timings, sizes = [], []
    started = time.perf_counter()
    for i in range(count):
        document = docs[i % len(docs)]
        t0 = time.perf_counter()
        events = list(document.events.order_by("seq"))
        evidence = evidence_bytes(evidence_build(document, events))
        sealed, _timestamped = seal_pdf(document_pdf(document, events=events, evidence=evidence), document=document)
        timings.append(time.perf_counter() - t0)
        sizes.append(len(sealed))
    total = time.perf_counter() - started
    ordered = sorted(timings)
    p95 = percentile(ordered, 95)
    return {
        "name": "charter_pdfs",
        "summary": f"{count} PDFs from {len(docs)} documents: mean {total / count:.2f} s, p95 {p95:.2f} s, "
        f"max {ordered[-1]:.2f} s each",
        "seconds": round(total, 2),
        "peak_memory_mb": _rss_peak_mb(),
        "memory_measure": "ru_maxrss of the step's process",
        "target": "< 1.5 s each",
        "met": ordered[-1] < 1.5,
        "details": {
            "documents": len(docs),
            "pdfs": count,
            "mean_s": round(total / count, 3),
            "p95_s": round(p95, 3),
            "max_s": round(ordered[-1], 3),
            "first_s": round(timings[0], 3),
            "mean_bytes": sum(sizes) // len(sizes),
        },
    }


# --------------------------------------------------------------------------------------------- receipts


def tax_receipts_job() -> dict:
    """The year's tax receipts for all payers as the admin's background job, on two real Celery workers.

    The job (members.tasks.tax_receipts_generate_year through soce.lib.jobs.job_start, as the admin's
    "générer" page starts it) numbers the missing receipts and renders their PDFs in chunks, advancing its
    BackgroundJob row that staff watch. Rendering every payer's PDF takes long on 2 cores, so the bench
    watches it for BENCH_RECEIPTS_SECONDS (default 120), records the progress staff would see, and projects
    the total time from the measured rate; then it stops the workers and puts the rendered receipts back
    as they were (files deleted, pdf field emptied) so that the next run measures the same work.
    """
    try:
        from members.models import TaxReceipt
        from members.tasks import tax_receipts_generate_year
        from soce.lib.jobs import job_start
        from soce.lib.models import BackgroundJob, JobStatus
    except ImportError as exc:
        return not_available("tax_receipts_job", f"no job API ({exc})", "job with progress")
    from django.db import transaction
    from django.utils import timezone

    year = _int_env("BENCH_RECEIPTS_YEAR", timezone.localdate().year)
    budget = _int_env("BENCH_RECEIPTS_SECONDS", 120)
    pending = list(TaxReceipt.objects.filter(cotisation__year=year, pdf="").values_list("pk", flat=True))
    run = f"{time.time_ns()}"
    procs = _start_workers(2, run, dict(os.environ))
    samples = []
    try:
        if not procs:
            return {"name": "tax_receipts_job", "summary": "failed: workers did not start", "met": False}
        with transaction.atomic():  # the task is queued on commit, as from the admin
            job = job_start(
                kind="members.tax_receipts",
                label=f"Reçus fiscaux {year} (banc d'essai)",
                task=tax_receipts_generate_year,
                params={"year": year},
            )
        started = time.perf_counter()
        while time.perf_counter() - started < budget:
            job.refresh_from_db()
            samples.append({"s": round(time.perf_counter() - started, 1), "status": job.status, "done": job.done,
                            "total": job.total, "percent": job.percent})  # fmt: skip
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                break
            time.sleep(2)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
    finally:
        _stop_workers(procs)
    rendered = list(TaxReceipt.objects.filter(pk__in=pending).exclude(pdf=""))
    counted = len(rendered)
    for receipt in rendered:  # leave the database and the files as they were
        receipt.pdf.delete(save=False)
    TaxReceipt.objects.filter(pk__in=[r.pk for r in rendered]).update(pdf="", pdf_sha256="")
    BackgroundJob.objects.filter(pk=job.pk).delete()
    total = job.total or len(pending)
    # The job's row advances per chunk of 200; the files tell the exact number rendered.
    rate = counted / elapsed if elapsed else 0
    projected = round(total / rate) if rate else None
    finished = job.status == JobStatus.DONE
    return {
        "name": "tax_receipts_job",
        "summary": f"year {year}: {total} receipts to render; {counted} PDFs in {elapsed:.0f} s on 2 workers "
        f"({rate:.1f}/s), progress {job.percent} % visible on the job; "
        + ("finished" if finished else f"whole year projected at {projected} s ({(projected or 0) / 60:.0f} min)"),
        "seconds": round(elapsed, 1),
        "target": "runs as a background job with its progress visible",
        "met": job.status != JobStatus.FAILED and any(s["done"] for s in samples),
        "details": {
            "year": year,
            "receipts": total,
            "rendered": counted,
            "per_second": round(rate, 2),
            "projected_total_s": projected,
            "job_status": job.status,
            "job_error": job.error[:500],
            "progress_samples": samples[:: max(1, len(samples) // 20)],
        },
    }


# --------------------------------------------------------------------------------------------- workers


def reminder_throughput() -> dict:
    """E-mails sent per second by one Celery worker, then two (real workers on Redis, file e-mail backend)."""
    from soce.lib.models import EmailStatus, OutgoingEmail

    count = _int_env("BENCH_THROUGHPUT_EMAILS", 1000)
    results = {}
    for workers in (1, 2):
        results[f"{workers}_worker{'s' if workers > 1 else ''}"] = _throughput_run(count, workers)
    OutgoingEmail.objects.filter(idempotency_key__startswith="bench:throughput:").delete()
    one, two = results["1_worker"], results["2_workers"]
    gain = round(two["per_second"] / one["per_second"], 2) if one.get("per_second") else None
    return {
        "name": "reminder_throughput",
        "summary": f"1 worker: {one.get('per_second')} e-mails/s; 2 workers: {two.get('per_second')} e-mails/s "
        f"(×{gain})",
        "seconds": round(one.get("seconds", 0) + two.get("seconds", 0), 2),
        "target": "grows from 1 worker to 2",
        "met": bool(gain and gain > 1.2),
        "details": {**results, "emails_per_run": count, "statuses_left": EmailStatus.SENT},
    }


def _throughput_run(count: int, workers: int) -> dict:
    import shutil
    import tempfile

    from django.db.models import Max, Min

    from soce.lib.emails import email_store
    from soce.lib.models import EmailStatus, OutgoingEmail

    outdir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    run = f"{time.time_ns()}"
    env = {
        **os.environ,
        "BENCH_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "BENCH_EMAIL_FILE_PATH": str(outdir),
    }
    procs = _start_workers(workers, run, env)
    try:
        if not procs:
            return {"error": "workers did not start within 60 s"}
        from django.db import transaction

        with transaction.atomic():  # the sends are queued on commit, all at once
            ids = [
                email_store(
                    key=f"bench:throughput:{run}:{i}",
                    template="bench/throughput",
                    to=f"relance-{i}@bench-mail.example",
                    subject="Cotisation 2026 : votre renouvellement",
                    body_text="Bonjour,\n\nvotre cotisation est à régler.\n" * 20,
                    body_html="<p>Bonjour,</p><p>votre cotisation est à régler.</p>" * 20,
                ).pk
                for i in range(count)
            ]
        started = time.perf_counter()
        deadline = time.time() + 600
        sent = 0
        while time.time() < deadline:
            sent = OutgoingEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT).count()
            if sent >= count:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        files = sum(1 for _ in outdir.iterdir())
        # From the first e-mail sent to the last: the workers' own pace, without the queuing before it.
        span = OutgoingEmail.objects.filter(pk__in=ids).aggregate(first=Min("sent_at"), last=Max("sent_at"))
        window = (span["last"] - span["first"]).total_seconds() if span["first"] else 0
        return {
            "workers": workers,
            "emails": count,
            "sent": sent,
            "files": files,
            "seconds": round(seconds, 2),
            "send_window_s": round(window, 2),
            "per_second": round((sent - 1) / window, 1) if window else None,
        }
    finally:
        _stop_workers(procs)
        shutil.rmtree(outdir, ignore_errors=True)


def _start_workers(workers: int, run: str, env: dict) -> list:
    """Starts `workers` Celery worker processes (solo pool) on the bench broker; [] if they do not answer."""
    from soce.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    procs = [
        subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "soce",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench{i}-{run}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    deadline = time.time() + 60
    while time.time() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if sum(1 for r in replies for name in r if name.startswith("bench") and run in name) >= workers:
            return procs
    _stop_workers(procs)
    return []


def _stop_workers(procs: list) -> None:
    from soce.celery import app

    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    with app.connection_for_write() as conn:  # tasks left over (a job stopped midway) must not run later
        conn.default_channel.queue_purge("celery")


# --------------------------------------------------------------------------------------------- plumbing

# --------------------------------------------------------------------------------------------- seeding


def seed_large() -> dict:
    """`seed_demo --scale large` into a throw-away database: its time and the seeding process's peak memory.

    The database is DATABASE_URL's name + `_seed`, created, migrated, seeded by `bench.seed` (the same
    seeders, generators and batches as seed_demo) in a child process, then dropped. Opt-in
    (`--steps seed_large`): it takes about 3 to 5 minutes.
    """
    from psycopg2 import sql

    from .run import _connect  # the bench's own connection to the server's `postgres` database

    base_url = os.environ["DATABASE_URL"]
    name = base_url.rsplit("/", 1)[1].split("?")[0] + "_seed"
    url = base_url.rsplit("/", 1)[0] + "/" + name

    def admin_sql(statement) -> None:
        conn = _connect(os.environ, dbname="postgres")
        with conn.cursor() as cursor:
            cursor.execute(statement)
        conn.close()

    admin_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": url}
    root = Path(__file__).resolve().parent.parent
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"], cwd=root, env=env, check=True, capture_output=True
        )
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.seed", "--scale", "large"], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        stdout, stderr = proc.communicate()
        seconds = round(time.perf_counter() - started, 1)
        # The largest of this step's finished children: `migrate` (small) and the seeding process.
        peak_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        seeders = json.loads(stdout.strip().splitlines()[-1])["seeders"]
    finally:
        admin_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    ok = proc.returncode == 0 and all(r.get("ok") for r in seeders.values())
    per_seeder = ", ".join(f"{k} {v.get('seconds', '?')} s" for k, v in seeders.items())
    return {
        "name": "seed_large",
        "summary": f"seed_demo --scale large: {seconds} s, peak {peak_mb} MB ({per_seeder})"
        + ("" if ok else "; a seeder failed"),
        "seconds": seconds,
        "peak_memory_mb": peak_mb,
        "memory_measure": "ru_maxrss of the seeding process (RUSAGE_CHILDREN)",
        "target": "< 10 min and < 2 GB",
        "met": ok and seconds < 600 and peak_mb < 2048,
        "details": {"seeders": seeders, "database": name, **({} if ok else {"stderr": stderr[-2000:]})},
    }


STEPS = {
    "import_members": import_members,
    "export_members": export_members,
    "reminder_step": reminder_step,
    "charter_pdfs": charter_pdfs,
    "tax_receipts_job": tax_receipts_job,
    "reminder_throughput": reminder_throughput,
    "seed_large": seed_large,
}
INTERNAL = {
    "discover": discover,
    "import_members_stock": import_members_stock,
    "export_members_resource": export_members_resource,
}


def _subprocess_step(name: str) -> dict:
    """Runs one step in a fresh process (its own peak memory) and returns its JSON result."""
    proc = subprocess.run(  # noqa: S603 - this module, fixed arguments
        [sys.executable, "-m", "bench.steps", name], cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-2000:]}"}


def run_step(name: str) -> dict:
    func = STEPS.get(name) or INTERNAL[name]
    try:
        return func()
    except Exception as exc:  # a step that breaks is reported, the others still run
        import traceback

        return {
            "name": name,
            "summary": f"failed: {exc.__class__.__name__}: {exc}",
            "met": False,
            "error": traceback.format_exc()[-3000:],
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=[*STEPS, *INTERNAL])
    parser.add_argument("--out", help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soce.settings.bench")
    import django

    django.setup()
    result = run_step(args.step)
    text = json.dumps(result, ensure_ascii=False, default=str)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
