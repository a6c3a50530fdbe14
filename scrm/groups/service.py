"""Customer groups as WeCom reports them (``groupchat/get``), kept by full upsert so replays are harmless;
tiering rules and the tier each customer is in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import (BigInteger, Select, String, and_, case, cast, delete, exists, func, insert, literal, not_, null,
                        or_, select, type_coerce, update)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.config import get_settings
from scrm.core.db import UTCDateTime, insert_ignore, is_postgres, utcnow
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.core.money import NotAnAmount, from_fen, to_fen, yuan_amount
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerStatus, Stage, TimelineEntry
from scrm.groups import schemas
from scrm.groups.events import TiersChanged
from scrm.groups.labels import TIER_NAMES
from scrm.groups.models import (BLOCKED, COLOUR_PATTERN, DEFAULT_TIER, KEY_PATTERN, TIER_COLOURS, TIER_POSITIONS, TIERS,
                                CustomerGroup, CustomerTier, GroupMember, RetierRun, TierChange, TierDef, TierGroup,
                                TierRule)
from scrm.org import service as org_service
from scrm.tagging.events import ProfileChanged
from scrm.tagging.models import CustomerProfile

AMOUNT_PROBLEMS = {"not_a_number": "金额须为元，最多两位小数（不能用科学计数法）", "decimals": "金额最多两位小数",
                   "negative": "金额不能为负", "too_large": "金额不能超过 {maximum:,} 元"}


def _ts(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


def get_by_chat_id(session: Session, chat_id: str) -> CustomerGroup | None:
    return session.scalars(select(CustomerGroup).where(CustomerGroup.chat_id == chat_id)).first()


def upsert_from_wecom(session: Session, info: dict) -> CustomerGroup:
    """Make our copy of a group equal to WeCom's answer: name, owner, notice and the member list."""
    group = get_by_chat_id(session, info["chat_id"])
    if group is None:
        group = CustomerGroup(chat_id=info["chat_id"])
        session.add(group)
        if info.get("create_time"):
            group.created_at = _ts(info["create_time"])
    owner = org_service.find_by_wecom_userid(session, info.get("owner") or "")
    group.name = info.get("name") or ""
    group.owner_userid = info.get("owner")
    group.owner_employee_id = owner.id if owner else None
    group.notice = info.get("notice")
    group.dismissed = False
    members = info.get("member_list") or []
    group.member_count = len(members)
    if group.member_count >= get_settings().group_member_limit:
        session.execute(update(TierGroup).where(TierGroup.chat_id == group.chat_id).values(full=True))
    session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    for m in members:
        member_type = int(m.get("type") or 1)
        customer = customer_service.get_by_external_userid(session, m["userid"]) if member_type == 2 else None
        session.add(GroupMember(
            group_id=group.id, member_userid=m["userid"], member_type=member_type,
            customer_id=customer.id if customer else None, join_scene=m.get("join_scene"),
            joined_at=_ts(m.get("join_time")),
        ))
    session.flush()
    return group


def dismiss(session: Session, chat_id: str) -> None:
    group = get_by_chat_id(session, chat_id)
    if group is None:
        group = CustomerGroup(chat_id=chat_id)
        session.add(group)
    group.dismissed = True
    group.member_count = 0
    session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))


def set_owner(session: Session, chat_id: str, employee) -> CustomerGroup | None:
    """Record a new owner for a group after WeCom moved it (群主继承); None when we do not know the group."""
    group = get_by_chat_id(session, chat_id)
    if group is None:
        return None
    group.owner_employee_id = employee.id
    group.owner_userid = employee.wecom_userid
    session.flush()
    return group


# ---------------------------------------------------------------------------------------------
# tiering rules


@dataclass(frozen=True)
class Rule:
    """A rule as the compiler sees it (a stored TierRule, or a draft in a preview)."""

    id: int | None
    name: str
    tier: str
    position: int
    conditions: dict


