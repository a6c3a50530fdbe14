"""Handover (离职继承 / 在职继承): a giver's customers and groups are planned onto takers, transferred through
WeCom in batches of at most 100, tracked until every one is final, and moved locally on acceptance.

Resumability: an item is put in a batch (status ``queued``) and that is committed before the batch's WeCom
call; the call carries the idempotency key ``handover-batch:<id>``, so a rerun after a crash gets the stored
answer instead of calling again, and a batch whose answer was recorded is never sent again.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable

from sqlalchemy import BigInteger, ColumnElement, any_, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from scrm.core import events, jobs
from scrm.core.db import insert_ignore_many, is_postgres, utcnow
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.core.statemachine import Change, Machine
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerTransferFailed
from scrm.customers.models import Customer, CustomerStatus, Stage
from scrm.groups import service as group_service
from scrm.groups.models import CustomerGroup
from scrm.handover.events import CustomerHandedOver
from scrm.handover.labels import CASE_STATUS_NAMES, ITEM_STATUS_NAMES
from scrm.handover.models import (BatchStatus, CaseKind, CaseStatus, HandoverBatch, HandoverCase, HandoverItem,
                                  HandoverTransition, ItemKind, ItemStatus)
from scrm.handover.schemas import PlanRow
from scrm.org import service as org_service
from scrm.org.events import EmployeeDeparted
from scrm.org.models import Employee, EmployeeStatus
from scrm.wecom.client import WecomError

log = logging.getLogger(__name__)

MAX_BATCH = 100  # WeCom: at most 100 customers or chats per call
ACCEPT_CHUNK = 500  # accepted customers moved per set of statements (bounded IN lists and RETURNING)
GROUP_DAILY_LIMIT = 300  # WeCom: at most 300 chats a day per original owner
ONJOB_LIMIT, ONJOB_WINDOW = 2, timedelta(days=90)  # WeCom: an on-job customer moves at most twice in 90 days
RETRYABLE_ERRCODES = {-1, 45009, 45033}
# per-customer errcodes of transfer_customer: 40100 means a transfer is already under way, i.e. started
STARTED_ERRCODES = {0, 40100}
FLAG_STAGES = (Stage.signed, Stage.processing)
STRATEGIES = ("one", "round_robin", "least_loaded", "by_tier")

FINAL = {ItemStatus.accepted, ItemStatus.refused, ItemStatus.lost, ItemStatus.rejected, ItemStatus.skipped}
REPLAN = {ItemStatus.over_limit, ItemStatus.no_record, ItemStatus.failed}
OPEN_CASE = (CaseStatus.open, CaseStatus.planned, CaseStatus.running)

REPLANNABLE = (ItemStatus.pending, ItemStatus.planned, *REPLAN)
# what re-planning a running case takes: items never given a taker and those whose transfer failed
REPLAN_ITEMS = {ItemStatus.pending, *REPLAN}
# what transfer_result's status (3 depends on the case kind) does to a waiting item
RESULT_ACTION = {1: "accept", 2: "wait", 4: "over_limit", 5: "no_record"}


def _log(session: Session, change: Change) -> None:
    session.add(HandoverTransition(entity=change.machine.entity, entity_id=change.entity_id, action=change.action,
                                   from_status=change.from_state.value if change.from_state is not None else None,
                                   to_status=change.to_state.value, actor_employee_id=change.actor_id,
                                   note=(change.note or "")[:200] or None))


def _case_entered(case: HandoverCase, status: CaseStatus) -> None:
    if status in (CaseStatus.closed, CaseStatus.cancelled):
        case.closed_at = utcnow()


def _item_entered(item: HandoverItem, status: ItemStatus) -> None:
    if status in FINAL:
        item.final_at = utcnow()


CS, IS = CaseStatus, ItemStatus
CASE_MACHINE = Machine("handover_case", "交接单", {
    (CS.open, "plan"): CS.planned,
    (CS.planned, "plan"): CS.planned,
    (CS.running, "plan"): CS.running,  # re-planning the failed items of a running case
    (CS.planned, "run"): CS.running,
    (CS.running, "run"): CS.running,
    (CS.open, "cancel"): CS.cancelled,
    (CS.planned, "cancel"): CS.cancelled,
    (CS.running, "close"): CS.closed,
    (CS.running, "track"): CS.running,  # asking WeCom for the transfers' results; the answers move the items
}, _log, on_enter=_case_entered, state_labels=CASE_STATUS_NAMES)
ITEM_MACHINE = Machine("handover_item", "交接项", {
    **{(s, "plan"): IS.planned for s in REPLANNABLE},
    **{(s, "unplan"): IS.pending for s in REPLANNABLE},
    **{(s, "skip"): IS.skipped for s in REPLANNABLE},
    (IS.planned, "queue"): IS.queued,
    **{(s, "accept"): IS.accepted for s in (IS.planned, IS.queued, IS.waiting)},
    (IS.queued, "wait"): IS.waiting,
    (IS.waiting, "wait"): IS.waiting,
    (IS.queued, "fail"): IS.failed,
    (IS.queued, "reject"): IS.rejected,
    (IS.waiting, "refuse"): IS.refused,
    (IS.waiting, "lose"): IS.lost,
    (IS.waiting, "over_limit"): IS.over_limit,
    (IS.waiting, "no_record"): IS.no_record,
}, _log, on_enter=_item_entered, state_labels=ITEM_STATUS_NAMES)


def may_replan(case: HandoverCase, progress: dict[str, int]) -> bool:
    """Whether re-planning would take any item: the case is sending and some items (``progress``: count per item
    status) were never given a taker or failed."""
    actions = CASE_MACHINE.allowed_actions(case)
    return "plan" in actions and "track" in actions and any(ItemStatus(s) in REPLAN_ITEMS for s in progress)


def ensure_runnable(case: HandoverCase) -> None:
    """InvalidTransition (409, with the reason) unless the case's transfers may be started now."""
    CASE_MACHINE.check(case, "run")


