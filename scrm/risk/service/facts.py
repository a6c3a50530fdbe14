"""A customer's risk facts: entered by staff who can see the customer, each change on the timeline with who made it;
the score and the rules follow in the same transaction. And what a page shows of a customer's risk.

The counts a customer states in their chats (征信查询, 逾期, 网贷: the tagging profile's ``counts``, newest statement
winning) fill the facts nobody entered, each kept with the words that said it (``RiskFact.text_facts``); a value staff
or the customer enter wins over them, and clearing it lets the chat's figure show again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.db import utcnow
from scrm.core.errors import ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.org.models import Employee
from scrm.risk.labels import FACT_NAMES, MATERIAL_NAMES, OVERDUE_NAMES
from scrm.risk.models import RiskDecision, RiskFact, RiskFiring, RiskMatch, RiskRule
from scrm.risk.schemas import ClearIn, FactsIn
from scrm.risk.service import conditions, evaluation, scorecard
from scrm.risk.service.rules import require_editor
from scrm.tagging import service as tagging_service
from scrm.tagging.counts import FACTS as STATED_FACTS
from scrm.tagging.events import ProfileChanged

ENTERED = ("inquiries_1m", "inquiries_3m", "inquiries_6m", "overdue_count", "worst_overdue", "total_debt_fen",
           "monthly_income_fen", "online_loans", "materials", "social_security_months")
MAX_RATIO_BP = 99_999_999


def debt_ratio_bp(total_debt_fen: int | None, monthly_income_fen: int | None) -> int | None:
    """Total debt over a year's income in basis points, rounded half up (no income with debt: the ceiling)."""
    if total_debt_fen is None or monthly_income_fen is None:
        return None
    yearly = monthly_income_fen * 12
    if yearly == 0:
        return 0 if total_debt_fen == 0 else MAX_RATIO_BP
    return min((2 * total_debt_fen * 10000 + yearly) // (2 * yearly), MAX_RATIO_BP)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "未填写"
    if name == "materials":
        return "、".join(MATERIAL_NAMES[m] for m in value) or "无"
    if name == "worst_overdue":
        return OVERDUE_NAMES[value].split("（")[0]
    if name in ("total_debt_fen", "monthly_income_fen"):
        return f"{from_fen(value)} 元"
    return str(value)


def _label(name: str) -> str:
    return FACT_NAMES[name].replace("（分）", "")


def _check(values: dict[str, Any], from_text: set[str]) -> None:
    """What a person enters must agree with itself; figures from chats are kept as the customer said them."""
    for short, long in (("inquiries_1m", "inquiries_3m"), ("inquiries_3m", "inquiries_6m")):
        if short in from_text or long in from_text:
            continue
        if values[short] is not None and values[long] is not None and values[short] > values[long]:
            raise ValidationFailed(f"{_label(short)}不会多于{_label(long)}", field=short)


def set_facts(session: Session, actor: Employee | None, customer_id: int, command: FactsIn) -> RiskFact:
    """Change the facts the command sets (a None clears one); records who and when on the timeline, re-scores and
    evaluates the rules in the same transaction. Nothing changes: nothing is written."""
    changes = command.changes()
    if actor is not None:
        customer_service.get_visible(session, actor, customer_id)
    else:
        customer_service.get(session, customer_id)
    customer_service.lock_customer(session, customer_id)  # one change of this customer's facts at a time
    fact = session.get(RiskFact, customer_id, populate_existing=True)
    new = fact is None
    if new:
        fact = RiskFact(customer_id=customer_id, materials_mask=0, materials_count=0, version=0, text_facts={})
    before = {name: conditions.fact_value(fact, name) if name == "materials" else getattr(fact, name)
              for name in ENTERED}
    order = list(MATERIAL_NAMES).index
    after = {**before, **{k: (sorted(set(v), key=order) if k == "materials" and v is not None else v)
                          for k, v in changes.items()}}
    if after.get("materials") is None:
        after["materials"] = []
    said = {name: dict(v) for name, v in (fact.text_facts or {}).items()}
    for name in changes:
        if name in said:  # entered: it wins; cleared: the chat's figure shows again
            said[name]["held"] = changes[name] is None
            if changes[name] is None:
                after[name] = said[name]["value"]
    _check(after, {name for name, v in said.items() if v.get("held")})
    if said != (fact.text_facts or {}):
        fact.text_facts = said
    diff = {name: [before[name], after[name]] for name in ENTERED if before[name] != after[name]}
    if not diff and not new:
        return fact
    for name in ENTERED:
        if name == "materials":
            fact.materials_mask = conditions.mask_of(after["materials"])
            fact.materials_count = len(after["materials"])
        else:
            setattr(fact, name, after[name])
    ratio_before = fact.debt_ratio_bp
    fact.debt_ratio_bp = debt_ratio_bp(fact.total_debt_fen, fact.monthly_income_fen)
    fact.version += 1
    fact.updated_by, fact.updated_at = actor.id if actor else None, utcnow()
    if new:
        session.add(fact)
    score_before = fact.score
    session.flush()
    scorecard.recompute(session, [customer_id])
    fact = session.get(RiskFact, customer_id)
    data: dict[str, Any] = {"changes": diff, "version": fact.version}
    parts = [f"{_label(k)} {_shown(k, old)} → {_shown(k, new_)}" for k, (old, new_) in diff.items()]
    if fact.debt_ratio_bp != ratio_before:
        data["debt_ratio"] = [None if ratio_before is None else conditions.percent(ratio_before),
                              None if fact.debt_ratio_bp is None else conditions.percent(fact.debt_ratio_bp)]
    if fact.score != score_before:
        data["score"] = [score_before, fact.score]
        parts.append(f"资质评分 {'未评' if score_before is None else score_before} → {fact.score}")
    who = "客户本人" if actor is None else actor.name
    customer_service.add_timeline(session, customer_id, "risk_facts_changed",
                                  f"{who}更新风控资料：" + ("；".join(parts) or "建立风控档案"), data,
                                  actor_employee_id=actor.id if actor else None,
                                  source_key=f"risk_facts:{customer_id}:{fact.version}")
    evaluation.evaluate(session, [customer_id], actor_id=actor.id if actor else None)
    return fact


def on_profile_changed(session: Session, event: ProfileChanged) -> None:
    """Subscriber: the counts the customer stated in their chats changed; take them into the facts."""
    if "counts" in event.changes:
        take_stated_counts(session, event.customer_id)


def take_stated_counts(session: Session, customer_id: int) -> RiskFact | None:
    """The counts of the customer's profile fill the facts nobody entered (each with the words that said it); a
    figure no chat states any more goes. Re-scored and evaluated in the same transaction, on the timeline."""
    profile = tagging_service.get_profile(session, customer_id)
    stated = ((profile.evidence or {}).get("counts") or {}) if profile is not None else {}
    customer_service.lock_customer(session, customer_id)
    fact = session.get(RiskFact, customer_id, populate_existing=True)
    if fact is None:
        if not stated:
            return None
        fact = RiskFact(customer_id=customer_id, materials_mask=0, materials_count=0, version=0, text_facts={})
        session.add(fact)
    before = fact.text_facts or {}
    said, diff = {}, {}
    for name in STATED_FACTS:
        now, was_held = getattr(fact, name), before.get(name, {}).get("held", False)
        entered = now is not None and not was_held
        if name not in stated:
            if was_held:
                diff[name] = [now, None]
                setattr(fact, name, None)
            continue
        value = stated[name]["value"]
        # the words that said it, not the whole message: the message stays with the profile, which an erasure
        # empties
        said[name] = {**{k: v for k, v in stated[name].items() if k != "excerpt"}, "held": not entered}
        if not entered and now != value:
            diff[name] = [now, value]
            setattr(fact, name, value)
    if said == before and not diff:
        return fact
    fact.text_facts = said
    if not diff:
        session.flush()
        return fact
    fact.version += 1
    fact.updated_by, fact.updated_at = None, utcnow()
    score_before = fact.score
    session.flush()
    scorecard.recompute(session, [customer_id])
    fact = session.get(RiskFact, customer_id)
    parts = [f"{_label(k)} {_shown(k, old)} → {_shown(k, new_)}"
             + (f"（“{said[k].get('phrase', '')}”）" if k in said else "")
             for k, (old, new_) in diff.items()]
    data: dict[str, Any] = {"changes": diff, "version": fact.version, "from_text": {k: said[k] for k in diff if k in said}}
    if fact.score != score_before:
        data["score"] = [score_before, fact.score]
        parts.append(f"资质评分 {'未评' if score_before is None else score_before} → {fact.score}")
    customer_service.add_timeline(session, customer_id, "risk_facts_changed", "聊天中提到的风控资料：" + "；".join(parts),
                                  data, source_key=f"risk_facts:{customer_id}:{fact.version}")
    evaluation.evaluate(session, [customer_id])
    return fact


# ---------------------------------------------------------------------------------------------
# what a page shows


def get_facts(session: Session, customer_id: int) -> RiskFact | None:
    session.flush()
    return session.get(RiskFact, customer_id, populate_existing=True)


def facts_view(session: Session, fact: RiskFact | None) -> dict | None:
    if fact is None:
        return None
    out = {name: getattr(fact, name) for name in ENTERED if name != "materials"}
    out.update({"materials": conditions.kinds_of(fact.materials_mask), "materials_count": fact.materials_count,
                "debt_ratio": None if fact.debt_ratio_bp is None else conditions.percent(fact.debt_ratio_bp),
                "score": fact.score, "version": fact.version, "updated_by": fact.updated_by,
                "updated_at": fact.updated_at,
                "from_text": {k: v for k, v in (fact.text_facts or {}).items() if v.get("held")},
                "stated_in_chats": fact.text_facts or {}})
    return out


def customer_risk(session: Session, viewer: Employee, customer_id: int) -> dict:
    """A customer's facts, score, what the profile says, the decisions in force and why, and every firing."""
    customer = customer_service.get_visible(session, viewer, customer_id)
    session.flush()
    fact = session.get(RiskFact, customer_id, populate_existing=True)
    card = scorecard.current(session)
    profile = tagging_service.get_profile(session, customer_id)
    decision = session.get(RiskDecision, customer_id, populate_existing=True)
    firings = list(session.scalars(select(RiskFiring).where(RiskFiring.customer_id == customer_id)
                                   .order_by(RiskFiring.id.desc()).limit(100)))
    by_id = {f.id: f for f in firings}
    matching = list(session.scalars(select(RiskRule.name).join(RiskMatch, RiskMatch.rule_id == RiskRule.id)
                                    .where(RiskMatch.customer_id == customer_id).order_by(RiskRule.position,
                                                                                           RiskRule.id)))

    def why(firing_id: int | None) -> dict | None:
        firing = by_id.get(firing_id) if firing_id else None
        if firing_id and firing is None:
            firing = session.get(RiskFiring, firing_id)
        return None if firing is None else firing_view(firing)

    state = {"reject_pool": False, "reject_pool_at": None, "reject_pool_because": None, "awaiting_approval": None,
             "returned": None}
    if decision is not None:
        state["reject_pool"] = decision.reject_pool
        if decision.reject_pool:
            state["reject_pool_at"] = decision.reject_pool_at
            state["reject_pool_because"] = why(decision.reject_pool_firing_id)
        if decision.awaiting_approval_title:
            state["awaiting_approval"] = {
                "title": decision.awaiting_approval_title, "role": decision.awaiting_approval_role,
                "employee_id": decision.awaiting_approval_employee_id, "routed_at": decision.approval_routed_at,
                "because": why(decision.approval_firing_id)}
        if decision.returned_missing is not None:
            state["returned"] = {"missing": decision.returned_missing,
                                 "missing_names": [MATERIAL_NAMES[m] for m in decision.returned_missing],
                                 "at": decision.returned_at, "because": why(decision.returned_firing_id)}
    return {
        "customer_id": customer.id,
        "facts": facts_view(session, fact),
        "score_bands": scorecard.bands_held(session, card, customer_id) if fact is not None else [],
        "profile": None if profile is None else {
            "tags": list(profile.tags or []), "amount_fen": profile.amount_fen, "counts": profile.counts or {},
            "product": profile.product, "updated_at": profile.updated_at},
        **state,
        "matching_rules": matching,
        "firings": [firing_view(f) for f in firings],
    }


def firing_view(firing: RiskFiring) -> dict:
    return {"id": firing.id, "rule_id": firing.rule_id, "rule_name": firing.rule_name,
            "rule_version": firing.rule_version, "facts_version": firing.facts_version, "evidence": firing.evidence,
            "done": firing.done, "at": firing.at}


def clear_decision(session: Session, actor: Employee, customer_id: int, command: ClearIn) -> RiskDecision | None:
    """A manager takes a customer out of the reject pool, or closes the awaiting approval or the return; on the
    timeline."""
    require_editor(actor)
    what = command.what
    customer_service.get_visible(session, actor, customer_id)
    customer_service.lock_customer(session, customer_id)
    decision = session.get(RiskDecision, customer_id, populate_existing=True)
    summary = {"reject_pool": "移出拒绝池", "approval": "结束待审批", "returned": "结束驳回补充"}[what]
    if decision is None:
        return None
    if what == "reject_pool" and decision.reject_pool:
        decision.reject_pool, decision.reject_pool_firing_id, decision.reject_pool_at = False, None, None
    elif what == "approval" and decision.awaiting_approval_title:
        decision.awaiting_approval_role = decision.awaiting_approval_employee_id = None
        decision.awaiting_approval_title = decision.approval_firing_id = decision.approval_routed_at = None
    elif what == "returned" and decision.returned_missing is not None:
        decision.returned_missing = decision.returned_firing_id = decision.returned_at = None
    else:
        return decision
    decision.updated_at = utcnow()
    customer_service.add_timeline(session, customer_id, "risk_decision_cleared", f"{actor.name}{summary}",
                                  {"what": what}, actor_employee_id=actor.id)
    session.flush()
    return decision
