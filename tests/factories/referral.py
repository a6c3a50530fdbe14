"""Referred customers and commission rules."""

from __future__ import annotations

from decimal import Decimal

from scrm.referral import service as referral_service
from scrm.referral.schemas import RuleIn
from tests.factories.customers import make_customer


def refer(db, referrer, referred=None, **kw):
    """``referred`` (made when missing) credited to ``referrer``; returns it."""
    referred = referred or make_customer(db, **kw)
    result = referral_service.attribute(db, referred, referral_service.code_for(db, referrer).code, source="miniprogram")
    assert result.referral is not None, result.rejected
    return referred


def percent_rule(db, rate: str, *, level: int = 1, cap: str | None = None, **kw):
    return referral_service.create_rule(db, None, RuleIn(
        name=kw.pop("name", f"L{level} {rate}%"), kind="percent", rate_percent=Decimal(rate), level=level,
        cap_amount=Decimal(cap) if cap else None, **kw))


def fixed_rule(db, amount: str, *, level: int = 1, **kw):
    return referral_service.create_rule(db, None, RuleIn(
        name=kw.pop("name", f"L{level} {amount}"), kind="fixed", fixed_amount=Decimal(amount), level=level, **kw))