def _stored_conditions(c: schemas.RuleConditions) -> dict:
    """Check a rule's conditions and turn them into the stored form (amounts in fen)."""
    data = c.model_dump(exclude_none=True)
    if not data:
        raise ValidationFailed("一条规则至少要有一个条件", field="conditions")
    for name in ("intent_in", "stages_in", "tags_all", "tags_any", "tags_none"):
        if name in data:
            values = [str(v).strip() for v in data[name]]
            if not values or any(not v for v in values):
                raise ValidationFailed("列表条件不能为空，也不能含空值", field=f"conditions.{name}")
            data[name] = sorted(set(values))
    bad = [s for s in data.get("stages_in", []) if s not in {m.value for m in Stage}]
    if bad:
        raise ValidationFailed(f"未知的客户阶段：{'、'.join(bad)}", field="conditions.stages_in")
    for name in ("amount_min_yuan", "amount_max_yuan"):
        if name in data:
            try:
                value = yuan_amount(data.pop(name))
            except NotAnAmount as exc:
                raise ValidationFailed(AMOUNT_PROBLEMS[exc.kind].format(maximum=exc.maximum),
                                       field=f"conditions.{name}") from None
            data[name.replace("_yuan", "_fen")] = to_fen(value)
    if data.get("amount_min_fen", 0) > data.get("amount_max_fen", float("inf")):
        raise ValidationFailed("最低金额大于最高金额", field="conditions.amount_min_yuan")
    if set(data.get("tags_none", ())) & (set(data.get("tags_all", ())) | set(data.get("tags_any", ()))):
        raise ValidationFailed("同一个标签不能既要求有又要求没有", field="conditions.tags_none")
    if "contacted_within_days" in data and "not_contacted_days" in data:
        raise ValidationFailed("「N 天内联系过」和「N 天未联系」不能同时设置", field="conditions.not_contacted_days")
    return data


def public_conditions(stored: dict) -> dict:
    """A rule's conditions as the API shows them: amounts in yuan."""
    out = dict(stored)
    for name in ("amount_min_fen", "amount_max_fen"):
        if name in out:
            out[name.replace("_fen", "_yuan")] = str(from_fen(out.pop(name)))
    return out


def _rule_of(rule: TierRule | schemas.TierRuleIn, conditions: dict | None = None) -> Rule:
    return Rule(getattr(rule, "id", None), rule.name, rule.tier, rule.position,
                conditions if conditions is not None else rule.conditions)


def ordered(rules: list[Rule]) -> list[Rule]:
    """Precedence: every blocked-pool rule first (risk beats everything), then by position, then by id."""
    return sorted(rules, key=lambda r: (r.tier != "blocked", r.position, r.id or 0))


def active_rules(session: Session) -> list[Rule]:
    session.flush()
    return ordered([_rule_of(r) for r in session.scalars(select(TierRule).where(TierRule.active.is_(True)))])


def list_rules(session: Session) -> list[TierRule]:
    session.flush()
    rows = list(session.scalars(select(TierRule)))
    order = {r.id: i for i, r in enumerate(ordered([_rule_of(r) for r in rows]))}
    return sorted(rows, key=lambda r: order[r.id])


def _unique_name(session: Session, name: str, rule_id: int | None = None) -> None:
    other = session.scalars(select(TierRule).where(TierRule.name == name)).first()
    if other is not None and other.id != rule_id:
        raise Conflict(f"已有名为「{name}」的规则", field="name")


def create_rule(session: Session, data: schemas.TierRuleIn) -> TierRule:
    """Add a tiering rule (it applies at the next re-tiering)."""
    conditions = _stored_conditions(data.conditions)
    require_tier(session, data.tier)
    _unique_name(session, data.name)
    rule = TierRule(name=data.name, tier=data.tier, position=data.position, conditions=conditions,
                    active=data.active)
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> TierRule:
    rule = session.get(TierRule, rule_id)
    if rule is None:
        raise NotFound(f"没有编号为 {rule_id} 的分层规则")
    return rule


def update_rule(session: Session, rule_id: int, patch: schemas.TierRulePatch) -> TierRule:
    """Change a rule's fields; conditions are replaced as a whole, and a field sent as null is left as it is."""
    rule = get_rule(session, rule_id)
    if patch.conditions is not None:
        rule.conditions = _stored_conditions(patch.conditions)
    if patch.name is not None:
        _unique_name(session, patch.name, rule.id)
        rule.name = patch.name
    if patch.tier is not None:
        require_tier(session, patch.tier)
    for name in ("tier", "position", "active"):
        if getattr(patch, name) is not None:
            setattr(rule, name, getattr(patch, name))
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    session.flush()


