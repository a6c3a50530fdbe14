"""Keyword and pattern rules read from data (``data/rules.json``), with negation. Pure: no database."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from scrm.tagging.text import data_text


@dataclass(frozen=True)
class Rule:
    id: str
    tag: str | None  # an asset / risk tag, or None for a field rule
    field: str | None  # "product" | "intent"
    value: str | None
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    negative: tuple[str, ...]
    negatable: bool


@dataclass(frozen=True, eq=False)
class RuleSet:
    version: int
    vocabulary: dict[str, list[str]]
    intent_tags: dict[str, str]
    rules: tuple[Rule, ...]
    negators: tuple[str, ...]
    fillers: tuple[str, ...]
    clause_break: re.Pattern
    scanner: re.Pattern  # every keyword and negative phrase of every rule, longest first

    @property
    def vocabulary_order(self) -> list[str]:
        return [t for tags in self.vocabulary.values() for t in tags]

    @property
    def product_tags(self) -> list[str]:
        return self.vocabulary["贷款产品"]

    def group_of(self, tag: str) -> str | None:
        return next((g for g, tags in self.vocabulary.items() if tag in tags), None)


@dataclass
class Hit:
    rule: str
    phrase: str
    positive: bool
    end: int


@dataclass
class RuleResult:
    tags: dict[str, bool] = field(default_factory=dict)  # asserted True, or asserted not (negation)
    product: str | None = None
    negated_products: set[str] = field(default_factory=set)
    intent: str | None = None
    hits: dict[str, Hit] = field(default_factory=dict)  # tag / "product" / "intent" -> the deciding hit


def parse_rules(doc: dict) -> RuleSet:
    """Validate and compile a rules document (the shipped file, or one a manager edits later)."""
    vocabulary = doc["vocabulary"]
    known = {t for tags in vocabulary.values() for t in tags}
    rules = []
    for r in doc["rules"]:
        tag, fld = r.get("tag"), r.get("field")
        if (tag is None) == (fld is None):
            raise ValueError(f"rule {r.get('id')}: exactly one of tag and field")
        if tag is not None and tag not in known:
            raise ValueError(f"rule {r['id']}: tag {tag} is not in the vocabulary")
        if fld == "product" and r["value"] not in vocabulary["贷款产品"]:
            raise ValueError(f"rule {r['id']}: product {r['value']} is not in the vocabulary")
        if fld == "intent" and r["value"] not in ("high", "medium", "low"):
            raise ValueError(f"rule {r['id']}: intent must be high, medium or low")
        if any(len(t) > 30 for t in known):
            raise ValueError("WeCom tag names are at most 30 characters")
        rules.append(Rule(r["id"], tag, fld, r.get("value"), tuple(r.get("any", [])),
                          tuple(re.compile(p) for p in r.get("patterns", [])), tuple(r.get("negative", [])),
                          bool(r.get("negatable", True))))
    neg = doc["negation"]
    breaks = sorted(neg["clause_breaks"], key=len, reverse=True)
    phrases = sorted({p for r in rules for p in (*r.keywords, *r.negative)}, key=len, reverse=True)
    return RuleSet(int(doc["version"]), vocabulary, doc["intent_tags"], tuple(rules),
                   tuple(sorted(neg["negators"], key=len, reverse=True)), tuple(neg["fillers"]),
                   re.compile("|".join(map(re.escape, breaks))),
                   re.compile("(?=(" + _trie_pattern(phrases) + "))"))


def _trie_pattern(phrases: list[str]) -> str:
    """One regex for many phrases, shaped as a trie: Python's ``re`` tries a flat alternation of hundreds
    of phrases one by one at every position, but a trie only follows the characters present. Greedy
    optional tails keep the longest phrase at each position, as the flat longest-first alternation did."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return build(trie)


@lru_cache(maxsize=1)
def shipped_rules() -> RuleSet:
    return parse_rules(json.loads(data_text("rules.json")))


@lru_cache(maxsize=8)
def _phrase_index(rules: RuleSet) -> dict[str, list[tuple[Rule, bool]]]:
    index: dict[str, list[tuple[Rule, bool]]] = {}
    for rule in rules.rules:
        for k in rule.keywords:
            index.setdefault(k, []).append((rule, True))
        for k in rule.negative:
            index.setdefault(k, []).append((rule, False))
    return index


def _negated(rules: RuleSet, clause_prefix: str) -> bool:
    for filler in rules.fillers:
        if clause_prefix.endswith(filler):
            head = clause_prefix[: len(clause_prefix) - len(filler)]
            if head.endswith(rules.negators):
                return True
    return False


def apply_rules(text: str, rules: RuleSet | None = None) -> RuleResult:
    """Tags and fields the rules assert for one normalised text; the last statement in the text wins."""
    rules = rules or shipped_rules()
    index = _phrase_index(rules)
    breaks = [m.end() for m in rules.clause_break.finditer(text)]
    matches: list[tuple[int, int, Rule, bool, str]] = []
    for m in rules.scanner.finditer(text):
        phrase = m.group(1)
        for rule, positive in index[phrase]:
            matches.append((m.start(), m.start() + len(phrase), rule, positive, phrase))
    for rule in rules.rules:
        for pattern in rule.patterns:
            for m in pattern.finditer(text):
                matches.append((m.start(), m.end(), rule, True, m.group()))
    # a phrase inside a longer phrase of the same rule (逾期 in 没有逾期 … ) counts once, as the longer one
    matches.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    covered: dict[str, int] = {}
    field_spans: dict[str, list[tuple[int, int]]] = {}
    result = RuleResult()
    for start, end, rule, positive, phrase in matches:
        if covered.get(rule.id, -1) >= end:
            continue
        covered[rule.id] = max(covered.get(rule.id, -1), end)
        if rule.field is not None:
            # 急用 overlapping 不着急用: a phrase overlapping an earlier one about the same field is part of it
            spans = field_spans.setdefault(rule.field, [])
            if any(start < e and s < end for s, e in spans):
                continue
            spans.append((start, end))
        i = bisect_right(breaks, start)
        clause_start = breaks[i - 1] if i else 0
        if positive and rule.negatable and _negated(rules, text[clause_start:start]):
            positive = False
        hit = Hit(rule.id, phrase, positive, end)
        if rule.tag is not None:
            key = rule.tag
        elif rule.field == "product":
            key = f"product:{rule.value}"
        else:
            key = "intent" if positive else None
        if key is None:
            continue
        previous = result.hits.get(key)
        if previous is None or previous.end < end or (previous.end == end and not hit.positive):
            result.hits[key] = hit
    for key, hit in result.hits.items():
        if key.startswith("product:"):
            continue
        if key != "intent":
            result.tags[key] = hit.positive
    products = sorted(((h.end, k[8:], h) for k, h in result.hits.items() if k.startswith("product:")))
    for _, product, hit in products:
        if hit.positive:
            result.product = product
        else:
            result.negated_products.add(product)
    if result.product is not None:
        result.hits["product"] = next(h for _, p, h in products if p == result.product)
    if "intent" in result.hits:
        rule = next(r for r in rules.rules if r.id == result.hits["intent"].rule)
        result.intent = rule.value
    result.negated_products.discard(result.product or "")
    return result
