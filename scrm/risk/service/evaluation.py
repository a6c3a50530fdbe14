"""Evaluating the rules: set-based over ``risk_fact`` for one customer or all, each rule one INSERT ... SELECT
into ``risk_match`` whose new rows are its firings; then the firings' actions, each recorded with its evidence.

A rule fires when a customer starts matching it. The match row's primary key (rule, customer) makes that happen
once however many evaluations run at once, on PostgreSQL (the unique index waits for the other transaction)
and on SQLite (one writer at a time); it is removed when the facts stop matching, so a later match fires again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Select, bindparam, delete, exists, func, literal, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.config import get_settings
from scrm.core.db import UTCDateTime, insert_ignore_many, is_postgres, utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerStatus
from scrm.org.labels import ROLE_NAMES
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.risk.events import RiskNotice
from scrm.risk.labels import ACTION_NAMES, FACT_NAMES, MATERIAL_NAMES
from scrm.risk.models import RiskDecision, RiskFact, RiskFiring, RiskMatch, RiskRule
from scrm.risk.service import conditions
from scrm.risk.service import rules as rules_mod
from scrm.tagging import service as tagging_service

SAMPLE = 10
MAX_APPROVERS = 20
FIRE_BATCH = 500
_f, _m, _c = RiskFact.__table__, RiskMatch.__table__, Customer.__table__
LIVE = (CustomerStatus.merged, CustomerStatus.erased)


def _scope(customer_ids: list[int] | None):
    """The customers evaluated: those with facts, not merged or erased (optionally only these)."""
    where = [_c.c.status.not_in(LIVE)]
    if customer_ids is not None:
        where.append(_f.c.customer_id.in_(customer_ids))
    return _f.join(_c, _c.c.id == _f.c.customer_id), where


@dataclass
class Outcome:
    fired: list[RiskFiring] = field(default_factory=list)
    ended: int = 0


def evaluate(session: Session, customer_ids: list[int] | None = None, *, actor_id: int | None = None) -> Outcome:
    """Evaluate every active rule for the customers (all with facts: None) and act on each new match."""
    session.flush()
    out = Outcome()
    source, where = _scope(customer_ids)
    ins = pg_insert if is_postgres(session) else sqlite_insert
    for rule in rules_mod.list_rules(session, active_only=True):
        matching = select(_f.c.customer_id).select_from(source).where(*where, conditions.to_sql(rule.condition))
        stale = [_m.c.rule_id == rule.id, _m.c.customer_id.not_in(matching)]
        if customer_ids is not None:
            stale.append(_m.c.customer_id.in_(customer_ids))
        _lock_changing(session, rule, matching, stale)
        out.ended += session.execute(delete(_m).where(*stale), execution_options={"preserve_rowcount": True}).rowcount
        new = select(literal(rule.id, BigInteger), _f.c.customer_id, literal(utcnow(), UTCDateTime)) \
            .select_from(source).where(*where, conditions.to_sql(rule.condition))
        started = session.execute(ins(_m).from_select(["rule_id", "customer_id", "since"], new)
                                  .on_conflict_do_nothing(index_elements=["rule_id", "customer_id"])
                                  .returning(_m.c.customer_id)).scalars().all()
        out.fired += _fire_all(session, rule, sorted(started), actor_id)
    session.flush()
    return out


def _lock_changing(session: Session, rule: RiskRule, matching: Select, stale: list) -> None:
    """Lock the customers whose match of ``rule`` is about to begin or end, in id order, before touching their
    match rows: a fact change locks its customer first too, so neither waits for the other holding what it needs."""
    if not is_postgres(session):
        return  # SQLite's transactions already run one at a time
    held = exists().where(_m.c.rule_id == rule.id, _m.c.customer_id == _f.c.customer_id)
    starting = matching.where(~held)
    ending = select(_m.c.customer_id).where(*stale)
    # one IN over a UNION: PostgreSQL joins it on the primary key, where an OR of two INs scans every customer
    session.execute(select(_c.c.id).where(_c.c.id.in_(union(starting, ending)))
                    .order_by(_c.c.id).with_for_update())


def preview(session: Session, condition: dict, *, sample_size: int = SAMPLE) -> dict:
    """Who a draft condition matches among the customers with facts, with a sample and its evidence; writes
    nothing."""
    source, where = _scope(None)
    session.flush()
    matching = select(_f.c.customer_id).select_from(source).where(*where, conditions.to_sql(condition))
    count = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    total = session.scalar(select(func.count()).select_from(source).where(*where)) or 0
    ids = session.scalars(matching.order_by(_f.c.customer_id).limit(sample_size)).all() if sample_size else []
    facts = {f.customer_id: f for f in session.scalars(select(RiskFact).where(RiskFact.customer_id.in_(ids)))}
    names = customer_service.names_by_id(session, ids)
    sample = [{"customer_id": i, "name": names.get(i, ""), "evidence": conditions.evidence(facts[i], condition)}
              for i in ids]
    return {"evaluated": int(total), "matching": int(count), "sample": sample}


# ---------------------------------------------------------------------------------------------
# firing


def _decisions(session: Session, customer_ids: list[int]) -> dict[int, RiskDecision]:
    """The customers' decision rows, created where missing, locked in id order."""
    now = utcnow()
    insert_ignore_many(session, RiskDecision.__table__,
                       [{"customer_id": i, "reject_pool": False, "updated_at": now} for i in customer_ids],
                       ["customer_id"], [RiskDecision.customer_id])
    return {d.customer_id: d for d in session.scalars(
        select(RiskDecision).where(RiskDecision.customer_id.in_(customer_ids)).order_by(RiskDecision.customer_id)
        .with_for_update().execution_options(populate_existing=True))}


