"""``scrm pii ...``: keys for personal data and their rotation."""

from __future__ import annotations

import typer

from loan_scrm.models import metadata
from scrm.core.db import get_engine
from scrm.privacy import rotation
from scrm.core.crypto import new_key as make

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Personal-data keys: new key, rotation.")


@app.command("new-key")
def new_key() -> None:
    """Print a new random key for SCRM_PII_KEY."""
    typer.echo(make())


@app.command("rotate")
def rotate(batch_size: int = typer.Option(500, min=1, max=10_000)) -> None:
    """Re-encrypt and re-hash every value still under an old key (SCRM_PII_OLD_KEYS). Safe to stop and rerun."""
    for table, count in rotation.rotate(get_engine(), metadata, batch_size=batch_size).items():
        typer.echo(f"{table}: {count} row(s) rewritten")
    left = sum(rotation.remaining(get_engine(), metadata).values())
    typer.echo("nothing is left under an old key; the old key can be removed" if left == 0
               else f"{left} row(s) are still under an old key; run it again")


@app.command("status")
def status() -> None:
    """Rows per table still encrypted under an old key."""
    for table, count in rotation.remaining(get_engine(), metadata).items():
        typer.echo(f"{table}: {count}")
