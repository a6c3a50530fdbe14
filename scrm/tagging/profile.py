"""Merging evidence into a profile (画像): pure functions, no database.

Every statement is time-stamped; per tag and per field the newest statement wins (a tag asserted,
then negated later, is gone, and ``evidence["retracted"][tag]`` keeps both the statement and its denial). The intent is the newest decisive signal — an explicit statement in
text, an application submitted, the customer deleting the salesperson — then moved one step by
recent activity (several replies or a visit in the last 7 days: up; no contact for 30 days: down).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scrm.tagging import counts as counts_mod

BEHAVIOURS = ("replied", "replied_fast", "asked_rates", "sent_materials", "visit", "application_submitted",
              "deleted_salesperson")
# how much each recent behaviour says about interest; BUSY_REPLIES points in the last 7 days move the intent up
ACTIVITY_POINTS = {"replied": 1, "replied_fast": 2, "asked_rates": 2}
BEHAVIOUR_NAMES = {"replied": "回复", "replied_fast": "很快回复", "asked_rates": "问了利率", "sent_materials": "发来材料",
                   "visit": "到访", "application_submitted": "提交了申请", "deleted_salesperson": "删除了跟进人"}
LEVEL_NAMES = {"low": "低", "medium": "中", "high": "高"}
LEVELS = ("low", "medium", "high")
INTENT_TAGS = {"high": "高意向", "medium": "中意向", "low": "低意向"}
RECENT = timedelta(days=7)
STALE = timedelta(days=30)
BUSY_REPLIES = 3


@dataclass
class Item:
    """One row of evidence as the merge sees it (TagEvidence without the ORM)."""

    id: int
    source: str
    source_key: str
    at: datetime
    excerpt: str
    result: dict


@dataclass
class ProfileData:
    product: str | None = None
    intent: str = "medium"
    amount_yuan: int | None = None
    term_months: int | None = None
    city: str | None = None
    tags: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # the risk counts stated, newest winning

    def comparable(self) -> tuple:
        return (self.product, self.intent, self.amount_yuan, self.term_months, self.city, tuple(self.tags),
                tuple(sorted(self.counts.items())))


def _why(item: Item, phrase: str | None = None) -> dict:
    out = {"source": item.source, "source_key": item.source_key, "at": item.at.isoformat(), "excerpt": item.excerpt}
    if phrase:
        out["phrase"] = phrase
    return out


def merge(items: list[Item], *, now: datetime, last_contact_at: datetime | None = None,
          gone: bool = False, manual_tags: set[str] = frozenset(), vocabulary_order: list[str] = ()) -> ProfileData:
    """The profile from all evidence (any order), behaviour and the tags staff set by hand in WeCom."""
    items = sorted(items, key=lambda i: (i.at, i.id))
    out = ProfileData()
    asserted: dict[str, bool] = {}
    retracted: dict[str, dict] = {}
    decisive: tuple[datetime, str, dict] | None = None
    replies_recent = 0
    visit_recent = False
    seen_recent: dict[str, int] = {}
    last_seen = last_contact_at
    for item in items:
        r = item.result
        last_seen = item.at if last_seen is None or item.at > last_seen else last_seen
        event = r.get("behaviour")
        if event:
            recent = now - item.at <= RECENT
            if event in ACTIVITY_POINTS and recent:
                replies_recent += ACTIVITY_POINTS[event]
                seen_recent[event] = seen_recent.get(event, 0) + 1
            elif event == "visit" and recent:
                visit_recent = True
                seen_recent[event] = seen_recent.get(event, 0) + 1
            elif event in ("application_submitted", "sent_materials"):
                decisive = (item.at, "high", _why(item, event))
            elif event == "deleted_salesperson":
                decisive = (item.at, "low", _why(item, event))
            continue
        phrases = r.get("phrases") or {}
        implied = r.get("implied") or {}
        for tag, on in (r.get("asserted") or {}).items():
            was = asserted.get(tag)
            asserted[tag] = on
            if on:
                out.evidence[tag] = _why(item, phrases.get(tag))
                if tag in implied:
                    out.evidence[tag]["implied_by"] = implied[tag]
                retracted.pop(tag, None)
            else:
                stated = out.evidence.pop(tag, None)
                if was and stated is not None:
                    retracted[tag] = {"stated": stated, "denied": _why(item, phrases.get(tag))}
        if r.get("product"):
            out.product = r["product"]
            out.evidence["product"] = _why(item, phrases.get("product"))
        for name in ("amount_yuan", "term_months", "city"):
            if r.get(name) is not None:
                setattr(out, name, r[name])
                out.evidence[name] = _why(item)
        if r.get("intent_by") in ("rule", "model"):
            decisive = (item.at, r["intent"], _why(item, phrases.get("intent")))
    stated = counts_mod.newest(items, _why)
    if stated:
        out.counts = {fact: said["value"] for fact, said in stated.items()}
        out.evidence["counts"] = stated
    level = 1
    reasons = []
    if decisive is not None:
        level = LEVELS.index(decisive[1])
        out.evidence["intent"] = dict(decisive[2])
        why = decisive[2]
        said = BEHAVIOUR_NAMES.get(why.get("phrase", ""))
        reasons.append(f"{said}：{LEVEL_NAMES[decisive[1]]}" if said
                       else f"“{why.get('phrase') or why.get('excerpt', '')}”：{LEVEL_NAMES[decisive[1]]}")
    else:
        reasons.append("没有明确的意向表达：中")
    if gone:
        level = 0
        out.evidence["intent"] = {"source": "customer", "phrase": "客户已删除全部跟进人"}
        reasons = ["客户已删除全部跟进人：低"]
    elif replies_recent >= BUSY_REPLIES or visit_recent:
        level = min(2, level + 1)
        done = "、".join(f"{BEHAVIOUR_NAMES[e]}{n}次" for e, n in seen_recent.items())
        reasons.append(f"近7天{done}：上调一级")
    elif last_seen is not None and now - last_seen > STALE:
        level = max(0, level - 1)
        reasons.append(f"{(now - last_seen).days}天没有联系：下调一级")
    out.intent = LEVELS[level]
    out.evidence.setdefault("intent", {})["reason"] = "；".join(reasons)
    # staff's hand-set tags win over the pipeline for the same name (and an intent tag sets the intent)
    for tag in manual_tags:
        asserted[tag] = True
        out.evidence[tag] = {"source": "wecom_manual"}
    for level_name, tag in INTENT_TAGS.items():
        if tag in manual_tags:
            out.intent = level_name
            out.evidence["intent"] = {"source": "wecom_manual", "reason": f"企微手动标签 {tag}"}
    if retracted:
        out.evidence["retracted"] = retracted
    tags = {t for t, on in asserted.items() if on and t not in INTENT_TAGS.values()}
    if out.product:
        tags.add(out.product)
    tags.add(INTENT_TAGS[out.intent])
    order = {t: i for i, t in enumerate(vocabulary_order)}
    out.tags = sorted(tags, key=lambda t: (order.get(t, 999), t))
    return out
