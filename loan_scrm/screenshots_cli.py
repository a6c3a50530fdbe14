"""``scrm screenshots``."""

from __future__ import annotations

from pathlib import Path

import typer

from loan_scrm import screenshots


def screenshots_command(out: Path = typer.Option(Path("docs/screenshots"), help="Where the PNGs go."),
                        customers: int = typer.Option(150, min=10, max=2000, help="Demo customers to seed.")) -> None:
    """Seed the demo on the embedded default, serve it and save PNGs of the console's main pages."""
    for path in screenshots.run(out, customers=customers):
        typer.echo(path)
