"""Managers' figures: the leaderboard and the commission cost per channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.customers.models import Customer
from scrm.referral.models import Commission, Referral
from scrm.referral.service.common import CS

EARNED = (CS.confirmed, CS.withdrawable, CS.paid)


def leaderboard(session: Session, *, since: datetime | None = None, limit: int = 20) -> list[dict]:
    """Referrers by commission earned (confirmed and later), with how many friends they brought."""
    earned = func.coalesce(func.sum(case((Commission.state.in_(EARNED), Commission.amount_fen), else_=0)), 0)
    stmt = (select(Commission.referrer_customer_id, earned.label("earned"),
                   func.count(func.distinct(Commission.referred_customer_id)).label("settled_friends"))
            .group_by(Commission.referrer_customer_id).order_by(earned.desc(), Commission.referrer_customer_id)
            .limit(limit))
    if since is not None:
        stmt = stmt.where(Commission.confirmed_at >= since)
    rows = session.execute(stmt).all()
    ids = [r.referrer_customer_id for r in rows]
    names = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all()) if ids else {}
    referred = dict(session.execute(select(Referral.referrer_customer_id, func.count()).where(
        Referral.referrer_customer_id.in_(ids)).group_by(Referral.referrer_customer_id)).all()) if ids else {}
    return [{"customer_id": r.referrer_customer_id, "name": names.get(r.referrer_customer_id) or "",
             "referred": referred.get(r.referrer_customer_id, 0), "settled_friends": r.settled_friends,
             "earned_fen": int(r.earned)} for r in rows]


def cost_by_channel(session: Session, *, since: datetime | None = None) -> list[dict]:
    """Commission cost (confirmed and later, net of reversals) per channel the referred customers came in by."""
    earned = func.coalesce(func.sum(case((Commission.state.in_(EARNED), Commission.amount_fen), else_=0)), 0)
    reversed_paid = func.coalesce(func.sum(case((and_(Commission.state == CS.reversed, Commission.was_paid.is_(True)),
                                                 Commission.amount_fen), else_=0)), 0)
    stmt = (select(Commission.channel_id, earned.label("earned"), reversed_paid.label("clawed"),
                   func.count(Commission.id).label("commissions"))
            .group_by(Commission.channel_id).order_by(Commission.channel_id))
    if since is not None:
        stmt = stmt.where(Commission.created_at >= since)
    rows = session.execute(stmt).all()
    ids = [r.channel_id for r in rows if r.channel_id is not None]
    names = dict(session.execute(select(Channel.id, Channel.name).where(Channel.id.in_(ids))).all()) if ids else {}
    return [{"channel_id": r.channel_id, "channel": names.get(r.channel_id, "小程序/无渠道") if r.channel_id else
             "小程序/无渠道", "commissions": r.commissions, "cost_fen": int(r.earned), "clawed_back_fen": int(r.clawed)}
            for r in rows]
