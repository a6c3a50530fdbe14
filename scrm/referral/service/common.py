"""Shared by the referral service's parts: the commission and withdrawal state machines and small helpers."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.db import utcnow
from scrm.core.statemachine import Change, Machine
from scrm.referral.labels import COMMISSION_NAMES, WITHDRAWAL_NAMES
from scrm.referral.models import CommissionState, ReferralTransition, WithdrawalState

log = logging.getLogger(__name__)

CS, WS = CommissionState, WithdrawalState


def _log(session: Session, change: Change) -> None:
    session.add(ReferralTransition(entity=change.machine.entity, entity_id=change.entity_id,
                                   from_state=change.from_state.value if change.from_state is not None else None,
                                   to_state=change.to_state.value, reason=(change.note or "")[:200], data=change.data,
                                   actor_employee_id=change.actor_id, at=utcnow()))


COMMISSION_MACHINE = Machine("commission", "佣金", {
    (CS.pending, "confirm"): CS.confirmed,
    (CS.confirmed, "release"): CS.withdrawable,
    (CS.withdrawable, "pay"): CS.paid,
    **{(s, "reverse"): CS.reversed for s in (CS.pending, CS.confirmed, CS.withdrawable, CS.paid)},
}, _log, attribute="state", state_labels=COMMISSION_NAMES)
WITHDRAWAL_MACHINE = Machine("withdrawal", "提现", {
    (WS.requested, "approve"): WS.approved,
    (WS.approved, "pay"): WS.paid,
    (WS.failed, "pay"): WS.paid,
    (WS.approved, "fail"): WS.failed,
    **{(s, "reject"): WS.rejected for s in (WS.requested, WS.approved, WS.failed)},
}, _log, attribute="state", state_labels=WITHDRAWAL_NAMES, action_labels={"pay": "付款"})
# a reversal tells the ledger only about commissions it was told about
LEDGER_STATES = {CS.confirmed, CS.withdrawable, CS.paid}
OPEN_WITHDRAWALS = (WS.requested, WS.approved, WS.failed)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SCENE_PREFIX = "r="
FUNDER_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


# ---------------------------------------------------------------------------------------------
# state machines


def history(session: Session, entity: str, entity_id: int) -> list[ReferralTransition]:
    session.flush()
    return list(session.scalars(select(ReferralTransition).where(
        ReferralTransition.entity == entity, ReferralTransition.entity_id == entity_id).order_by(ReferralTransition.id)))
