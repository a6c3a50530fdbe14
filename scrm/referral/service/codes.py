"""Share codes: each customer's code and the mini-program scene that carries it."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrm.channels import service as channel_service
from scrm.channels.models import Channel, ChannelKind
from scrm.customers.models import Customer
from scrm.core.db import utcnow
from scrm.core.errors import Conflict
from scrm.referral.models import ReferralCode
from scrm.referral.service.common import CODE_ALPHABET, SCENE_PREFIX


def code_for(session: Session, customer: Customer) -> ReferralCode:
    """The customer's referral code, made on first use."""
    session.flush()
    existing = session.scalars(select(ReferralCode).where(ReferralCode.customer_id == customer.id)).first()
    if existing is not None:
        return existing
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        try:
            with session.begin_nested():
                row = ReferralCode(customer_id=customer.id, code=code, created_at=utcnow())
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            existing = session.scalars(select(ReferralCode).where(ReferralCode.customer_id == customer.id)).first()
            if existing is not None:
                return existing


def scene_for(code: ReferralCode) -> str:
    """The mini-program code's ``scene`` (at most 32 characters): ``r=<code>``."""
    return SCENE_PREFIX + code.code


def code_from_scene(scene: str | None) -> str | None:
    if not scene:
        return None
    scene = scene.strip()
    return scene[len(SCENE_PREFIX):] if scene.startswith(SCENE_PREFIX) else scene


def wecom_channel_for(session: Session, customer: Customer) -> Channel:
    """A WeCom channel code whose ``state`` names the referrer, for friends who add the salesperson directly."""
    code = code_for(session, customer)
    if code.channel_id is not None:
        return session.get(Channel, code.channel_id)
    if customer.owner_id is None:
        raise Conflict("您还没有专属顾问，暂时不能生成企业微信推荐码", field="owner")
    channel = channel_service.create_channel(session, None, name=f"客户推荐·{code.code}", kind=ChannelKind.referral,
                                             team_employee_ids=[customer.owner_id], state=f"ref_{code.code}")
    channel.referrer_customer_id = customer.id
    code.channel_id = channel.id
    session.flush()
    return channel