# ---------------------------------------------------------------------------------------------
# compiling rules to SQL

COUNTED = {"preserve_rowcount": True}
_customer = Customer.__table__
_profile = CustomerProfile.__table__
_tier = CustomerTier.__table__
_change = TierChange.__table__


def _has_tag(session: Session, tag: str):
    if is_postgres(session):
        return type_coerce(_profile.c.tags, JSONB).contains([tag])
    each = func.json_each(_profile.c.tags).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == tag))


def has_any_tag(session: Session, tags: list[str]):
    """WHERE condition on a query joined to ``customer_profile``: the profile carries any of the tags."""
    return or_(*(_has_tag(session, t) for t in tags))


def _condition(session: Session, cond: dict, now: datetime):
    parts = []
    if "intent_in" in cond:
        parts.append(_profile.c.intent.in_(cond["intent_in"]))
    if "stages_in" in cond:
        parts.append(_customer.c.stage.in_([Stage(s) for s in cond["stages_in"]]))
    if "tags_all" in cond:
        parts.extend(_has_tag(session, t) for t in cond["tags_all"])
    if "tags_any" in cond:
        parts.append(has_any_tag(session, cond["tags_any"]))
    if "tags_none" in cond:
        parts.append(or_(_profile.c.id.is_(None), not_(has_any_tag(session, cond["tags_none"]))))
    amount = func.coalesce(_profile.c.amount_fen, _customer.c.amount_fen)
    if "amount_min_fen" in cond:
        parts.append(amount >= cond["amount_min_fen"])
    if "amount_max_fen" in cond:
        parts.append(amount <= cond["amount_max_fen"])
    if "contacted_within_days" in cond:
        since = literal(now - timedelta(days=cond["contacted_within_days"]), UTCDateTime)
        parts.append(_customer.c.last_contact_at >= since)
    if "not_contacted_days" in cond:
        since = literal(now - timedelta(days=cond["not_contacted_days"]), UTCDateTime)
        parts.append(or_(_customer.c.last_contact_at.is_(None), _customer.c.last_contact_at < since))
    return and_(*parts)


def _tier_case(session: Session, rules: list[Rule], now: datetime, *, lock: bool = False):
    """One CASE for the tier and one for the deciding rule, first matching rule winning; no match: the last tier."""
    fallback = default_tier(session, lock=lock)
    if not rules:
        return literal(fallback, String), null()
    whens = [(_condition(session, r.conditions, now), r) for r in rules]
    tier = case(*[(cond, literal(r.tier, String)) for cond, r in whens], else_=literal(fallback, String))
    rule = case(*[(cond, literal(r.id, BigInteger)) for cond, r in whens], else_=null())
    return tier, rule


def _tiered_customers(customer_ids: list[int] | None):
    source = (_customer.outerjoin(_profile, _profile.c.customer_id == _customer.c.id)
              .outerjoin(_tier, _tier.c.customer_id == _customer.c.id))
    where = [_customer.c.status != CustomerStatus.merged]
    if customer_ids is not None:
        where.append(_customer.c.id.in_(customer_ids))
    return source, where


# ---------------------------------------------------------------------------------------------
# re-tiering


