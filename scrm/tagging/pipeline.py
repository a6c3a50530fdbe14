"""One text in, tags and fields out: normalise, segment, rules, model, extraction. Pure: no database.

Precedence: a rule that fires decides (a tag asserted or negated, a product, an intent); the model
fills product and intent where no rule fired, and never picks a product the text negated. Amount,
term and city come from the extractors only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from scrm.tagging import counts as counts_mod
from scrm.tagging import model as tagger
from scrm.tagging import rules as rules_mod
from scrm.tagging import text as textmod

INTENTS = ("high", "medium", "low")
# below this the model's product guess is not a statement; below INTENT_CONFIDENT its intent is not evidence
PRODUCT_MIN_P = 0.45
INTENT_CONFIDENT = 0.6


@dataclass
class Analysis:
    text: str
    tags: list[str]
    product: str | None
    intent: str
    amount_yuan: int | None
    term_months: int | None
    city: str | None
    asserted: dict[str, bool] = field(default_factory=dict)  # tag -> True / False (negated), rules only
    product_by: str | None = None  # rule | model
    intent_by: str = "default"  # rule | model | default
    intent_p: float = 0.0
    phrases: dict[str, str] = field(default_factory=dict)  # tag / product / intent -> the phrase that fired
    implied: dict[str, str] = field(default_factory=dict)  # tag -> the product it follows from (房抵贷 ⇒ 有房产)
    counts: dict[str, dict] = field(default_factory=dict)  # risk counts stated (scrm.tagging.counts)

    def public(self) -> dict:
        """The answer of ``scrm tag`` and the preview API."""
        return {"text": self.text, "tags": self.tags, "product": self.product, "intent": self.intent,
                "amount_yuan": self.amount_yuan, "term_months": self.term_months, "city": self.city}

    def to_evidence(self) -> dict:
        d = asdict(self)
        d.pop("text")
        return d


def analyze_many(texts: list[str], *, model_path: Path | None = None,
                 ruleset: rules_mod.RuleSet | None = None) -> list[Analysis]:
    """Analyse a batch. The model runs once over the texts whose product or intent no rule decided
    (segmentation feeds only the model, so decided texts skip both): rules win where they fire anyway."""
    ruleset = ruleset or rules_mod.shipped_rules()
    normalized = [textmod.normalize(t) for t in texts]
    decided = [rules_mod.apply_rules(n, ruleset) for n in normalized]
    undecided = [i for i, r in enumerate(decided) if r.product is None or r.intent is None]
    predictions: list[dict | None] = [None] * len(texts)
    if undecided:
        norm = [normalized[i] for i in undecided]
        fitted = tagger.load(model_path)
        tokens = [textmod.segment(n) for n in norm] if getattr(fitted, "uses_tokens", True) else None
        for i, p in zip(undecided, fitted.predict(norm, tokens)):
            predictions[i] = p
    return [_combine(t, n, r, p, ruleset) for t, n, r, p in zip(texts, normalized, decided, predictions)]


def analyze(text: str, **kwargs) -> Analysis:
    return analyze_many([text], **kwargs)[0]


@lru_cache(maxsize=8)
def _tag_order(ruleset: rules_mod.RuleSet) -> dict[str, int]:
    return {t: i for i, t in enumerate(ruleset.vocabulary_order)}


def _combine(original: str, norm: str, r: rules_mod.RuleResult, pred: dict | None,
             ruleset: rules_mod.RuleSet) -> Analysis:
    phrases = {k: h.phrase for k, h in r.hits.items() if not k.startswith("product:")}
    product, product_by = r.product, "rule" if r.product else None
    if product is None:
        # never a product the text declines, nor one whose implied asset it denies (公积金停了: no 公积金贷)
        denied = {imp.product for imp in (ruleset.reasoning.implications if ruleset.reasoning else ())
                  if r.tags.get(imp.tag) is False}
        probs = {k: v for k, v in pred["product"].items()
                 if k not in r.negated_products and k not in denied and k not in r.asked_about}
        label, p = tagger.argmax(probs)
        if label != tagger.NO_PRODUCT and p >= PRODUCT_MIN_P:
            product, product_by = label, "model"
    if r.intent is not None:
        intent, intent_by, intent_p = r.intent, "rule", 1.0
    else:
        intent, intent_p = tagger.argmax(pred["intent"])
        intent_by = "model" if intent_p >= INTENT_CONFIDENT else "default"
        if intent_by == "default":
            intent = "medium"
    asserted = dict(r.tags)
    implied = {tag: source for tag, source in implications(ruleset, asserted, product, r.negated_products).items()
               if tag not in r.elsewhere}
    for tag, source in implied.items():
        asserted[tag] = True
        phrases[tag] = phrases.get("product") or source
    tags = [t for t, on in asserted.items() if on]
    if product:
        tags.append(product)
    tags.append(ruleset.intent_tags[intent])
    order = _tag_order(ruleset)
    tags.sort(key=lambda t: order.get(t, 999))
    return Analysis(text=original, tags=tags, product=product, intent=intent,
                    amount_yuan=textmod.extract_amount(norm), term_months=textmod.extract_term(norm),
                    city=textmod.extract_city(norm), asserted=asserted, product_by=product_by,
                    intent_by=intent_by, intent_p=round(float(intent_p), 3), phrases=phrases, implied=implied,
                    counts=counts_mod.extract(norm))


def implications(ruleset: rules_mod.RuleSet, asserted: dict[str, bool], product: str | None,
                 declined: set[str]) -> dict[str, str]:
    """Tags implied by the product (房抵贷 ⇒ 有房产), unless the text states the tag either way."""
    out: dict[str, str] = {}
    for imp in ruleset.reasoning.implications if ruleset.reasoning else ():
        if imp.tag in asserted or imp.tag in out:
            continue
        if product == imp.product or (imp.mention and imp.product in declined):
            out[imp.tag] = imp.product
    return out


# ---------------------------------------------------------------------------------------------- evaluation

def expected_tags(ex, ruleset: rules_mod.RuleSet) -> set[str]:
    return set(ex.tags) | ({ex.product} if ex.product else set()) | {ruleset.intent_tags[ex.intent]}


def evaluate(examples: list, analyses: list[Analysis], ruleset: rules_mod.RuleSet | None = None) -> dict:
    """Per-tag precision/recall, micro-F1, and amount / term / city exactness over labelled examples."""
    ruleset = ruleset or rules_mod.shipped_rules()
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    amount_ok = amount_n = term_ok = term_n = city_ok = city_n = 0
    amount_spurious = term_spurious = intent_ok = 0
    errors = []
    for ex, a in zip(examples, analyses):
        want, got = expected_tags(ex, ruleset), set(a.tags)
        for t in want & got:
            tp[t] = tp.get(t, 0) + 1
        for t in got - want:
            fp[t] = fp.get(t, 0) + 1
        for t in want - got:
            fn[t] = fn.get(t, 0) + 1
        intent_ok += a.intent == ex.intent
        if ex.amount_yuan is not None:
            amount_n += 1
            amount_ok += a.amount_yuan == ex.amount_yuan
        elif a.amount_yuan is not None:
            amount_spurious += 1
        if ex.term_months is not None:
            term_n += 1
            term_ok += a.term_months == ex.term_months
        elif a.term_months is not None:
            term_spurious += 1
        if ex.city is not None:
            city_n += 1
            city_ok += a.city == ex.city
        if want != got or a.amount_yuan != ex.amount_yuan or a.term_months != ex.term_months:
            errors.append({"text": ex.text, "missing": sorted(want - got), "extra": sorted(got - want),
                           "amount": [ex.amount_yuan, a.amount_yuan], "term": [ex.term_months, a.term_months]})
    per_tag = {}
    for t in sorted(set(tp) | set(fp) | set(fn)):
        p_den, r_den = tp.get(t, 0) + fp.get(t, 0), tp.get(t, 0) + fn.get(t, 0)
        per_tag[t] = {"precision": round(tp.get(t, 0) / p_den, 3) if p_den else None,
                      "recall": round(tp.get(t, 0) / r_den, 3) if r_den else None, "support": r_den}
    TP, FP, FN = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = TP / (TP + FP) if TP + FP else 0.0
    recall = TP / (TP + FN) if TP + FN else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(examples), "micro_precision": round(precision, 4), "micro_recall": round(recall, 4),
            "micro_f1": round(f1, 4), "amount_exact": round(amount_ok / amount_n, 4) if amount_n else None,
            "amount_n": amount_n, "amount_spurious": amount_spurious,
            "term_exact": round(term_ok / term_n, 4) if term_n else None, "term_spurious": term_spurious,
            "intent_accuracy": round(intent_ok / len(examples), 4) if examples else None,
            "city_exact": round(city_ok / city_n, 4) if city_n else None, "per_tag": per_tag,
            "errors": errors}
