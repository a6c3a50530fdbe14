"""What the reasoning tests read of a text: the pipeline's tags, and the rules' asserted and denied tags alone."""

from __future__ import annotations

from scrm.tagging import pipeline
from scrm.tagging.rules import apply_rules
from scrm.tagging.text import normalize


def tags(text: str) -> set[str]:
    return set(pipeline.analyze(text).tags)


def asserted(text: str) -> dict[str, bool]:
    return apply_rules(normalize(text)).tags
