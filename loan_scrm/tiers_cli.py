"""``scrm tiers``: re-tier now, create today's SOP tasks, flush the bot's outbox (mounted by ``loan_scrm.cli``)."""

from __future__ import annotations

import typer

from scrm.bot.tasks import flush
from scrm.groups.tasks import retier_all
from scrm.sop.tasks import generate

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tiers, follow-up tasks and the bot.")


@app.command("retier")
def retier() -> None:
    """Re-tier every customer with the current rules; prints how many changed tier."""
    typer.echo(f"{retier_all()} customers changed tier")


@app.command("sop")
def sop() -> None:
    """Create the follow-up tasks the schedules call for now (the scheduler does this every 5 minutes)."""
    typer.echo(", ".join(f"{kind} {n}" for kind, n in generate().items()))


@app.command("notify")
def notify() -> None:
    """Send every waiting bot notification now, one digest per person."""
    typer.echo(f"{flush()} messages sent")