def _evidence_text(evidence: dict) -> str:
    parts = []
    said = evidence.get("from_text") or {}
    for name, value in evidence.items():
        if name == "from_text":
            continue
        if name == "materials_missing":
            parts.append("缺少：" + ("、".join(MATERIAL_NAMES[m] for m in value) or "无"))
        elif name == "materials":
            parts.append("已有资料：" + ("、".join(MATERIAL_NAMES[m] for m in value) or "无"))
        else:
            label = FACT_NAMES[name].replace("（%）", "").replace("（分）", "")
            shown = "未填写" if value is None else (f"{value}%" if name == "debt_ratio" else value)
            quote = said.get(name, {}).get("phrase") or said.get(name, {}).get("excerpt")
            parts.append(f"{label} {shown}" + (f"（聊天中：“{quote}”）" if quote else ""))
    return "，".join(parts)


def _approvers(session: Session, action: dict) -> tuple[list[int], str]:
    if "employee_id" in action:
        employee = session.get(Employee, action["employee_id"])
        return [employee.id], action.get("title") or employee.name
    ids = list(session.scalars(select(Employee.id).where(Employee.role == Role(action["role"]),
                                                         Employee.status == EmployeeStatus.active)
                               .order_by(Employee.id).limit(MAX_APPROVERS)))
    return ids, action.get("title") or ROLE_NAMES[Role(action["role"])]


def _reviewers(session: Session, action: dict) -> list[int | None]:
    """Who an alert tells besides the owner: the employees of the role the rule names, else the configured risk
    reviewer, else (nobody) the team group."""
    if "role" in action:
        return _approvers(session, {"role": action["role"]})[0]
    return [get_settings().risk_reviewer_employee_id or None]


def _notice(notices: list[RiskNotice], firing: RiskFiring, kind: str, employee_ids: list[int | None], text: str, *,
            team: bool = False) -> dict:
    """Tell these people (and the team group when ``team``, or when nobody is named) through the bot."""
    ids = sorted({i for i in employee_ids if i})
    team = team or not ids
    notices.append(RiskNotice(customer_id=firing.customer_id, firing_id=firing.id, kind=kind, employee_ids=ids,
                              to_team=team, text=text, dedupe_key=f"risk:{firing.id}:{kind}"))
    return {"to": ids, "team": team}


def _fire_all(session: Session, rule: RiskRule, customer_ids: list[int], actor_id: int | None) -> list[RiskFiring]:
    """Act on the rule's new matches, ``FIRE_BATCH`` customers at a time: each firing is recorded with its
    evidence, actions, notices and timeline entry as one alone would be, in a few statements for the batch."""
    fired = []
    for at in range(0, len(customer_ids), FIRE_BATCH):
        fired += _fire_batch(session, rule, customer_ids[at:at + FIRE_BATCH], actor_id)
    return fired