def retier(session: Session, customer_ids: list[int] | None = None, *, now: datetime | None = None) -> RetierRun:
    """Put customers (all, or the given ones) in the tier the active rules give them, set-based.

    One INSERT ... SELECT writes a history row for each customer whose tier changes (the rules compiled
    to a CASE); the tiers, timeline entries and risk-review tasks follow from those rows in one
    statement each, whatever their number.
    """
    now = now or utcnow()
    session.flush()
    run = RetierRun(scope="all" if customer_ids is None else "customers", started_at=now)
    session.add(run)
    session.flush()
    tier_expr, rule_expr = _tier_case(session, active_rules(session), now, lock=True)
    source, where = _tiered_customers(customer_ids)
    moving = (select(literal(run.id, BigInteger), _customer.c.id, _tier.c.tier, tier_expr, rule_expr,
                     literal(now, UTCDateTime))
              .select_from(source).where(*where, or_(_tier.c.tier.is_(None), _tier.c.tier != tier_expr)))
    inserted = session.execute(insert(_change).from_select(
        ["run_id", "customer_id", "from_tier", "to_tier", "rule_id", "at"], moving), execution_options=COUNTED)
    run.changed = inserted.rowcount or 0
    if not run.changed:
        session.flush()
        return run
    of_run = _change.c.run_id == run.id
    ins = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(ins(_tier).from_select(
        ["customer_id", "tier", "rule_id", "updated_at"],
        select(_change.c.customer_id, _change.c.to_tier, _change.c.rule_id, _change.c.at)
        .where(of_run, _change.c.from_tier.is_(None))).on_conflict_do_nothing(index_elements=["customer_id"]))
    session.execute(update(_tier).where(_tier.c.customer_id == _change.c.customer_id, of_run,
                                        _change.c.from_tier.is_not(None))
                    .values(tier=_change.c.to_tier, rule_id=_change.c.rule_id, updated_at=now))
    _timeline_for_run(session, run.id)
    blocked = select(_change.c.customer_id, _change.c.id, _change.c.at).where(of_run, _change.c.to_tier == BLOCKED)
    for handler in _blocked_handlers:
        handler(session, blocked)
    events.emit(session, TiersChanged(run_id=run.id, changed=run.changed,
                                      customer_ids=None if customer_ids is None else list(customer_ids)))
    session.flush()
    return run


BlockedHandler = Callable[[Session, Select], object]
_blocked_handlers: list[BlockedHandler] = []


def on_blocked(*handlers: BlockedHandler) -> None:
    """Call ``handlers`` inside every re-tiering's transaction with the customers it moved into the blocked
    pool, as a SELECT of (customer_id, tier change id, at); the composition root installs them, as it
    subscribes to events, so that groups names no module above it."""
    _blocked_handlers.extend(h for h in handlers if h not in _blocked_handlers)


def _timeline_for_run(session: Session, run_id: int) -> None:
    label = func.coalesce(_change.c.from_tier, literal("未分层"))
    build = func.jsonb_build_object if is_postgres(session) else func.json_object
    rows = select(
        _change.c.customer_id, _change.c.at, literal("tier_changed"),
        literal("客户分层：") + label + literal(" → ") + _change.c.to_tier,
        build("from", _change.c.from_tier, "to", _change.c.to_tier, "rule_id", _change.c.rule_id,
              "run_id", _change.c.run_id),
        literal("tier:") + cast(_change.c.id, String),
    ).where(_change.c.run_id == run_id)
    timeline = TimelineEntry.__table__
    session.execute(insert(timeline).from_select(["customer_id", "at", "kind", "summary", "data", "source_key"], rows))


def changes_of_run(session: Session, run_id: int) -> list[TierChange]:
    session.flush()
    return list(session.scalars(select(TierChange).where(TierChange.run_id == run_id).order_by(TierChange.id)))


def tier_of(session: Session, customer_id: int) -> str | None:
    session.flush()
    return session.scalar(select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id))


def tier_condition(tier: str):
    """Customers the tiering put in ``tier`` (a condition on ``Customer`` for searches)."""
    return Customer.id.in_(select(CustomerTier.customer_id).where(CustomerTier.tier == tier))