def _id_in(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter, so a list of hundreds is one bind, not hundreds."""
    if is_postgres(session):
        return column == any_(literal(list(ids), ARRAY(BigInteger)))
    return column.in_(list(ids))


def _is_local(item: HandoverItem) -> bool:
    return item.external_id.startswith("local:")


# ---------------------------------------------------------------------------------------------
# cases and detection


def get_case(session: Session, case_id: int) -> HandoverCase:
    case = session.get(HandoverCase, case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的交接单")
    return case


def get_visible_case(session: Session, viewer: Employee, case_id: int) -> HandoverCase:
    """The case, or NotFound when it does not exist or its giver is outside the viewer's scope."""
    case = session.get(HandoverCase, case_id)
    if case is None or not org_service.can_see_employee(session, viewer, case.employee_id):
        raise NotFound(f"没有编号为 {case_id} 的交接单")
    return case


def find_open_case(session: Session, employee_id: int, kind: CaseKind) -> HandoverCase | None:
    return session.scalars(select(HandoverCase).where(
        HandoverCase.employee_id == employee_id, HandoverCase.kind == kind,
        HandoverCase.status.in_(OPEN_CASE)).order_by(HandoverCase.id)).first()


def open_case(session: Session, employee_id: int, *, kind: CaseKind | str = CaseKind.resigned,
              source: str = "manual", opened_by_id: int | None = None,
              customer_ids: Iterable[int] | None = None, transfer_msg: str | None = None) -> HandoverCase:
    """Open (or return the already open) case for a giver and gather their customers and groups into it."""
    kind = CaseKind(kind)
    employee = org_service.get_employee(session, employee_id)
    if kind == CaseKind.resigned and employee.status != EmployeeStatus.departed:
        raise Conflict(f"{employee.name} 尚未离职：请先标记离职，或发起在职继承", field="employee_id")
    if kind == CaseKind.onjob and employee.status != EmployeeStatus.active:
        raise Conflict(f"{employee.name} 已离职：请发起离职继承", field="employee_id")
    case = find_open_case(session, employee.id, kind)
    if case is None:
        case = HandoverCase(kind=kind, employee_id=employee.id, handover_userid=employee.wecom_userid,
                            status=CaseStatus.open, source=source[:40], opened_by_id=opened_by_id,
                            transfer_msg=transfer_msg, plan={})
        session.add(case)
        session.flush()
    gather(session, case, customer_ids)
    return case


def gather(session: Session, case: HandoverCase, customer_ids: Iterable[int] | None = None) -> int:
    """Add the giver's customers and groups that the case does not hold yet; returns how many were added."""
    stmt = select(Customer).where(Customer.owner_id == case.employee_id, Customer.status != CustomerStatus.merged)
    if customer_ids is not None:
        stmt = stmt.where(Customer.id.in_(list(customer_ids)))
    customers = list(session.scalars(stmt.order_by(Customer.id)))
    recent = _recent_onjob_counts(session, [c.id for c in customers]) if case.kind == CaseKind.onjob else {}
    tiers = group_service.tiers_of(session, [c.id for c in customers])
    rows = []
    for c in customers:
        status, flag = ItemStatus.pending, None
        if c.status == CustomerStatus.gone:
            status, flag = ItemStatus.skipped, "gone"
        elif case.kind == CaseKind.onjob and c.wecom_external_userid and recent.get(c.id, 0) >= ONJOB_LIMIT:
            status, flag = ItemStatus.skipped, "onjob_limit"
        elif c.stage in FLAG_STAGES:
            flag = "contract_in_progress"
        tier = tiers.get(c.id)
        rows.append({"case_id": case.id, "item_kind": ItemKind.customer.value, "customer_id": c.id, "group_id": None,
                     "external_id": c.wecom_external_userid or f"local:{c.id}", "status": status.value,
                     "flag": flag, "tier": str(tier)[:8] if tier else None, "tried_taker_ids": [], "attempts": 0,
                     "notified": False, "final_at": utcnow() if status in FINAL else None})
    if customer_ids is None:
        for g in session.scalars(select(CustomerGroup).where(CustomerGroup.owner_employee_id == case.employee_id,
                                                             CustomerGroup.dismissed.is_(False))):
            rows.append({"case_id": case.id, "item_kind": ItemKind.group.value, "group_id": g.id,
                         "customer_id": None, "external_id": g.chat_id, "status": ItemStatus.pending.value,
                         "flag": None, "tier": None, "tried_taker_ids": [], "attempts": 0, "notified": False,
                         "final_at": None})
    added = insert_ignore_many(session, HandoverItem.__table__, rows, ["case_id", "item_kind", "external_id"],
                               [HandoverItem.id])
    session.flush()
    return len(added)


def _recent_onjob_counts(session: Session, customer_ids: list[int]) -> dict[int, int]:
    """On-job transfers WeCom started for each customer in the last 90 days (by any case)."""
    if not customer_ids:
        return {}
    since = utcnow() - ONJOB_WINDOW
    rows = session.execute(
        select(HandoverItem.customer_id, func.count()).join(HandoverCase, HandoverCase.id == HandoverItem.case_id)
        .where(HandoverCase.kind == CaseKind.onjob, HandoverItem.customer_id.in_(customer_ids),
               HandoverItem.sent_at >= since,
               HandoverItem.status.in_((ItemStatus.waiting, ItemStatus.accepted)))
        .group_by(HandoverItem.customer_id)).all()
    return dict(rows)


def on_employee_departed(session: Session, event: EmployeeDeparted) -> None:
    """Subscriber of ``employee.departed``: open the departed employee's handover case."""
    employee = session.get(Employee, event.employee_id)
    if employee is None or employee.status != EmployeeStatus.departed:
        return
    open_case(session, employee.id, kind=CaseKind.resigned, source=f"departed:{event.source or ''}",
              opened_by_id=event.by)


def poll_unassigned(session: Session, client: Any) -> list[int]:
    """Read WeCom's list of departed members' unassigned customers; open a case for each giver with any of
    them still ours and not already in a case. Returns the ids of the cases opened or extended."""
    by_user: dict[str, set[str]] = defaultdict(set)
    cursor = None
    while True:
        answer = client.transfer.get_unassigned_list(cursor=cursor)
        for row in answer.get("info") or []:
            by_user[row["handover_userid"]].add(row["external_userid"])
        cursor = answer.get("next_cursor")
        if answer.get("is_last", True) or not cursor:
            break
    touched = []
    for userid, externals in by_user.items():
        employee = org_service.find_by_wecom_userid(session, userid)
        if employee is None:
            log.info("unassigned customers of unknown member %s ignored", userid)
            continue
        if employee.status == EmployeeStatus.active:
            org_service.mark_departed(session, employee.id, source="wecom-unassigned")
        handled = set(session.scalars(select(HandoverItem.external_id).join(
            HandoverCase, HandoverCase.id == HandoverItem.case_id).where(
            HandoverCase.employee_id == employee.id, HandoverItem.external_id.in_(externals))))
        ours = set(session.scalars(select(Customer.wecom_external_userid).where(
            Customer.owner_id == employee.id, Customer.wecom_external_userid.in_(externals))))
        if ours - handled or find_open_case(session, employee.id, CaseKind.resigned):
            touched.append(open_case(session, employee.id, source="unassigned").id)
    return touched


# ---------------------------------------------------------------------------------------------
# planning




@dataclass
class Rule:
    strategy: str
    taker_ids: list[int] = field(default_factory=list)
    tier_takers: dict[str, list[int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"strategy": self.strategy, "taker_ids": self.taker_ids, "tier_takers": self.tier_takers}


def _check_takers(session: Session, case: HandoverCase, ids: Iterable[int], actor: Employee | None,
                  field_name: str) -> list[Employee]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    found = {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(ids)))} if ids else {}
    out = []
    for i in ids:
        e = found.get(i)
        if e is None or (actor is not None and not org_service.can_see_employee(session, actor, i)):
            raise ValidationFailed(f"没有编号为 {i} 的员工", field=field_name)
        if e.id == case.employee_id:
            raise ValidationFailed(f"{e.name} 是移交人，不能接替自己的客户", field=field_name)
        if e.status != EmployeeStatus.active:
            raise ValidationFailed(f"{e.name} 已离职，不能接替客户", field=field_name)
        if not e.wecom_userid:
            raise ValidationFailed(f"{e.name} 没有绑定企业微信账号", field=field_name)
        out.append(e)
    return out


