"""Commission rules per product and funder type, and the preview of what a draft rule would pay."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scrm.core.config import get_settings
from scrm.customers.models import LoanProduct
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.core.money import from_fen, to_fen
from scrm.org.models import Employee
from scrm.referral import commission as arithmetic
from scrm.referral.models import CommissionRule, RuleKind
from scrm.referral.schemas import RuleIn, RuleUpdate
from scrm.referral.service.common import FUNDER_TYPE_RE


def _clean_rule(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    name = (values.get("name") or "").strip()
    if not name or len(name) > 64:
        errors.append(("name", "规则名称为 1 到 64 个字"))
    level = values.get("level", 1)
    if level not in (1, 2):
        errors.append(("level", "层级只能是 1 或 2（更深的多级返佣不合规）"))
    code = values.get("product_code")
    if code is not None and session.scalar(select(LoanProduct.id).where(LoanProduct.code == code)) is None:
        errors.append(("product_code", f"没有贷款产品 {code}"))
    funder = values.get("funder_type")
    if funder is not None and not FUNDER_TYPE_RE.fullmatch(funder):
        errors.append(("funder_type", "资金方类型为小写字母、数字或下划线，如 bank、consumer_finance"))
    out: dict[str, Any] = {"name": name, "level": level, "product_code": code, "funder_type": funder,
                           "rate_percent": None, "fixed_fen": None, "cap_fen": None}
    try:
        kind = RuleKind(values.get("kind"))
    except ValueError:
        errors.append(("kind", "类型只能是 percent（按实收服务费比例）或 fixed（固定金额）"))
        kind = None
    out["kind"] = kind
    rate, fixed, cap = values.get("rate_percent"), values.get("fixed_amount"), values.get("cap_amount")
    if kind == RuleKind.percent:
        if rate is None or not (Decimal(0) < rate <= Decimal(100)) or rate.as_tuple().exponent < -4:
            errors.append(("rate_percent", "比例应在 0 到 100 之间，最多 4 位小数"))
        elif fixed is not None:
            errors.append(("fixed_amount", "按比例的规则不填固定金额"))
        else:
            out["rate_percent"] = rate
    elif kind == RuleKind.fixed:
        if fixed is None or fixed <= 0 or fixed.as_tuple().exponent < -2:
            errors.append(("fixed_amount", "固定金额应大于 0，最多精确到分"))
        elif rate is not None:
            errors.append(("rate_percent", "固定金额的规则不填比例"))
        else:
            out["fixed_fen"] = to_fen(fixed)
    if cap is not None:
        if cap < 0 or cap.as_tuple().exponent < -2:
            errors.append(("cap_amount", "封顶金额不能为负，最多精确到分"))
        else:
            out["cap_fen"] = to_fen(cap)
    _fail(errors)
    return out


def _fail(errors: list[tuple[str, str]]) -> None:
    if errors:
        field, message = errors[0]
        raise ValidationFailed(message, field=field, errors=[{"field": f, "message": m} for f, m in errors])


def _clashing_rule(session: Session, values: dict, exclude_id: int | None) -> CommissionRule | None:
    stmt = select(CommissionRule).where(
        CommissionRule.active.is_(True), CommissionRule.level == values["level"],
        CommissionRule.product_code.is_(None) if values["product_code"] is None
        else CommissionRule.product_code == values["product_code"],
        CommissionRule.funder_type.is_(None) if values["funder_type"] is None
        else CommissionRule.funder_type == values["funder_type"])
    if exclude_id is not None:
        stmt = stmt.where(CommissionRule.id != exclude_id)
    return session.scalars(stmt).first()


def create_rule(session: Session, actor: Employee | None, command: RuleIn) -> CommissionRule:
    """A commission rule; 409 when an active rule already covers the same product, funder type and level."""
    clean = _clean_rule(session, command.model_dump())
    other = _clashing_rule(session, clean, None)
    if other is not None:
        raise Conflict(f"规则「{other.name}」已覆盖同一产品、资金方类型和层级", field="product_code")
    rule = CommissionRule(**clean, active=True, created_by=actor.id if actor else None)
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> CommissionRule:
    rule = session.get(CommissionRule, rule_id)
    if rule is None:
        raise NotFound(f"没有编号为 {rule_id} 的佣金规则")
    return rule


def update_rule(session: Session, rule_id: int, command: RuleUpdate) -> CommissionRule:
    """Change a rule; commissions already computed keep their amounts."""
    rule = get_rule(session, rule_id)
    changes = command.changes()
    current = {"name": rule.name, "level": rule.level, "product_code": rule.product_code,
               "funder_type": rule.funder_type, "kind": rule.kind.value, "rate_percent": rule.rate_percent,
               "fixed_amount": from_fen(rule.fixed_fen) if rule.fixed_fen is not None else None,
               "cap_amount": from_fen(rule.cap_fen) if rule.cap_fen is not None else None}
    if "kind" in changes:  # a new kind drops the other kind's amount
        current.update(rate_percent=None, fixed_amount=None)
    current.update({k: v for k, v in changes.items() if k != "active"})
    clean = _clean_rule(session, current)
    active = changes.get("active", rule.active)
    if active and _clashing_rule(session, clean, rule.id) is not None:
        raise Conflict("另一条有效规则已覆盖同一产品、资金方类型和层级", field="product_code")
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.active = bool(active)
    session.flush()
    return rule


def list_rules(session: Session, *, include_inactive: bool = False) -> list[CommissionRule]:
    stmt = select(CommissionRule).order_by(CommissionRule.level, CommissionRule.id)
    if not include_inactive:
        stmt = stmt.where(CommissionRule.active.is_(True))
    return list(session.scalars(stmt))


def rule_for(session: Session, level: int, product_code: str | None, funder_type: str | None) -> CommissionRule | None:
    """The most specific active rule: product and funder type, then product, then funder type, then any."""
    rules = session.scalars(select(CommissionRule).where(
        CommissionRule.active.is_(True), CommissionRule.level == level,
        or_(CommissionRule.product_code.is_(None), CommissionRule.product_code == product_code),
        or_(CommissionRule.funder_type.is_(None), CommissionRule.funder_type == funder_type))).all()
    if not rules:
        return None
    return max(rules, key=lambda r: (r.product_code is not None, r.funder_type is not None, r.id))


def _level_rule(rule: CommissionRule | None) -> arithmetic.LevelRule | None:
    if rule is None:
        return None
    return arithmetic.LevelRule(rule.kind.value, rule.rate_percent, rule.fixed_fen, rule.cap_fen)


def preview_rule(session: Session, command: RuleIn, fee_fen: int, *, rule_id: int | None = None) -> list[dict]:
    """What each referrer level would earn on a settlement collecting ``fee_fen`` if this draft rule were
    in force at its level (the other levels keep their current rules), by the same arithmetic as closing."""
    clean = _clean_rule(session, command.model_dump())
    if fee_fen < 0:
        _fail([("sample_fee", "服务费不能为负")])
    draft = arithmetic.LevelRule(clean["kind"].value, clean["rate_percent"], clean["fixed_fen"], clean["cap_fen"])
    settings = get_settings()
    levels = range(1, max(settings.referral_depth, clean["level"]) + 1)
    rules: list[arithmetic.LevelRule | None] = []
    names: list[str | None] = []
    for level in levels:
        if level == clean["level"]:
            rules.append(draft)
            names.append(clean["name"])
        else:
            current = rule_for(session, level, clean["product_code"], clean["funder_type"])
            if current is not None and current.id == rule_id:
                current = None
            rules.append(_level_rule(current))
            names.append(current.name if current else None)
    amounts = arithmetic.split(fee_fen, rules, settings.referral_max_fee_share_percent)
    return [{"level": level, "rule": name, "amount_fen": amount} for level, name, amount in zip(levels, names, amounts)]
