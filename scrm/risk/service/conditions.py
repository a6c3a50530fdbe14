"""The condition language of rules and scorecard bands: checked into a stored form, compiled to SQL over
``risk_fact``, and read back as the evidence a firing records.

A condition is a leaf ``{"fact", "op", "value"}`` or a group ``{"all": [...]}`` / ``{"any": [...]}`` whose items
are leaves or groups of leaves (nested once). Numbers compare with > >= < <= =; the worst overdue is a choice
(in, not_in); materials are a set (has_all, missing_any) and ``materials_count`` a count; any fact but the
materials may be ``present`` or ``absent``. A fact nobody entered satisfies no comparison.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, false, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from scrm.core.errors import ValidationFailed
from scrm.risk.labels import FACT_NAMES, MATERIAL_NAMES, MATERIALS, OP_NAMES, OVERDUE_NAMES
from scrm.risk.models import RiskFact

NUMBER_OPS = (">", ">=", "<", "<=", "=")
OP_ALIASES = {"≥": ">=", "≤": "<=", "==": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
COUNT_FACTS = ("inquiries_1m", "inquiries_3m", "inquiries_6m", "overdue_count", "online_loans",
               "social_security_months", "materials_count")
MONEY_FACTS = ("total_debt_fen", "monthly_income_fen")
NUMBER_FACTS = (*COUNT_FACTS, *MONEY_FACTS, "debt_ratio", "score")
FACTS = (*NUMBER_FACTS, "worst_overdue", "materials")
MAX_ITEMS = 20
QUOTED = ("phrase", "source", "source_key", "at")
MAX_NUMBER = 10**12  # past any count, and past a 100 亿元 amount in fen

_f = RiskFact.__table__
COLUMNS = {name: _f.c[name] for name in (*COUNT_FACTS, *MONEY_FACTS, "score", "worst_overdue")}
COLUMNS["debt_ratio"] = _f.c.debt_ratio_bp


def _fail(field: str, message: str):
    raise ValidationFailed(message, field=field)


def _number(fact: str, value: Any, field: str) -> int | str:
    if isinstance(value, bool) or value is None:
        _fail(field, f"「{FACT_NAMES[fact]}」要和一个数比较")
    if fact == "debt_ratio":
        try:
            ratio = Decimal(str(value))
        except InvalidOperation:
            _fail(field, "负债率要写成百分数，例如 70 或 70.5")
        if not ratio.is_finite() or ratio < 0 or ratio > 100000 or ratio != ratio.quantize(Decimal("0.01")):
            _fail(field, "负债率要写成 0 到 100000 之间、至多两位小数的百分数，例如 70")
        return str(ratio.normalize()) if ratio != ratio.to_integral() else int(ratio)
    if not isinstance(value, int):
        _fail(field, f"「{FACT_NAMES[fact]}」要和一个整数比较（金额以分为单位）")
    if value < 0:
        _fail(field, f"「{FACT_NAMES[fact]}」不会小于 0")
    if value > MAX_NUMBER:
        _fail(field, f"「{FACT_NAMES[fact]}」的比较值太大")
    if fact == "score" and value > 100:
        _fail(field, "资质评分在 0 到 100 之间")
    return value


def _choices(value: Any, allowed: dict[str, str], field: str, what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        _fail(field, f"请列出{what}（至少一项）")
    bad = [str(v)[:20] for v in value if not isinstance(v, str) or v not in allowed]
    if bad:
        _fail(field, f"未知的{what}：{'、'.join(bad)}；可选：{'、'.join(allowed)}")
    return [k for k in allowed if k in value]


def check_leaf(cond: dict, field: str) -> dict:
    extra = set(cond) - {"fact", "op", "value"}
    if extra:
        _fail(f"{field}.{sorted(extra)[0]}", "条件只有 fact、op、value 三项")
    fact = cond.get("fact")
    if not isinstance(fact, str) or fact not in FACTS:
        _fail(f"{field}.fact", f"未知的资料项 {str(fact)[:30]!r}；可选：{'、'.join(FACTS)}")
    op = cond.get("op")
    op = OP_ALIASES.get(op, op) if isinstance(op, str) else op
    value = cond.get("value")
    if op in ("present", "absent"):
        if fact == "materials":
            _fail(f"{field}.op", "资料请用 has_all（齐全）或 missing_any（缺少任一）")
        if "value" in cond:
            _fail(f"{field}.value", f"「{OP_NAMES[op]}」不需要 value")
        return {"fact": fact, "op": op}
    if fact in NUMBER_FACTS:
        if op not in NUMBER_OPS:
            _fail(f"{field}.op", f"数值比较请用 {' '.join(NUMBER_OPS)}，或 present / absent")
        return {"fact": fact, "op": op, "value": _number(fact, value, f"{field}.value")}
    if fact == "worst_overdue":
        if op not in ("in", "not_in"):
            _fail(f"{field}.op", "最严重逾期请用 in 或 not_in，或 present / absent")
        return {"fact": fact, "op": op, "value": _choices(value, OVERDUE_NAMES, f"{field}.value", "逾期等级")}
    if op not in ("has_all", "missing_any"):
        _fail(f"{field}.op", "资料请用 has_all（齐全）或 missing_any（缺少任一）")
    return {"fact": fact, "op": op, "value": _choices(value, MATERIAL_NAMES, f"{field}.value", "资料")}


def check(cond: Any, field: str = "condition", depth: int = 0) -> dict:
    """The stored form of a condition, or ValidationFailed naming the field (``condition.all[1].value``)."""
    if not isinstance(cond, dict) or not cond:
        _fail(field, "条件要写成 {\"fact\", \"op\", \"value\"} 或 {\"all\": [...]} / {\"any\": [...]}")
    groups = [k for k in ("all", "any") if k in cond]
    if not groups:
        return check_leaf(cond, field)
    if len(cond) != 1:
        _fail(field, "all 或 any 的分组里不能再写其他项")
    key = groups[0]
    if depth >= 2:
        _fail(f"{field}.{key}", "条件分组最多嵌套一层")
    items = cond[key]
    if not isinstance(items, list) or not items:
        _fail(f"{field}.{key}", "分组至少要有一个条件")
    if len(items) > MAX_ITEMS:
        _fail(f"{field}.{key}", f"一个分组最多 {MAX_ITEMS} 个条件")
    return {key: [check(item, f"{field}.{key}[{i}]", depth + 1) for i, item in enumerate(items)]}


def leaves(cond: dict) -> list[dict]:
    if "all" in cond or "any" in cond:
        return [leaf for item in cond.get("all", cond.get("any", [])) for leaf in leaves(item)]
    return [cond]


def facts_of(cond: dict) -> list[str]:
    """The facts a condition reads, in the order it names them."""
    return list(dict.fromkeys(leaf["fact"] for leaf in leaves(cond)))


def required_materials(cond: dict) -> list[str]:
    """The materials a condition asks for (has_all, missing_any), in the labels' order."""
    wanted = {m for leaf in leaves(cond) if leaf["fact"] == "materials" for m in leaf["value"]}
    return [m for m in MATERIALS if m in wanted]


