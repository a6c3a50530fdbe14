"""Learning from staff: corrections stored with the text they concern, models trained on them, activated only
when not worse, and rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scrm.core.db import utcnow
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.tagging import dataset, pipeline
from scrm.tagging import rules as rules_mod
from scrm.tagging import service as tagging_service
from scrm.tagging import training
from scrm.tagging.artefacts import active_model, active_model_path
from scrm.tagging.models import TagEvidence, TaggingCorrection, TaggingModel

CORRECTABLE = ("tag", "product", "intent", "amount_yuan", "term_months", "city")
# ten billion yuan and fifty years: past any loan a broker arranges, and within what the profile's columns hold
CORRECTION_MAX = {"amount_yuan": 10**10, "term_months": 600}
STAFF_PHRASE = "员工更正"


def _check_correction(field_name: str, tag: str | None, value):
    ruleset = rules_mod.shipped_rules()
    if field_name not in CORRECTABLE:
        raise ValidationFailed(f"只能更正 {', '.join(CORRECTABLE)}", field="field")
    if field_name == "tag":
        if tag not in ruleset.vocabulary_order or tag in ruleset.intent_tags.values() or tag in ruleset.product_tags:
            raise ValidationFailed("标签必须是画像的资产或风险标签（产品和意向请更正 product / intent）", field="tag")
        if not isinstance(value, bool):
            raise ValidationFailed("标签更正的值是 true（有）或 false（没有）", field="value")
    elif tag is not None:
        raise ValidationFailed("只有更正标签时才填 tag", field="tag")
    elif field_name == "product" and value is not None and value not in ruleset.product_tags:
        raise ValidationFailed(f"产品必须是 {'、'.join(ruleset.product_tags)} 之一或 null", field="value")
    elif field_name == "intent" and value not in pipeline.INTENTS:
        raise ValidationFailed("意向必须是 high、medium 或 low", field="value")
    elif field_name in ("amount_yuan", "term_months") and value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= CORRECTION_MAX[field_name]):
        raise ValidationFailed(f"金额（元）是 1 到 {CORRECTION_MAX['amount_yuan']} 的整数，期限（月）是 1 到 "
                               f"{CORRECTION_MAX['term_months']} 的整数，或 null", field="value")
    elif field_name == "city" and value is not None and (not isinstance(value, str) or not 0 < len(value) <= 32):
        raise ValidationFailed("城市是 1 到 32 个字或 null", field="value")


def record_correction(session: Session, *, field_name: str, value, tag: str | None = None, text: str | None = None,
                      evidence_id: int | None = None, customer_id: int | None = None,
                      employee_id: int | None = None) -> TaggingCorrection:
    """Store a staff correction with the text it concerns (given, or the evidence's); with a customer, the
    correction is also the newest statement about them, so their profile follows it at once."""
    _check_correction(field_name, tag, value)
    if evidence_id is not None:
        ev = session.get(TagEvidence, evidence_id)
        if ev is None or (customer_id is not None and ev.customer_id != customer_id) or ev.source == "behaviour":
            raise ValidationFailed(f"没有这条文本依据 {evidence_id}", field="evidence_id")
        customer_id, text = ev.customer_id, ev.excerpt
    if not text or not text.strip():
        raise ValidationFailed("请给出更正所针对的文本", field="text")
    if customer_id is not None:
        customer_service.get(session, customer_id)
    text = text.strip()[:2000]
    analysis = pipeline.analyze(text, model_path=active_model_path(session))
    previous = (tag in analysis.tags) if field_name == "tag" else getattr(analysis, field_name)
    row = TaggingCorrection(customer_id=customer_id, evidence_id=evidence_id, text=text, field=field_name, tag=tag,
                            value={"v": value}, previous={"v": previous}, employee_id=employee_id, created_at=utcnow())
    session.add(row)
    session.flush()
    if customer_id is not None:
        if field_name == "tag":
            result = {"asserted": {tag: value}, "phrases": {tag: STAFF_PHRASE}}
        elif field_name == "intent":
            result = {"intent": value, "intent_by": "rule", "phrases": {"intent": STAFF_PHRASE}}
        elif field_name == "product":
            result = {"product": value, "phrases": {"product": STAFF_PHRASE}}
        else:
            result = {field_name: value}
        tagging_service.add_evidence(session, customer_id, "manual", f"correction:{row.id}", row.created_at, text, result)
        tagging_service.recompute_profile(session, customer_id)
    return row


def corrections(session: Session) -> list[dict]:
    """Every correction, oldest first, as training and evaluation read them."""
    rows = session.scalars(select(TaggingCorrection).order_by(TaggingCorrection.id)).all()
    return [{"id": r.id, "text": r.text, "field": r.field, "tag": r.tag, "value": (r.value or {}).get("v"),
             "previous": (r.previous or {}).get("v")} for r in rows]


def correction_examples(items: list[dict], model_path) -> list[dataset.Example]:
    """Corrections as labelled examples: what the pipeline reads in each text, with every correction of that
    text applied in order (the last one wins)."""
    texts = list(dict.fromkeys(c["text"] for c in items))
    base = {a.text: a for a in pipeline.analyze_many(texts, model_path=model_path)}
    out = {}
    for c in items:
        ex = out.get(c["text"])
        if ex is None:
            a = base[c["text"]]
            ex = out[c["text"]] = dataset.Example(
                text=c["text"], product=a.product, intent=a.intent,
                tags=sorted(t for t, on in a.asserted.items() if on), amount_yuan=a.amount_yuan,
                term_months=a.term_months, city=a.city, origin="correction")
        if c["field"] == "tag":
            ex.tags = sorted((set(ex.tags) | {c["tag"]}) if c["value"] else (set(ex.tags) - {c["tag"]}))
        else:
            setattr(ex, c["field"], c["value"])
    return list(out.values())


@dataclass
class TrainOutcome:
    model: TaggingModel
    activated: bool
    reason: str
    metrics: dict  # {"new": {...}, "current": {...}}


RECENT_SHARE = 5  # the newest fifth of the corrections (at least one) is kept out of training to judge the model
# retraining moves a tag or two of the held-out set either way; a drop within this much micro-F1 (about three
# tags in 287 messages) is noise, not a worse model
HELDOUT_TOLERANCE = 0.003


def train_and_activate(session: Session, *, models_dir: Path, generated: int = 3000,
                       seed: int = dataset.SEED) -> TrainOutcome:
    """Train a new versioned model on the data set plus staff corrections, and activate it only if it is not
    worse than the model in use on the held-out set (tag micro-F1) or on the recent corrections it never saw
    (share agreed with). The artefact and its metrics are kept either way; the outcome says why."""
    items = corrections(session)
    recent = items[-max(1, len(items) // RECENT_SHARE):] if items else []
    older = items[:len(items) - len(recent)]
    current = active_model(session)
    current_path = Path(current.path) if current else None
    n = (session.scalar(select(func.count()).select_from(TaggingModel)) or 0) + 1
    version = f"tagger-{n}-{utcnow():%Y%m%d%H%M%S}"
    path = Path(models_dir) / f"{version}.joblib"
    meta = training.train(n=generated, seed=seed, out=path,
                          extra=correction_examples(older, current_path), version=version)
    new = {"heldout": _headline(meta["metrics"][dataset.HELD_OUT_SETS[0]]),
           "corrections": training.agreement(path, recent)}
    old = {"heldout": _headline(training.evaluate_heldout(current_path)),
           "corrections": training.agreement(current_path, recent)}
    worse = []
    if new["heldout"]["micro_f1"] < old["heldout"]["micro_f1"] - HELDOUT_TOLERANCE:
        worse.append(f"held-out micro-F1 {new['heldout']['micro_f1']} < {old['heldout']['micro_f1']}")
    if recent and new["corrections"]["agree"] < old["corrections"]["agree"]:
        worse.append(f"agreement with the {len(recent)} recent corrections {new['corrections']['agree']} < "
                     f"{old['corrections']['agree']}")
    who = current.version if current else "the shipped model"
    reason = (f"refused: worse than {who} on " + "; ".join(worse)) if worse else f"activated: not worse than {who}"
    row = TaggingModel(version=version, path=str(path), metrics={"new": new, "current": old, "report": meta},
                       corrections_upto=older[-1]["id"] if older else 0, active=False, note=reason,
                       created_at=utcnow())
    session.add(row)
    if not worse:
        if current is not None:
            current.active = False
        session.flush()
        row.active, row.activated_at = True, utcnow()
    session.flush()
    return TrainOutcome(row, not worse, reason, {"new": new, "current": old})


def _headline(m: dict) -> dict:
    return {k: m.get(k) for k in ("n", "micro_f1", "micro_precision", "micro_recall", "intent_accuracy",
                                  "amount_exact", "amount_n", "amount_spurious", "term_exact", "term_spurious")}


def rollback_model(session: Session) -> TaggingModel | None:
    """Retire the model in use and go back to the one active before it (or to the shipped model)."""
    current = active_model(session)
    if current is None:
        raise ValidationFailed("没有可回滚的模型：正在使用的是随程序发布的模型", field="model")
    current.active, current.retired_at = False, utcnow()
    current.note = (current.note + "; rolled back").strip("; ")
    session.flush()
    previous = session.scalars(select(TaggingModel).where(TaggingModel.id != current.id,
                                                          TaggingModel.activated_at.is_not(None),
                                                          TaggingModel.retired_at.is_(None))
                               .order_by(TaggingModel.activated_at.desc(), TaggingModel.id.desc())).first()
    if previous is not None:
        previous.active, previous.activated_at = True, utcnow()
    session.flush()
    return previous


def precision_from_corrections(session: Session) -> dict[str, dict]:
    """Per tag, what staff corrections reveal: how often the pipeline's tag was confirmed or removed, and how
    often staff added it where the pipeline missed it. A product or intent corrected from X to Y removes X and
    adds Y; a correction equal to what the pipeline read confirms it."""
    ruleset = rules_mod.shipped_rules()
    out: dict[str, dict] = {}

    def bump(tag: str | None, key: str) -> None:
        if tag and key:
            out.setdefault(tag, {"confirmed": 0, "removed": 0, "added": 0})[key] += 1

    for c in corrections(session):
        if c["field"] == "tag":
            was, now = bool(c["previous"]), bool(c["value"])
            bump(c["tag"], "confirmed" if was and now else "removed" if was else "added" if now else "")
        elif c["field"] in ("product", "intent"):
            name = (lambda v: ruleset.intent_tags.get(v)) if c["field"] == "intent" else (lambda v: v)
            if c["previous"] == c["value"]:
                bump(name(c["value"]), "confirmed")
            else:
                bump(name(c["previous"]), "removed")
                bump(name(c["value"]), "added")
    for tag, s in out.items():
        seen = s["confirmed"] + s["removed"]
        s["precision"] = round(s["confirmed"] / seen, 3) if seen else None
    return dict(sorted(out.items()))


def list_models(session: Session) -> list[TaggingModel]:
    return list(session.scalars(select(TaggingModel).order_by(TaggingModel.id.desc())))