def tiers_of(session: Session, customer_ids: list[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    session.flush()
    return dict(session.execute(select(CustomerTier.customer_id, CustomerTier.tier)
                                .where(CustomerTier.customer_id.in_(customer_ids))).all())


@dataclass
class GroupSummary:
    group: CustomerGroup
    tier: str | None  # the tier this group serves, when it is one of the tiers' groups
    customers: int  # external members we know as customers
    externals: int  # external members in all
    recent: list[tuple[GroupMember, str | None]]  # the latest joiners with their customer name, newest first
    staff_userids: set[str]  # the members who are staff (WeCom userids)


def group_summary(session: Session, chat_id: str, *, recent: int = 10) -> GroupSummary | None:
    """What the group-chat sidebar shows of a customer group: its tier, known customers, who joined last."""
    group = get_by_chat_id(session, chat_id)
    if group is None:
        return None
    tier = session.scalar(select(TierGroup.tier).where(TierGroup.chat_id == chat_id))
    externals, customers = session.execute(
        select(func.count(), func.count(GroupMember.customer_id))
        .where(GroupMember.group_id == group.id, GroupMember.member_type == 2)).one()
    rows = session.execute(select(GroupMember, Customer.name).outerjoin(Customer, Customer.id == GroupMember.customer_id)
                           .where(GroupMember.group_id == group.id)
                           .order_by(GroupMember.joined_at.desc().nulls_last(), GroupMember.id.desc())
                           .limit(recent)).all()
    staff = set(session.scalars(select(GroupMember.member_userid).where(GroupMember.group_id == group.id,
                                                                         GroupMember.member_type == 1)))
    return GroupSummary(group, tier, int(customers or 0), int(externals or 0), [(m, n) for m, n in rows], staff)


def tier_counts(session: Session) -> dict[str, int]:
    session.flush()
    return dict(session.execute(select(CustomerTier.tier, func.count()).group_by(CustomerTier.tier)).all())


def preview(session: Session, rules: list[schemas.TierRuleIn], *, sample_size: int = 5,
            now: datetime | None = None) -> list[dict]:
    """Who would move if these rules replaced the current ones: per from→to tier a count and a sample."""
    now = now or utcnow()
    drafts = []
    for i, rule in enumerate(rules):
        try:
            drafts.append(_rule_of(rule, _stored_conditions(rule.conditions)))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"rules[{i}].{exc.field}") from None
    names = [r.name for r in drafts]
    if len(set(names)) != len(names):
        raise ValidationFailed("规则名称重复", field="rules")
    drafts = ordered([Rule(-(i + 1), r.name, r.tier, r.position, r.conditions)
                      for i, r in enumerate(drafts) if rules[i].active])
    tier_expr, _ = _tier_case(session, drafts, now)
    source, where = _tiered_customers(None)
    moving = where + [or_(_tier.c.tier.is_(None), _tier.c.tier != tier_expr)]
    session.flush()
    counts = session.execute(select(_tier.c.tier, tier_expr, func.count()).select_from(source).where(*moving)
                             .group_by(_tier.c.tier, tier_expr)).all()
    out = []
    for from_tier, to_tier, count in sorted(counts, key=lambda r: (-r[2], str(r[0]), r[1])):
        same_from = _tier.c.tier.is_(None) if from_tier is None else _tier.c.tier == from_tier
        sample = session.scalars(select(_customer.c.id).select_from(source)
                                 .where(*moving, same_from, tier_expr == to_tier)
                                 .order_by(_customer.c.id).limit(sample_size)).all() if sample_size else []
        out.append({"from_tier": from_tier, "to_tier": to_tier, "count": count, "sample_customer_ids": list(sample)})
    return out


def on_profile_changed(session: Session, event: ProfileChanged) -> None:
    """Subscriber: re-tier the customer whose profile changed."""
    retier(session, [event.customer_id])


# ---------------------------------------------------------------------------------------------
# each tier's WeCom customer groups


def add_tier_group(session: Session, data: schemas.TierGroupIn) -> TierGroup:
    """Put a customer group (known from WeCom's callbacks or ``groupchat/list``) in a tier's list."""
    require_tier(session, data.tier)
    group = get_by_chat_id(session, data.chat_id)
    if group is None or group.dismissed:
        raise NotFound(f"没有 chat_id 为 {data.chat_id} 的客户群（群需先在企业微信建好并同步）")
    if session.scalars(select(TierGroup).where(TierGroup.chat_id == data.chat_id)).first() is not None:
        raise Conflict("这个群已经属于一个分层", field="chat_id")
    tier_group = TierGroup(tier=data.tier, chat_id=data.chat_id, position=data.position,
                           full=group.member_count >= get_settings().group_member_limit)
    session.add(tier_group)
    session.flush()
    return tier_group


def list_tier_groups(session: Session, tier: str | None = None) -> list[tuple[TierGroup, CustomerGroup]]:
    session.flush()
    stmt = select(TierGroup, CustomerGroup).join(CustomerGroup, CustomerGroup.chat_id == TierGroup.chat_id)
    if tier is not None:
        stmt = stmt.where(TierGroup.tier == tier)
    return list(session.execute(stmt.order_by(TierGroup.tier, TierGroup.position, TierGroup.id)).tuples())


def current_group(session: Session, tier: str) -> TierGroup | None:
    """The tier's group new members go to: the first in its list with room. A group at
    ``group_member_limit`` (or dismissed) is marked full and the next one takes over."""
    limit = get_settings().group_member_limit
    for tier_group, group in list_tier_groups(session, tier):
        if group.dismissed or group.member_count >= limit:
            tier_group.full = True
            continue
        if not tier_group.full:
            session.flush()
            return tier_group
    session.flush()
    return None


def ensure_join_way(session: Session, client, tier_group: TierGroup) -> TierGroup:
    """Give the group its join-way QR code (``groupchat/add_join_way``, once per group)."""
    if tier_group.join_way_qr_code:
        return tier_group
    if not tier_group.join_way_config_id:
        answer = client.join_way.add_join_way(
            [tier_group.chat_id], scene=2, remark=f"{tier_group.tier}类客户群"[:30], auto_create_room=1,
            room_base_name=f"{tier_group.tier}类客户群", room_base_id=tier_group.position + 2,
            state=f"tier-{tier_group.tier}", idempotency_key=f"join-way:{tier_group.id}")
        tier_group.join_way_config_id = answer["config_id"]
    way = client.join_way.get_join_way(tier_group.join_way_config_id)["join_way"]
    tier_group.join_way_qr_code = way.get("qr_code")
    session.flush()
    return tier_group


def tier_join_way(session: Session, client, tier: str) -> TierGroup | None:
    """The tier's current group with its QR code ready; None when every group of the tier is full."""
    tier_group = current_group(session, tier)
    return ensure_join_way(session, client, tier_group) if tier_group is not None else None


# ---------------------------------------------------------------------------------------------
# the tiers, as managers list them


def _standard_tiers() -> list[dict]:
    return [{"key": k, "name": TIER_NAMES[k], "position": TIER_POSITIONS[k], "colour": TIER_COLOURS[k],
             "reserved": k == BLOCKED, "updated_at": utcnow()} for k in TIERS]


def _ensure_tiers(session: Session) -> None:
    """A database whose tier list was emptied by hand gets the standard tiers back before one is named."""
    if session.scalar(select(func.count()).select_from(TierDef)) == 0:
        for row in _standard_tiers():
            insert_ignore(session, TierDef.__table__, row, ["key"])


def list_tiers(session: Session) -> list[TierDef]:
    """Every tier, best first, the reserved blocked pool last (the standard ones while the list is empty)."""
    session.flush()
    rows = list(session.scalars(select(TierDef).order_by(TierDef.reserved, TierDef.position, TierDef.key)))
    return rows or [TierDef(**row) for row in _standard_tiers()]


def tier_names(session: Session) -> dict[str, str]:
    """Tier key -> the name people see, in the tiers' order."""
    return {t.key: t.name for t in list_tiers(session)}


def tier_colours(session: Session) -> dict[str, str]:
    return {t.key: t.colour for t in list_tiers(session)}


def default_tier(session: Session, *, lock: bool = False) -> str:
    """Where a customer no rule matches goes: the last tier of the list. ``lock``: share-lock it (PostgreSQL) so it
    is not deleted while a re-tiering puts customers in it."""
    stmt = (select(TierDef.key).where(TierDef.reserved.is_(False))
            .order_by(TierDef.position.desc(), TierDef.key.desc()).limit(1))
    if lock and is_postgres(session):
        stmt = stmt.with_for_update(read=True)
    return session.scalar(stmt) or DEFAULT_TIER


def require_tier(session: Session, key: str, field: str = "tier") -> TierDef:
    """The tier ``key`` names, share-locked until commit on PostgreSQL (a rule naming it and its deletion cannot
    interleave), or a 422 naming the field."""
    _ensure_tiers(session)
    stmt = select(TierDef).where(TierDef.key == key)
    if is_postgres(session):
        stmt = stmt.with_for_update(read=True)
    tier = session.scalars(stmt).first()
    if tier is None:
        known = "、".join(f"{t.key}（{t.name}）" for t in list_tiers(session))
        raise ValidationFailed(f"没有分层 {str(key)[:10]!r}；现有：{known}", field=field)
    return tier


def _check_tier_fields(name: str | None, colour: str | None) -> None:
    if name is not None and not name.strip():
        raise ValidationFailed("请写分层名称", field="name")
    if colour is not None and not re.fullmatch(COLOUR_PATTERN, colour):
        raise ValidationFailed(f"颜色要写成 #RRGGBB（六位十六进制），例如 #d93025，不是 {colour[:10]!r}", field="colour")


def create_tier(session: Session, data: schemas.TierIn) -> TierDef:
    """Add a tier; its key is what rules, groups and mass messages name."""
    if not re.fullmatch(KEY_PATTERN, data.key):
        raise ValidationFailed("代码以字母开头，由字母、数字或下划线组成，至多 10 个字符，例如 A 或 VIP", field="key")
    _check_tier_fields(data.name, data.colour)
    _ensure_tiers(session)
    if session.get(TierDef, data.key) is not None or data.key.lower() == BLOCKED:
        raise Conflict(f"已有代码为 {data.key} 的分层", field="key")
    tier = TierDef(key=data.key, name=data.name.strip(), position=data.position, colour=data.colour.lower(),
                   reserved=False, updated_at=utcnow())
    try:
        with session.begin_nested():  # the same key added twice at once: the second is a 409, not a 500
            session.add(tier)
            session.flush()
    except IntegrityError:
        raise Conflict(f"已有代码为 {data.key} 的分层", field="key") from None
    return tier


def get_tier(session: Session, key: str, *, lock: bool = False) -> TierDef:
    _ensure_tiers(session)
    stmt = select(TierDef).where(TierDef.key == key)
    if lock:
        stmt = stmt.with_for_update()
    tier = session.scalars(stmt).first()
    if tier is None:
        raise NotFound(f"没有代码为 {str(key)[:10]} 的分层")
    return tier


def update_tier(session: Session, key: str, patch: schemas.TierPatch) -> TierDef:
    """Rename, recolour or reorder a tier (the blocked pool: name and colour only)."""
    tier = get_tier(session, key, lock=True)
    changes = patch.changes()
    _check_tier_fields(changes.get("name"), changes.get("colour"))
    if tier.reserved and changes.get("position") is not None:
        raise Conflict("拦截池是保留分层，总是最先匹配，不能调整顺序", field="position")
    if changes.get("name") is not None:
        tier.name = changes["name"].strip()
    if changes.get("colour") is not None:
        tier.colour = changes["colour"].lower()
    if changes.get("position") is not None:
        tier.position = changes["position"]
    tier.updated_at = utcnow()
    session.flush()
    return tier


def tier_usage(session: Session) -> dict[str, dict[str, int]]:
    """Per tier key: the customers in it, the rules and the WeCom groups naming it."""
    session.flush()
    out: dict[str, dict[str, int]] = {}
    for what, column in (("customers", CustomerTier.tier), ("rules", TierRule.tier), ("groups", TierGroup.tier)):
        for key, n in session.execute(select(column, func.count()).group_by(column)):
            out.setdefault(key, {"customers": 0, "rules": 0, "groups": 0})[what] = n
    return out


def delete_tier(session: Session, key: str) -> None:
    """Delete a tier nobody is in and nothing names: a 409 naming how many customers, rules or groups still do.
    The tier is locked first, so a re-tiering or a rule naming it waits and then finds it gone."""
    tier = get_tier(session, key, lock=True)
    if tier.reserved:
        raise Conflict("拦截池是保留分层，风控规则依赖它，不能删除", field="key")
    if session.scalar(select(func.count()).select_from(TierDef).where(TierDef.reserved.is_(False))) <= 1:
        raise Conflict("至少要保留一个分层", field="key")
    customers = session.scalar(select(func.count()).select_from(CustomerTier).where(CustomerTier.tier == key)) or 0
    rules = session.scalar(select(func.count()).select_from(TierRule).where(TierRule.tier == key)) or 0
    groups = session.scalar(select(func.count()).select_from(TierGroup).where(TierGroup.tier == key)) or 0
    held = [f"{n} {what}" for n, what in ((customers, "位客户在该分层"), (rules, "条分层规则分到该分层"),
                                          (groups, "个客户群服务该分层")) if n]
    if held:
        raise Conflict(f"不能删除分层「{tier.name}」：还有" + "，".join(held), field="key",
                       **{"customers": customers, "rules": rules, "groups": groups})
    session.delete(tier)
    session.flush()