def mask_of(kinds: list[str]) -> int:
    return sum(1 << MATERIALS.index(k) for k in set(kinds))


def kinds_of(mask: int | None) -> list[str]:
    return [k for i, k in enumerate(MATERIALS) if (mask or 0) >> i & 1]


def ratio_bp(value: int | str) -> int:
    return int(Decimal(str(value)) * 100)


def _leaf_sql(leaf: dict) -> ColumnElement[bool]:
    fact, op, value = leaf["fact"], leaf["op"], leaf.get("value")
    if fact == "materials":
        bits = mask_of(value)
        held = _f.c.materials_mask.op("&")(literal(bits))
        return held == bits if op == "has_all" else held != bits
    column = COLUMNS[fact]
    if op == "present":
        return column.is_not(None)
    if op == "absent":
        return column.is_(None)
    if fact == "worst_overdue":
        return column.in_(value) if op == "in" else and_(column.is_not(None), column.not_in(value))
    number = ratio_bp(value) if fact == "debt_ratio" else value
    return {">": column > number, ">=": column >= number, "<": column < number, "<=": column <= number,
            "=": column == number}[op]


def to_sql(cond: dict) -> ColumnElement[bool]:
    """WHERE condition on a query over ``risk_fact``."""
    if "all" in cond:
        return and_(*(to_sql(c) for c in cond["all"]))
    if "any" in cond:
        return or_(*(to_sql(c) for c in cond["any"])) if cond["any"] else false()
    return _leaf_sql(cond)


def fact_value(fact: RiskFact, name: str) -> Any:
    """One fact as people read it: the debt ratio in percent (text, exact), materials as their kinds."""
    if name == "materials":
        return kinds_of(fact.materials_mask)
    if name == "debt_ratio":
        return None if fact.debt_ratio_bp is None else percent(fact.debt_ratio_bp)
    return getattr(fact, name)


def percent(bp: int) -> str:
    return str((Decimal(bp) / 100).quantize(Decimal("0.01")))


def evidence(fact: RiskFact, cond: dict) -> dict:
    """The values of the facts ``cond`` reads, and for materials what is missing of what it asks for."""
    out = {name: fact_value(fact, name) for name in facts_of(cond)}
    wanted = required_materials(cond)
    if wanted:
        held = set(kinds_of(fact.materials_mask))
        out["materials_missing"] = [m for m in wanted if m not in held]
    said = {name: {k: v for k, v in stated.items() if k in QUOTED}
            for name, stated in (fact.text_facts or {}).items() if name in out and stated.get("held")}
    if said:
        out["from_text"] = said  # the words in the customer's chats that gave these values
    return out


def describe(cond: dict) -> str:
    """The condition in words, for timelines and notices."""
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        joined = ("且" if key == "all" else "或").join(describe(c) for c in cond[key])
        return f"（{joined}）" if len(cond[key]) > 1 else joined
    fact, op = cond["fact"], cond["op"]
    name = FACT_NAMES[fact].replace("（%）", "").replace("（分）", "")
    if op in ("present", "absent"):
        return f"{name}{OP_NAMES[op]}"
    value = cond["value"]
    if fact == "worst_overdue":
        shown = "、".join(OVERDUE_NAMES[v].split("（")[0] for v in value)
    elif fact == "materials":
        shown = "、".join(MATERIAL_NAMES[v] for v in value)
    elif fact == "debt_ratio":
        shown = f"{value}%"
    else:
        shown = str(value)
    return f"{name}{OP_NAMES[op]}{shown}" if fact != "materials" else f"资料{OP_NAMES[op]}：{shown}"