def make_rule(session: Session, case: HandoverCase, *, strategy: str, taker_ids: Iterable[int] = (),
              department_id: int | None = None, tier_takers: dict[str, list[int]] | None = None,
              actor: Employee | None = None) -> Rule:
    """Check a planning rule: the takers exist, are active, on WeCom and inside the actor's scope."""
    if strategy not in STRATEGIES:
        raise ValidationFailed(f"分配方式只能是 {', '.join(STRATEGIES)}", field="strategy")
    ids = list(taker_ids or [])
    if department_id is not None:
        if actor is not None:
            org_service.ensure_can_manage_department(session, actor, department_id, "department_id")
        org_service.get_department(session, department_id, "department_id")
        ids += list(session.scalars(select(Employee.id).where(
            Employee.department_id == department_id, Employee.status == EmployeeStatus.active,
            Employee.wecom_userid.is_not(None), Employee.id != case.employee_id).order_by(Employee.id)))
    takers = _check_takers(session, case, ids, actor, "taker_ids")
    tiers = {}
    for tier, tids in (tier_takers or {}).items():
        tiers[str(tier)] = [e.id for e in _check_takers(session, case, tids, actor, f"tier_takers.{tier}")]
    if strategy == "by_tier":
        if not tiers and not takers:
            raise ValidationFailed("按客户等级分配需要 tier_takers", field="tier_takers")
    elif not takers:
        raise ValidationFailed("请至少选择一名接替人", field="taker_ids")
    if strategy == "one" and len(takers) != 1:
        raise ValidationFailed("“分给一人”只能选择一名接替人", field="taker_ids")
    return Rule(strategy, [e.id for e in takers], tiers)