def _fire_batch(session: Session, rule: RiskRule, customer_ids: list[int], actor_id: int | None) -> list[RiskFiring]:
    facts = {f.customer_id: f for f in session.scalars(select(RiskFact).where(RiskFact.customer_id.in_(customer_ids)))}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    now = utcnow()
    firings = [RiskFiring(rule_id=rule.id, rule_version=rule.version, rule_name=rule.name, customer_id=i,
                          facts_version=facts[i].version, evidence=conditions.evidence(facts[i], rule.condition),
                          done=[], at=now) for i in customer_ids]
    session.add_all(firings)
    session.flush()
    session.execute(_m.update().where(_m.c.rule_id == rule.id, _m.c.customer_id == bindparam("match_customer"))
                    .values(firing_id=bindparam("match_firing")),
                    [{"match_customer": f.customer_id, "match_firing": f.id} for f in firings])
    kinds = {action["type"] for action in rule.actions}
    decisions = (_decisions(session, customer_ids) if kinds & {"route_approval", "return", "reject_pool"}
                 else {})
    # the same people for every firing of the batch
    reviewers = {n: _reviewers(session, a) for n, a in enumerate(rule.actions) if a["type"] == "alert"}
    approvers = {n: _approvers(session, a) for n, a in enumerate(rule.actions) if a["type"] == "route_approval"}
    notices: list[RiskNotice] = []
    tag_evidence: list[tuple] = []
    timeline: list[dict] = []
    for firing in firings:
        customer, fact = customers[firing.customer_id], facts[firing.customer_id]
        why = _evidence_text(firing.evidence)
        head = f"客户「{customer.name}」命中风控规则「{rule.name}」（{why}）"
        done = []
        for n, action in enumerate(rule.actions):
            kind = action["type"]
            if kind == "add_tag":
                tag_evidence.append((
                    firing.customer_id, f"risk:{firing.id}:{action['tag']}", None,
                    f"风控规则「{rule.name}」添加标签：{action['tag']}",
                    {"asserted": {action["tag"]: True}, "phrases": {action["tag"]: f"风控规则「{rule.name}」"},
                     "risk_firing_id": firing.id}))
                done.append({"type": kind, "tag": action["tag"]})
            elif kind == "alert":
                text = f"风控预警：{head}" + (f"。{action['text']}" if action.get("text") else "")
                done.append({"type": kind, **_notice(notices, firing, "alert", [customer.owner_id, *reviewers[n]],
                                                     text, team=not any(reviewers[n]))})
            elif kind == "route_approval":
                ids, title = approvers[n]
                decision = decisions[firing.customer_id]
                decision.awaiting_approval_role = action.get("role")
                decision.awaiting_approval_employee_id = action.get("employee_id")
                decision.awaiting_approval_title = title
                decision.approval_firing_id, decision.approval_routed_at = firing.id, firing.at
                decision.updated_at = firing.at
                sent = _notice(notices, firing, "approval", ids, f"待您审批：{head}，已流转至{title}")
                done.append({"type": kind, "awaiting": title, "role": action.get("role"),
                             "employee_id": action.get("employee_id"), **sent})
            elif kind == "return":
                wanted = action.get("materials") or conditions.required_materials(rule.condition)
                held = set(conditions.kinds_of(fact.materials_mask))
                missing = [m for m in wanted if m not in held]
                decision = decisions[firing.customer_id]
                decision.returned_missing, decision.returned_firing_id = missing, firing.id
                decision.returned_at = decision.updated_at = firing.at
                names = "、".join(MATERIAL_NAMES[m] for m in missing) or "（无）"
                sent = _notice(notices, firing, "return", [customer.owner_id],
                               f"已自动驳回：客户「{customer.name}」资料不全（规则「{rule.name}」），请补充：{names}")
                done.append({"type": kind, "missing": missing, **sent})
            elif kind == "reject_pool":
                decision = decisions[firing.customer_id]
                decision.reject_pool, decision.reject_pool_firing_id = True, firing.id
                decision.reject_pool_at = decision.updated_at = firing.at
                reason = action.get("reason") or ""
                sent = _notice(notices, firing, "reject_pool", [customer.owner_id],
                               f"已终止：{head}，客户已归入拒绝池" + (f"（{reason}）" if reason else ""))
                done.append({"type": kind, **({"reason": reason} if reason else {}), **sent})
        firing.done = done
        summary = "；".join(ACTION_NAMES[d["type"]] + (f"「{d['tag']}」" if "tag" in d else "")
                           + (f"至{d['awaiting']}" if "awaiting" in d else "") for d in done)
        timeline.append({
            "customer_id": firing.customer_id, "kind": "risk_rule_fired",
            "summary": f"风控规则「{rule.name}」命中（{why}）：{summary}",
            "data": {"firing_id": firing.id, "rule_id": rule.id, "rule_version": rule.version,
                     "evidence": firing.evidence, "done": done},
            "actor_employee_id": actor_id, "source_key": f"risk_firing:{firing.id}"})
    events.emit_many(session, notices)
    customer_service.add_timeline_many(session, timeline)
    if tag_evidence:
        tagging_service.add_evidence_many(session, "manual", tag_evidence)
        tagging_service.recompute_profiles(session, [firing.customer_id for firing in firings])
    session.flush()
    return firings


# ---------------------------------------------------------------------------------------------
# the reject pool as other modules ask for it


def in_reject_pool(customer_id_column):
    """WHERE condition: the customer is in the reject pool (for SOP task generation and mass messages to skip)."""
    return customer_id_column.in_(select(RiskDecision.customer_id).where(RiskDecision.reject_pool.is_(True)))


def not_in_reject_pool(customer_id_column):
    return customer_id_column.not_in(select(RiskDecision.customer_id).where(RiskDecision.reject_pool.is_(True)))

