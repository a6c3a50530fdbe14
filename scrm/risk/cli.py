"""``scrm risk ...``: evaluate the risk rules now (mounted by ``loan_scrm.cli``)."""

from __future__ import annotations

import typer

from scrm.risk.tasks import evaluate_all

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Risk control: evaluate the rules.")


@app.command("evaluate")
def evaluate() -> None:
    """Evaluate every active rule for every customer with risk facts; prints the firings."""
    result = evaluate_all()
    typer.echo(f"{result['fired']} firings, {result['ended']} matches ended")