def _keep_together(items: list[HandoverItem]) -> list[list[HandoverItem]]:
    """Units that must go to one taker. Hook for keeping a referral chain with one owner: each customer
    is its own unit until scrm.referral can name the chains."""
    return [[i] for i in items]


def _assign(session: Session, items: list[HandoverItem], rule: Rule) -> dict[int, int | None]:
    """item id -> taker id (None when every candidate was already tried for that item)."""
    pool = list(rule.taker_ids)
    every = list(dict.fromkeys(pool + [i for ids in rule.tier_takers.values() for i in ids]))
    load: dict[int, int] = defaultdict(int)
    if rule.strategy == "least_loaded":
        load.update(customer_service.open_lead_counts(session, every))
        planned = session.execute(select(HandoverItem.taker_id, func.count()).where(
            HandoverItem.taker_id.in_(every), HandoverItem.status.in_(
                (ItemStatus.planned, ItemStatus.queued, ItemStatus.waiting))).group_by(HandoverItem.taker_id)).all()
        for taker_id, n in planned:
            load[taker_id] += n
    turns: dict[str, itertools.count] = defaultdict(itertools.count)
    out: dict[int, int | None] = {}
    for unit in _keep_together(items):
        head = unit[0]
        candidates = pool
        key = "*"
        if rule.strategy == "by_tier":
            key = head.tier if head.tier in rule.tier_takers else "*"
            candidates = rule.tier_takers.get(key) or pool
        tried = set().union(*(set(i.tried_taker_ids or []) for i in unit))
        left = [c for c in candidates if c not in tried] or [c for c in every if c not in tried]
        if not left:
            taker = None
        elif rule.strategy == "least_loaded":
            taker = min(left, key=lambda c: (load[c], every.index(c)))
        elif rule.strategy == "one":
            taker = left[0]
        else:
            taker = left[next(turns[key]) % len(left)]
        for i in unit:
            out[i.id] = taker
            if taker is not None:
                load[taker] += 1
    return out


def _plannable(session: Session, case: HandoverCase, only_failed: bool) -> list[HandoverItem]:
    statuses = set(REPLAN_ITEMS)
    if not only_failed and case.status in (CaseStatus.open, CaseStatus.planned):
        statuses.add(ItemStatus.planned)
    return list(session.scalars(select(HandoverItem).where(
        HandoverItem.case_id == case.id, HandoverItem.status.in_(statuses)).order_by(HandoverItem.id)))


def _rows(session: Session, items: list[HandoverItem], takers: dict[int, int | None]) -> list[PlanRow]:
    names = dict(session.execute(select(Customer.id, Customer.name).where(
        Customer.id.in_([i.customer_id for i in items if i.customer_id]))).all())
    group_names = dict(session.execute(select(CustomerGroup.id, CustomerGroup.name).where(
        CustomerGroup.id.in_([i.group_id for i in items if i.group_id]))).all())
    ids = {t for t in takers.values() if t}
    people = dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(ids))).all())
    return [PlanRow(item_id=i.id, item_kind=i.item_kind, customer_id=i.customer_id, external_id=i.external_id,
                    name=names.get(i.customer_id, "") if i.customer_id else group_names.get(i.group_id, ""),
                    taker_id=takers.get(i.id), taker_name=people.get(takers.get(i.id)), flag=i.flag, tier=i.tier,
                    note=None if takers.get(i.id) else "没有可用的接替人")
            for i in items]


