"""``scrm tagging train`` and ``scrm tag`` (mounted by ``loan_scrm.cli``; also runnable as ``python -m scrm.tagging.cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from scrm.tagging import pipeline
from scrm.tagging.training import report
from scrm.tagging.training import train as run

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The tagging pipeline: train, tag text.")

CHUNK = 256


@app.command("train")
def train(out: Optional[Path] = typer.Option(None, help="Where to write the model (default: the shipped file)."),
          generated: int = typer.Option(3000, min=100, help="How many template examples to generate."),
          seed: int = typer.Option(20251122, help="Generator seed (the same seed gives the same data set).")) -> None:
    """Build the labelled data set, train, print per-tag precision/recall on the held-out split, save the model."""
    meta = run(n=generated, seed=seed, out=out)
    typer.echo(report(meta))
    typer.echo(f"\nsaved {out or 'the shipped model'} (+ .json with the data hash and metrics)")


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
