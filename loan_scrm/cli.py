"""The ``scrm`` command."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Optional

import typer
import uvicorn

from backoffice.direct_debit.cli import app as debits_app
from loan_scrm import demo as demo_module
from loan_scrm import doctor as doctor_module
from loan_scrm import scheduler as periodic
from loan_scrm import wiring
from loan_scrm.pii_cli import app as pii_app
from loan_scrm.screenshots_cli import screenshots_command
from loan_scrm.tiers_cli import app as tiers_app
from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.logging import configure_logging
from scrm.ingress import tasks as ingress_tasks
from scrm.ingress.models import ImportKind
from scrm.migrations import upgrade
from scrm.ops.backup import BackupError
from scrm.ops.backup import backup as run_backup
from scrm.ops.backup import restore as run_restore
from scrm.org.cli import app as user_app
from scrm.risk.cli import app as risk_app
from scrm.sandbox.cli import app as sandbox_app
from scrm.tagging.cli import app as tagging_app
from scrm.tagging.cli import tag_command

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Loan-broker SCRM and WeCom bot service.")
jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs.")
app.add_typer(jobs_app, name="jobs")
wecom_app = typer.Typer(no_args_is_help=True, help="WeCom: import and reconcile the customer list.")
app.add_typer(wecom_app, name="wecom")
app.add_typer(user_app, name="user", help="Staff accounts.")
app.add_typer(pii_app, name="pii", help="Personal-data keys and their rotation.")
app.add_typer(tagging_app, name="tagging", help="Tagging pipeline: train and evaluate the model.")
app.command("tag", help="Tag JSON lines {\"text\": ...} from stdin; one JSON line out per input.")(tag_command)
app.add_typer(sandbox_app, name="sandbox", help="Sandboxes of WeCom and WeChat Pay on loopback.")
app.add_typer(tiers_app, name="tiers", help="Tiers, follow-up tasks and the bot: re-tier, create tasks, notify.")
app.command("screenshots", help="Save PNGs of the console's main pages (demo data, chromium).")(screenshots_command)
app.add_typer(debits_app, name="debits", help="Direct debit: reconciliation and polling.")
app.add_typer(risk_app, name="risk", help="Risk control: evaluate the risk rules.")


def _boot() -> None:
    configure_logging()
    wiring.install()


def _check_settings() -> None:
    """Stop a service process at once, with what to do, when its settings cannot work."""
    problem = get_settings().startup_problem()
    if problem:
        typer.echo(f"Error: {problem}", err=True)
        raise typer.Exit(2)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _boot()
    settings = get_settings()
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    typer.echo("schema is up to date")


@app.command()
def doctor() -> None:
    """Check that the settings work: database, Redis and workers, WeCom, the callback URL, the mini-program,
    WeChat Pay, the personal-data key and disk space. One line per check; exit code 1 when any fails."""
    _boot()
    results = doctor_module.run()
    marks = {doctor_module.OK: "OK  ", doctor_module.WARN: "WARN", doctor_module.FAIL: "FAIL"}
    for result in results:
        typer.echo(f"{marks[result.status]} {result.title} [{result.name}]: {result.message}")
        if result.fix and not result.ok:
            typer.echo(f"     → {result.fix}")
    failures = sum(r.status == doctor_module.FAIL for r in results)
    warnings = sum(r.status == doctor_module.WARN for r in results)
    typer.echo(f"{len(results)} checks: {failures} failed, {warnings} warnings")
    if failures:
        raise typer.Exit(1)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the HTTP service (API, WeCom callback, console)."""
    _boot()
    _check_settings()
    settings = get_settings()
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.effective_database_url)
    if settings.embedded and workers == 1:
        # one process on the embedded default: the periodic work runs beside the server
        threading.Thread(target=periodic.run, daemon=True, name="scheduler").start()
    uvicorn.run("loan_scrm.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@app.command()
def scheduler() -> None:
    """Queue periodic work (stale inbox events, undelivered domain events, SOP tasks). Safe to run twice."""
    _boot()
    _check_settings()
    periodic.run()


@app.command()
def worker(burst: bool = typer.Option(False, help="Exit when the queues are empty.")) -> None:
    """Run an RQ worker on the urgent, default and low queues."""
    _boot()
    _check_settings()
    wiring.preload_job_modules()
    jobs.run_worker(burst=burst)


@app.command()
def demo(serve: bool = typer.Option(True, help="Keep serving after the summary."),
         port: int = 8000, customers: int = typer.Option(300, min=10, max=5000)) -> None:
    """Replay a loan broker's day on the embedded default (SQLite, inline jobs, sandbox WeCom)."""
    wiring.install()
    demo_module.run(serve=serve, port=port, customers=customers)


@app.command()
def backup(out: Path = typer.Argument(..., help="The archive to write (.tar.gz).")) -> None:
    """Back up the database (pg_dump, or the SQLite file) and the model files into one archive."""
    _boot()
    try:
        manifest = run_backup(get_settings().effective_database_url, out)
    except BackupError as exc:
        raise typer.BadParameter(str(exc)) from exc
    total = sum(manifest["tables"].values())
    typer.echo(f"wrote {out}: {len(manifest['tables'])} tables, {total} rows, {len(manifest['models'])} model files")


@app.command()
def restore(archive: Path = typer.Argument(..., exists=True, dir_okay=False, help="An archive from scrm backup."),
            models_dir: Optional[Path] = typer.Option(None, help="Where to put the model files (default: not restored).")) -> None:
    """Restore an archive into the empty database of SCRM_DATABASE_URL and check every table's row count."""
    _boot()
    try:
        manifest = run_restore(archive, get_settings().effective_database_url, models_dir=models_dir)
    except BackupError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored {archive} (taken {manifest['created_at']}): every table's row count matches the backup")


@jobs_app.command("failed")
def jobs_failed() -> None:
    """List failed jobs with the reason."""
    _boot()
    rows = jobs.failed_jobs()
    for row in rows:
        typer.echo(f"{row['id']}\t{row['queue']}\t{row['func']}\t{row['reason']}")
    typer.echo(f"{len(rows)} failed job(s)")


@jobs_app.command("retry-failed")
def jobs_retry_failed() -> None:
    """Re-queue every failed job."""
    _boot()
    typer.echo(f"re-queued {jobs.retry_failed()} job(s)")


@wecom_app.command("import")
def wecom_import(reconcile: bool = typer.Option(False, help="Also end the relationships WeCom no longer lists "
                                                             "(what the nightly run does).")) -> None:
    """Import the customers the company already has on WeCom: members, corp tags, every member's customers,
    customer groups. Ctrl-C stops after the page under way; run it again to carry on. A second run changes
    only what changed in WeCom."""
    _boot()
    _check_settings()
    stop = threading.Event()

    def on_page(figures: dict) -> None:
        if figures["pages"] % 20 == 0:
            typer.echo(f"{figures['percent']:3d}%  members {figures['followers_done']}/{figures['followers']}  "
                       f"read {figures['rows_read']}  added {figures['customers_added']}  "
                       f"updated {figures['customers_updated']}")

    previous = signal.signal(signal.SIGINT, lambda *_: (stop.set(), typer.echo("stopping after this page…")))
    try:
        figures = ingress_tasks.run_import(ImportKind.reconcile if reconcile else ImportKind.import_,
                                           should_stop=stop.is_set, on_page=on_page)
    finally:
        signal.signal(signal.SIGINT, previous)
    typer.echo(f"run {figures['run_id']} {figures['status']}: {figures['rows_read']} customer relationships read "
               f"from {figures['followers_done']}/{figures['followers']} members; {figures['customers_added']} "
               f"customers added, {figures['customers_updated']} updated, {figures['follows_ended']} relationships "
               f"ended, {figures['owners_changed']} owners changed, {figures['groups']} customer groups")
    if figures["status"] != "done":
        typer.echo("run `scrm wecom import` again to carry on from where it stopped")
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