def preview_plan(session: Session, case_id: int, rule: Rule, *, only_failed: bool = False) -> list[PlanRow]:
    """What ``plan_case`` would do with this rule, without changing anything."""
    case = get_case(session, case_id)
    CASE_MACHINE.check(case, "plan")
    items = _plannable(session, case, only_failed)
    return _rows(session, items, _assign(session, items, rule))


def plan_case(session: Session, case_id: int, rule: Rule | None = None, *, only_failed: bool = False
              ) -> list[PlanRow]:
    """Give every item still to be sent (pending, failed, over limit …) a taker by the rule (default: the
    case's last rule); items left without a candidate stay pending."""
    case = get_case(session, case_id)
    if rule is None:
        if not case.plan:
            raise Conflict("这张交接单还没有分配方案", field="strategy")
        rule = Rule(**case.plan)
    CASE_MACHINE.advance(session, case, "plan")
    items = _plannable(session, case, only_failed)
    takers = _assign(session, items, rule)
    for item in items:
        taker = takers[item.id]
        ITEM_MACHINE.advance(session, item, "plan" if taker else "unplan")
        item.taker_id = taker
        item.batch_id = None
        item.note = None if taker else "没有可用的接替人"
    case.plan = rule.as_dict()
    session.flush()
    return _rows(session, items, takers)


def exclude_item(session: Session, case_id: int, item_id: int) -> HandoverItem:
    """A manager keeps an item out of the handover (e.g. a contract in progress handled by hand)."""
    item = session.get(HandoverItem, item_id)
    if item is None or item.case_id != case_id:
        raise NotFound(f"没有编号为 {item_id} 的交接项")
    ITEM_MACHINE.advance(session, item, "skip", note="经理排除")
    item.note = "经理排除"
    session.flush()
    _maybe_close(session, get_case(session, case_id))
    return item


# ---------------------------------------------------------------------------------------------
# transfer


def prepare_batches(session: Session, case_id: int) -> list[int]:
    """Put planned items into batches of at most 100 per taker (committed before any call); local-only
    customers move at once. Returns the ids of every batch still to be sent."""
    case = get_case(session, case_id)
    CASE_MACHINE.advance(session, case, "run")
    planned = list(session.scalars(select(HandoverItem).where(
        HandoverItem.case_id == case.id, HandoverItem.status == ItemStatus.planned)
        .order_by(HandoverItem.item_kind, HandoverItem.taker_id, HandoverItem.id)))
    giver = session.get(Employee, case.employee_id)
    takers = _employees(session, {i.taker_id for i in planned})
    groups_left = _groups_left_today(session, case.employee_id)
    for (kind, taker_id), chunk in itertools.groupby(planned, key=lambda i: (i.item_kind, i.taker_id)):
        chunk = list(chunk)
        local = [i.id for i in chunk if _is_local(i)]
        for start in range(0, len(local), ACCEPT_CHUNK):
            _accept_many(session, case, local[start:start + ACCEPT_CHUNK], ItemStatus.planned, giver,
                         takers[taker_id])
        remote = [i for i in chunk if not _is_local(i)]
        if kind == ItemKind.group:
            remote, groups_left = remote[:max(groups_left, 0)], groups_left - len(remote)
        for start in range(0, len(remote), MAX_BATCH):
            part = remote[start:start + MAX_BATCH]
            batch = HandoverBatch(case_id=case.id, item_kind=kind, taker_id=taker_id,
                                  takeover_userid=takers[taker_id].wecom_userid, size=len(part),
                                  status=BatchStatus.pending)
            session.add(batch)
            session.flush()
            for item in part:
                ITEM_MACHINE.advance(session, item, "queue")
                item.batch_id = batch.id
    session.flush()
    _maybe_close(session, case)
    return list(session.scalars(select(HandoverBatch.id).where(
        HandoverBatch.case_id == case.id, HandoverBatch.status == BatchStatus.pending).order_by(HandoverBatch.id)))


def _groups_left_today(session: Session, employee_id: int) -> int:
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    sent = session.scalar(select(func.count()).select_from(HandoverItem).join(
        HandoverCase, HandoverCase.id == HandoverItem.case_id).where(
        HandoverCase.employee_id == employee_id, HandoverItem.item_kind == ItemKind.group,
        HandoverItem.sent_at >= start)) or 0
    return GROUP_DAILY_LIMIT - sent


def _employees(session: Session, ids: Iterable[int | None]) -> dict[int, Employee]:
    ids = {i for i in ids if i}
    return {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(ids)))} if ids else {}


def batch_key(batch_id: int) -> str:
    return f"handover-batch:{batch_id}"


