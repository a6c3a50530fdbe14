"""``scrm tagging train`` and ``scrm tag`` (mounted by ``loan_scrm.cli``; also runnable as ``python -m scrm.tagging.cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from scrm.core.config import get_settings
from scrm.core.db import session_scope
from scrm.core.errors import AppError
from scrm.tagging import learning, pipeline
from scrm.tagging.training import report
from scrm.tagging.training import train as run

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The tagging pipeline: train, tag text.")

CHUNK = 256


@app.command("train")
def train(ship: bool = typer.Option(False, "--ship", help="Rebuild the model shipped with the program (no database, "
                                                          "no corrections) instead of a new versioned model."),
          out: Optional[Path] = typer.Option(None, help="With --ship: where to write the model (default: the shipped file)."),
          generated: int = typer.Option(3000, min=100, help="How many template examples to generate."),
          seed: int = typer.Option(20251122, help="Generator seed (the same seed gives the same data set).")) -> None:
    """Train a new versioned model on the labelled data set plus staff corrections, print its figures on the
    held-out set and on recent corrections, and activate it only if it is not worse than the model in use."""
    if ship:
        meta = run(n=generated, seed=seed, out=out)
        typer.echo(report(meta))
        typer.echo(f"\nsaved {out or 'the shipped model'} (+ .json with the data hash and metrics)")
        return
    with session_scope() as session:
        outcome = learning.train_and_activate(session, models_dir=get_settings().data_dir / "models",
                                             generated=generated, seed=seed)
        typer.echo(report(outcome.model.metrics["report"]))
        for name, m in outcome.metrics.items():
            h, c = m["heldout"], m["corrections"]
            typer.echo(f"\n{name:<8} held-out micro-F1={h['micro_f1']}  intent={h['intent_accuracy']}  "
                       f"amount exact={h['amount_exact']} (spurious {h['amount_spurious']})  "
                       f"recent corrections agreed={c['agree']} (of {c['n']})")
        typer.echo(f"\nmodel {outcome.model.version}: {outcome.reason}")
        if not outcome.activated:
            raise typer.Exit(1)


@app.command("rollback")
def rollback() -> None:
    """Retire the model in use and go back to the one active before it (or to the shipped model)."""
    with session_scope() as session:
        before = learning.active_model(session)
        try:
            now = learning.rollback_model(session)
        except AppError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"rolled back {before.version}; now using {now.version if now else 'the shipped model'}")


@app.command("models")
def models() -> None:
    """The trained models, newest first, with their held-out figures and which one is in use."""
    with session_scope(read_only=True) as session:
        for row in learning.list_models(session):
            h = row.metrics.get("new", {}).get("heldout", {})
            flag = "*" if row.active else " "
            typer.echo(f"{flag} {row.version}  held-out micro-F1={h.get('micro_f1')}  {row.note}")


def tag_command() -> None:
    """Read JSON lines {"text": "..."} on stdin, write one JSON line per input with tags, product, intent,
    amount_yuan, term_months and city (null where absent). A bad line gives an error line naming it, and
    the exit code is 1 at the end."""

    bad = 0
    pending: list[tuple[int, str | None, str | None]] = []  # (line number, text, error)

    def flush() -> None:
        texts = [t for _, t, err in pending if err is None]
        results = iter(pipeline.analyze_many(texts)) if texts else iter(())
        for number, _, err in pending:
            if err is None:
                sys.stdout.write(json.dumps(next(results).public(), ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(json.dumps({"error": err, "line": number}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        pending.clear()

    for number, raw in enumerate(sys.stdin, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError as exc:
            item, err = None, f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
        else:
            err = None
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                err = f'line {number}: expected an object with a string "text"'
        if err:
            bad += 1
            typer.echo(err, err=True)
            pending.append((number, None, err))
        else:
            pending.append((number, item["text"], None))
        if len(pending) >= CHUNK:
            flush()
    flush()
    if bad:
        typer.echo(f"{bad} bad line(s)", err=True)
        raise typer.Exit(1)


app.command("tag")(tag_command)


if __name__ == "__main__":
    app()
