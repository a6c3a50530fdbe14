"""The qualification scorecard (资质评分): a base and bands of points, each band a condition over the facts; the
score is the base plus the points of every band that holds, capped to 0–100, computed in SQL for one customer
or all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, case, func, literal, select, update
from sqlalchemy.orm import Session

from scrm.core import jobs
from scrm.core.db import utcnow
from scrm.core.errors import ValidationFailed
from scrm.org.models import Employee
from scrm.risk.models import RiskFact, RiskScorecard
from scrm.risk.schemas import ScorecardIn
from scrm.risk.service import conditions
from scrm.risk.service.rules import require_editor

MAX_BANDS = 40
MAX_POINTS = 100

# in use until a manager saves one
DEFAULT_BASE = 60
DEFAULT_BANDS = [
    {"label": "社保满 24 个月", "when": {"fact": "social_security_months", "op": ">=", "value": 24}, "points": 15},
    {"label": "社保 12–23 个月", "when": {"all": [{"fact": "social_security_months", "op": ">=", "value": 12},
                                                {"fact": "social_security_months", "op": "<", "value": 24}]},
     "points": 8},
    {"label": "基础资料齐全", "when": {"fact": "materials", "op": "has_all",
                                     "value": ["id_card", "credit_report", "bank_statement"]}, "points": 10},
    {"label": "近 3 个月查询超过 6 次", "when": {"fact": "inquiries_3m", "op": ">", "value": 6}, "points": -15},
    {"label": "轻度逾期（M1/M2）", "when": {"fact": "worst_overdue", "op": "in", "value": ["m1", "m2"]},
     "points": -10},
    {"label": "严重逾期（M3 及以上）", "when": {"fact": "worst_overdue", "op": "in", "value": ["m3_plus"]},
     "points": -40},
    {"label": "负债率超过 70%", "when": {"fact": "debt_ratio", "op": ">", "value": 70}, "points": -20},
    {"label": "网贷超过 3 笔", "when": {"fact": "online_loans", "op": ">", "value": 3}, "points": -10},
]

_f = RiskFact.__table__


@dataclass(frozen=True)
class Card:
    id: int | None
    base: int
    bands: list[dict]


def check_bands(base: Any, bands: Any) -> tuple[int, list[dict]]:
    """The stored form of a scorecard, or ValidationFailed naming the field."""
    if isinstance(base, bool) or not isinstance(base, int) or not 0 <= base <= 100:
        raise ValidationFailed("基础分是 0 到 100 之间的整数", field="base")
    if not isinstance(bands, list) or len(bands) > MAX_BANDS:
        raise ValidationFailed(f"评分项是一个列表，最多 {MAX_BANDS} 项", field="bands")
    out = []
    for i, band in enumerate(bands):
        field = f"bands[{i}]"
        if not isinstance(band, dict):
            raise ValidationFailed("每个评分项写成 {\"label\", \"when\", \"points\"}", field=field)
        extra = set(band) - {"label", "when", "points"}
        if extra:
            raise ValidationFailed("评分项只有 label、when、points 三项", field=f"{field}.{sorted(extra)[0]}")
        label = band.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 40:
            raise ValidationFailed("请写评分项的名称（至多 40 字）", field=f"{field}.label")
        points = band.get("points")
        if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > MAX_POINTS:
            raise ValidationFailed(f"分值是 -{MAX_POINTS} 到 {MAX_POINTS} 之间、不为 0 的整数", field=f"{field}.points")
        when = conditions.check(band.get("when"), f"{field}.when")
        if "score" in conditions.facts_of(when):
            raise ValidationFailed("评分项不能以资质评分本身为条件", field=f"{field}.when")
        out.append({"label": label.strip(), "when": when, "points": points})
    return base, out


def current(session: Session) -> Card:
    session.flush()
    row = session.scalars(select(RiskScorecard).order_by(RiskScorecard.id.desc()).limit(1)).first()
    if row is None:
        return Card(None, DEFAULT_BASE, DEFAULT_BANDS)
    return Card(row.id, row.base, row.bands)


def score_sql(card: Card):
    """The score of a ``risk_fact`` row as a SQL expression."""
    total = literal(card.base, Integer)
    for band in card.bands:
        total = total + case((conditions.to_sql(band["when"]), literal(band["points"], Integer)), else_=0)
    return case((total < 0, 0), (total > 100, 100), else_=total)


def recompute(session: Session, customer_ids: list[int] | None = None, card: Card | None = None) -> None:
    """Write the score of the customers (all: None) under the scorecard in use, in one UPDATE."""
    session.flush()
    stmt = update(_f).values(score=score_sql(card or current(session)))
    if customer_ids is not None:
        stmt = stmt.where(_f.c.customer_id.in_(customer_ids))
    session.execute(stmt, execution_options={"synchronize_session": False})
    for obj in list(session.identity_map.values()):
        if isinstance(obj, RiskFact):
            session.expire(obj, ["score"])


def save(session: Session, actor: Employee, command: ScorecardIn) -> RiskScorecard:
    """Save a new version of the scorecard and re-score every customer with facts in the same transaction; the
    rules are evaluated after commit (``risk.evaluate_all``)."""
    require_editor(actor)
    base, bands = check_bands(command.base, command.bands)
    row = RiskScorecard(base=base, bands=bands, created_by=actor.id, created_at=utcnow())
    session.add(row)
    session.flush()
    recompute(session, None, Card(row.id, base, bands))
    jobs.enqueue(session, "risk.evaluate_all")
    return row


def bands_held(session: Session, card: Card, customer_id: int) -> list[dict]:
    """Which bands add their points for this customer, evaluated by the same SQL as the score."""
    if not card.bands:
        return []
    session.flush()
    row = session.execute(select(*(case((conditions.to_sql(b["when"]), 1), else_=0) for b in card.bands))
                          .where(_f.c.customer_id == customer_id)).first()
    if row is None:
        return []
    return [{"label": b["label"], "points": b["points"]} for b, held in zip(card.bands, row) if held]


def preview(session: Session, base: Any, bands: Any, *, sample_size: int = 5) -> dict:
    """The score distribution this scorecard would give the customers with facts, beside today's; writes nothing."""
    base, bands = check_bands(base, bands)
    draft, now = score_sql(Card(None, base, bands)), _f.c.score
    session.flush()
    bucket = case((draft >= 100, 9), else_=draft // 10)
    counts = dict(session.execute(select(bucket, func.count()).group_by(bucket)).all())
    now_bucket = case((now >= 100, 9), else_=now // 10)
    before = dict(session.execute(select(now_bucket, func.count()).where(now.is_not(None)).group_by(now_bucket)).all())
    total, average = session.execute(select(func.count(), func.avg(draft))).one()
    changed = select(_f.c.customer_id, now, draft).where(now.is_distinct_from(draft))
    n_changed = session.scalar(select(func.count()).select_from(changed.subquery()))
    sample = session.execute(changed.order_by(_f.c.customer_id).limit(sample_size)).all() if sample_size else []
    return {
        "customers": int(total or 0),
        "average": None if average is None else round(float(average), 1),
        "below_60": int(session.scalar(select(func.count()).where(draft < 60)) or 0),
        "bands": [{"from": i * 10, "to": 100 if i == 9 else i * 10 + 9, "count": int(counts.get(i, 0)),
                   "now": int(before.get(i, 0))} for i in range(10)],
        "changed": int(n_changed or 0),
        "sample": [{"customer_id": c, "score_now": s, "score_draft": d} for c, s, d in sample],
    }