def send_batch(session: Session, batch_id: int, client: Any) -> HandoverBatch:
    """Make (or, after a crash, replay by idempotency key) one batch's WeCom call and record each item's
    answer. A quota error (45009 …) leaves the batch pending and is raised, so the job retries it later."""

    batch = session.get(HandoverBatch, batch_id)
    if batch is None:
        raise NotFound(f"没有编号为 {batch_id} 的交接批次")
    if batch.status != BatchStatus.pending:
        return batch
    case = get_case(session, batch.case_id)
    items = list(session.scalars(select(HandoverItem).where(
        HandoverItem.batch_id == batch.id, HandoverItem.status == ItemStatus.queued).order_by(HandoverItem.id)))
    if not items:
        batch.status = BatchStatus.sent
        return batch
    ids = [i.external_id for i in items]
    key = batch_key(batch.id)
    handover = case.handover_userid
    try:
        if batch.item_kind == ItemKind.group:
            call = (client.transfer.groupchat_transfer if case.kind == CaseKind.resigned
                    else client.transfer.groupchat_onjob_transfer)
            answer = call(ids, batch.takeover_userid, idempotency_key=key)
        elif case.kind == CaseKind.resigned:
            answer = client.transfer.resigned_transfer_customer(handover, batch.takeover_userid, ids,
                                                                idempotency_key=key)
        else:
            answer = client.transfer.transfer_customer(handover, batch.takeover_userid, ids,
                                                       transfer_success_msg=case.transfer_msg, idempotency_key=key)
    except WecomError as exc:
        batch.errcode = exc.errcode
        if exc.errcode is None or exc.errcode in RETRYABLE_ERRCODES:
            raise
        # the taker cannot take anything (not on WeCom, not configured for customer contact …): re-plan
        batch.status = BatchStatus.failed
        for item in items:
            _fail(session, item, "fail", exc.errcode, f"企业微信拒绝：{exc.errmsg or exc.errcode}")
        session.flush()
        return batch
    now = utcnow()
    if batch.item_kind == ItemKind.group:
        failed = {row["chat_id"]: row for row in answer.get("failed_chat_list") or []}
        taker = session.get(Employee, batch.taker_id)
        for item in items:
            item.sent_at = now
            if item.external_id in failed:
                _fail(session, item, "fail", failed[item.external_id].get("errcode"),
                      failed[item.external_id].get("errmsg"))
            else:
                ITEM_MACHINE.advance(session, item, "accept")
                group_service.set_owner(session, item.external_id, taker)
    else:
        codes = {row["external_userid"]: int(row.get("errcode", 0)) for row in answer.get("customer") or []}
        for item in items:
            code = codes.get(item.external_id, 0)
            item.sent_at = now
            item.attempts += 1
            if code in STARTED_ERRCODES:
                ITEM_MACHINE.advance(session, item, "wait")
                item.errcode = code or None
            else:
                item.note = f"企业微信拒绝转接（errcode {code}）"
                ITEM_MACHINE.advance(session, item, "reject", note=item.note)
                item.errcode = code
    batch.status = BatchStatus.sent
    batch.sent_at = now
    session.flush()
    _maybe_close(session, case)
    return batch


def _fail(session: Session, item: HandoverItem, action: str, errcode: int | None, note: str | None) -> None:
    item.note = (note or "")[:200] or None
    ITEM_MACHINE.advance(session, item, action, note=item.note)
    item.errcode = errcode
    if item.taker_id and item.taker_id not in (item.tried_taker_ids or []):
        item.tried_taker_ids = [*(item.tried_taker_ids or []), item.taker_id]


# ---------------------------------------------------------------------------------------------
# tracking


