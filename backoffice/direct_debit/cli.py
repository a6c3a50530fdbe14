"""``scrm debits ...``: reconcile a day's bill, poll waiting debits."""

from __future__ import annotations

from datetime import date

import typer

from backoffice.direct_debit import service, tasks
from scrm.core.db import session_scope

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Direct debit: reconciliation and polling.")


@app.command()
def reconcile(
    provider: str = typer.Option("papay", help="papay or bank"),
    day: str = typer.Option("", "--date", help="The bill date (YYYY-MM-DD, Beijing); yesterday when left out."),
) -> None:
    """Reconcile one day's provider bill: matched debits become reconciled, mismatches are printed and alerted."""
    bill_date = date.fromisoformat(day) if day else service.yesterday()
    with session_scope() as session:
        rec = service.reconcile(session, provider, bill_date)
        matched, mismatches = rec.matched, list(rec.mismatches)
    typer.echo(f"{provider} {bill_date}: {matched} matched, {len(mismatches)} mismatch(es)")
    for m in mismatches:
        typer.echo("  " + ", ".join(f"{k}={v}" for k, v in m.items()))
    if mismatches:
        raise typer.Exit(1)


@app.command()
def poll() -> None:
    """Submit debits that are due and ask the provider about waiting ones (what the scheduler does every minute)."""
    counts = tasks.poll()
    typer.echo(f"queued {counts['submit']} submit(s) and {counts['query']} query(ies)")
