"""What the reasoning tests read of a text: the pipeline's tags, the rules' asserted and denied tags alone, and the
amount and term the figure reader finds."""

from __future__ import annotations

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules
from scrm.tagging.text import extract_amount, extract_term, normalize


def tags(text: str) -> set[str]:
    return set(pipeline.analyze(text).tags)


def asserted(text: str) -> dict[str, bool]:
    return apply_rules(normalize(text)).tags


def amount(text: str) -> int | None:
    return extract_amount(normalize(text))


def term(text: str) -> int | None:
    return extract_term(normalize(text))