def track_case(session: Session, case_id: int, client: Any) -> dict[str, int]:
    """Poll transfer_result for every taker with waiting customers and apply each final status; failures
    are re-planned with the case's rule. Returns the number of items per status applied."""
    case = get_case(session, case_id)
    if "track" not in CASE_MACHINE.allowed_actions(case):
        return {}
    # columns, not HandoverItem objects: a case of 10,000 would otherwise sit in the identity map
    waiting = session.execute(select(HandoverItem.id, HandoverItem.taker_id, HandoverItem.external_id,
                                     HandoverItem.customer_id).where(
        HandoverItem.case_id == case.id, HandoverItem.status == ItemStatus.waiting).order_by(HandoverItem.id)).all()
    by_taker: dict[int, list] = defaultdict(list)
    for row in waiting:
        by_taker[row.taker_id].append(row)
    takers = _employees(session, by_taker)
    giver = session.get(Employee, case.employee_id)
    applied: dict[str, int] = defaultdict(int)
    fetch = client.transfer.resigned_transfer_result if case.kind == CaseKind.resigned else client.transfer.transfer_result
    for taker_id, rows in by_taker.items():
        taker = takers[taker_id]
        statuses: dict[str, int] = {}
        cursor = None
        while True:
            answer = fetch(case.handover_userid, taker.wecom_userid, cursor=cursor)
            for row in answer.get("customer") or []:
                statuses[row["external_userid"]] = int(row["status"])  # the latest transfer wins
            cursor = answer.get("next_cursor")
            if not cursor:
                break
        accepted = []
        for row in rows:
            code = statuses.get(row.external_id)
            if code is None or code == 2:
                continue
            if code == 1:
                accepted.append(row.id)
                continue
            item = session.get(HandoverItem, row.id)
            if code == 3:
                lost = case.kind == CaseKind.resigned
                item.note = "客户拒绝接替，已流失" if lost else "客户拒绝接替，仍由原跟进人跟进"
                ITEM_MACHINE.advance(session, item, "lose" if lost else "refuse", note=item.note)
                customer_service.add_timeline(
                    session, item.customer_id, "handover_refused",
                    f"客户拒绝由 {taker.name} 接替（交接单 #{case.id}）" + ("，客户已流失" if lost else ""),
                    {"case_id": case.id, "item_id": item.id, "taker_id": taker.id},
                    source_key=f"handover:{item.id}:{taker.id}:refused")
            else:
                action = RESULT_ACTION.get(code, "fail")
                _fail(session, item, action, None, {"over_limit": "接替人客户数已达上限",
                                                    "no_record": "企业微信没有这次转接的记录"}.get(action, f"未知状态 {code}"))
            applied[item.status.value] += 1
        for start in range(0, len(accepted), ACCEPT_CHUNK):
            applied[ItemStatus.accepted.value] += len(
                _accept_many(session, case, accepted[start:start + ACCEPT_CHUNK], ItemStatus.waiting, giver, taker))
    session.flush()
    if any(True for _ in session.scalars(select(HandoverItem.id).where(
            HandoverItem.case_id == case.id, HandoverItem.status.in_(REPLAN)).limit(1))) and case.plan:
        plan_case(session, case.id, only_failed=True)
    _maybe_close(session, case)
    return dict(applied)


def _accept_many(session: Session, case: HandoverCase, item_ids: list[int], from_status: ItemStatus,
                 giver: Employee, taker: Employee) -> list[int]:
    """Items still in ``from_status`` become accepted and their customers the taker's (owner, due follow-ups,
    the giver's follow, history, ``customer.handed_over``) in a handful of statements; returns the item ids
    that moved. An item already moved (a rerun, another worker) is left alone."""
    if not item_ids:
        return []
    rows = ITEM_MACHINE.advance_many(session, HandoverItem, item_ids, "accept", from_state=from_status,
                                     values={"final_at": utcnow(), "note": None}, returning=(HandoverItem.customer_id,))
    moved = [(item_id, customer_id) for item_id, customer_id in rows if customer_id is not None]
    if moved:
        what = "离职继承" if case.kind == CaseKind.resigned else "在职继承"
        summary = f"{what}：客户由 {giver.name} 转给 {taker.name}（交接单 #{case.id}）"
        done = customer_service.hand_over_many(
            session, [customer_service.HandOver(customer_id, summary, f"handover:{item_id}",
                                                {"case_id": case.id, "item_id": item_id, "kind": case.kind.value})
                      for item_id, customer_id in moved],
            giver.id, taker.id, kind="handover")
        events.emit_many(session, [
            CustomerHandedOver(customer_id=d.customer_id, case_id=case.id, kind=case.kind.value,
                               from_employee_id=giver.id, to_employee_id=taker.id,
                               previous_owner_id=d.previous_owner_id)
            for d in done])
    return [item_id for item_id, _ in rows]


def on_transfer_failed(session: Session, event: CustomerTransferFailed) -> None:
    """Subscriber of ``customer.transfer_failed``: the event names the taker, not the case, so find the
    waiting items for this customer and taker and poll their case's transfer_result."""

    case_ids = set(session.scalars(select(HandoverItem.case_id).where(
        HandoverItem.customer_id == event.customer_id, HandoverItem.taker_id == event.employee_id,
        HandoverItem.status == ItemStatus.waiting)))

    for case_id in sorted(case_ids):
        jobs.enqueue(session, "handover.track_case", case_id)


def transfer_taker(session: Session, customer_id: int, giver_userid: str) -> Employee | None:
    """Who the customer's latest handover from ``giver_userid`` (waiting or accepted) went to; None when no
    case of ours moved them (a transfer made in WeCom's admin console). WeCom has just moved the customer
    (DELETE_BY_TRANSFER), so a waiting item's case is polled now rather than at the next sweep."""
    row = session.execute(select(HandoverItem.case_id, HandoverItem.taker_id, HandoverItem.status)
                          .join(HandoverCase, HandoverCase.id == HandoverItem.case_id)
                          .where(HandoverItem.customer_id == customer_id, HandoverCase.handover_userid == giver_userid,
                                 HandoverItem.status.in_((ItemStatus.waiting, ItemStatus.accepted)),
                                 HandoverItem.taker_id.is_not(None))
                          .order_by(HandoverItem.id.desc()).limit(1)).first()
    if row is None:
        return None
    if row.status == ItemStatus.waiting:
        jobs.enqueue(session, "handover.track_case", row.case_id)
    return session.get(Employee, row.taker_id)


def _maybe_close(session: Session, case: HandoverCase) -> bool:
    if case.status != CaseStatus.running:
        return False
    session.flush()
    open_items = session.scalar(select(func.count()).select_from(HandoverItem).where(
        HandoverItem.case_id == case.id, HandoverItem.status.not_in(FINAL)))
    if open_items:
        return False
    CASE_MACHINE.advance(session, case, "close")
    session.flush()
    return True


def has_planned_items(session: Session, case_id: int) -> bool:
    return session.scalar(select(HandoverItem.id).where(
        HandoverItem.case_id == case_id, HandoverItem.status == ItemStatus.planned).limit(1)) is not None


def running_case_ids(session: Session) -> list[int]:
    return list(session.scalars(select(HandoverCase.id).where(HandoverCase.status == CaseStatus.running)
                                .order_by(HandoverCase.id)))


# ---------------------------------------------------------------------------------------------
# the taker's message


def notify_takers(session: Session, case_id: int, client: Any, agent_id: int) -> int:
    """Send each taker one app message listing the customers they received (with tiers) since the last
    message; returns how many messages went out. The key names the items, so a rerun sends nothing new."""
    case = get_case(session, case_id)
    rows = session.execute(select(HandoverItem.id, HandoverItem.taker_id, HandoverItem.tier, Customer.name)
                           .join(Customer, Customer.id == HandoverItem.customer_id)
                           .where(HandoverItem.case_id == case.id, HandoverItem.status == ItemStatus.accepted,
                                  HandoverItem.notified.is_(False))
                           .order_by(HandoverItem.taker_id, HandoverItem.id)).all()
    giver = session.get(Employee, case.employee_id)
    sent = 0
    takers = _employees(session, {r.taker_id for r in rows})
    for taker_id, group in itertools.groupby(rows, key=lambda r: r.taker_id):
        group = list(group)
        lines = [f"{r.name or '客户'}（{r.tier or '未分级'}）" for r in group]
        shown = "、".join(lines[:30]) + (f" 等 {len(lines)} 位" if len(lines) > 30 else "")
        content = f"你已接替 {giver.name} 的 {len(lines)} 位客户（交接单 #{case.id}）：{shown}"
        ids = [r.id for r in group]
        key = f"handover-notify:{case.id}:{taker_id}:{ids[0]}-{ids[-1]}:{len(ids)}"
        client.message.send_text(agent_id, takers[taker_id].wecom_userid, content, idempotency_key=key)
        for start in range(0, len(ids), 5000):  # bounded bind lists, however many a taker received
            session.execute(update(HandoverItem).where(_id_in(session, HandoverItem.id, ids[start:start + 5000]))
                            .values(notified=True).execution_options(synchronize_session=False))
        for item_id in ids:
            held = session.identity_map.get(session.identity_key(HandoverItem, item_id))
            if held is not None:
                session.expire(held, ["notified"])
        sent += 1
    session.flush()
    return sent


# ---------------------------------------------------------------------------------------------
# reading


def list_cases(session: Session, viewer: Employee, *, status: CaseStatus | None = None, open_only: bool = False
               ) -> list[HandoverCase]:
    """Cases whose giver is in the viewer's scope, newest first."""
    stmt = select(HandoverCase).where(org_service.owner_filter(session, viewer, HandoverCase.employee_id))
    if status is not None:
        stmt = stmt.where(HandoverCase.status == status)
    elif open_only:
        stmt = stmt.where(HandoverCase.status.in_(OPEN_CASE))
    return list(session.scalars(stmt.order_by(HandoverCase.id.desc())))


def progress(session: Session, case_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Items per status for each case."""
    ids = list(case_ids)
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for case_id, status, n in session.execute(select(HandoverItem.case_id, HandoverItem.status, func.count())
                                                  .where(HandoverItem.case_id.in_(ids))
                                                  .group_by(HandoverItem.case_id, HandoverItem.status)):
            out[case_id][status.value] = n
    return out


def list_items(session: Session, case_id: int, *, status: ItemStatus | None = None, failures_only: bool = False,
               page: int = 1, page_size: int = 100) -> tuple[list[HandoverItem], int]:
    stmt = select(HandoverItem).where(HandoverItem.case_id == case_id)
    if status is not None:
        stmt = stmt.where(HandoverItem.status == status)
    elif failures_only:
        stmt = stmt.where(HandoverItem.status.in_(
            {*REPLAN, ItemStatus.lost, ItemStatus.refused, ItemStatus.rejected, ItemStatus.pending}))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page, page_size = max(page, 1), min(max(page_size, 1), 500)
    rows = session.scalars(stmt.order_by(HandoverItem.id).limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), int(total)
