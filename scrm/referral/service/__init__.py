"""Referral (客户拉客户): attribution at entry, commissions at settlement, withdrawals paid by finance.

Commissions and withdrawals move only through ``COMMISSION_MACHINE`` / ``WITHDRAWAL_MACHINE``;
each change is a ``ReferralTransition`` row. A customer's balance is the withdrawable commissions not
yet in a withdrawal, less what is owed back from paid commissions that were reversed (claw-back),
which the next withdrawal nets off; it may be negative.
"""

from __future__ import annotations

from scrm.referral.service.common import (
    CODE_ALPHABET,
    COMMISSION_MACHINE,
    FUNDER_TYPE_RE,
    LEDGER_STATES,
    OPEN_WITHDRAWALS,
    SCENE_PREFIX,
    WITHDRAWAL_MACHINE,
    history,
)
from scrm.referral.service.codes import (
    code_for,
    code_from_scene,
    scene_for,
    wecom_channel_for,
)
from scrm.referral.service.attribution import (
    Attribution,
    attribute,
    bank_card_hashes,
    friends,
    on_customer_created,
    on_customer_merged,
    referrer_of,
    same_person,
    upline,
)
from scrm.referral.service.rules import (
    create_rule,
    get_rule,
    list_rules,
    preview_rule,
    rule_for,
    update_rule,
)
from scrm.referral.service.withdrawals import (
    COMMISSION_SORTS,
    WITHDRAWAL_SORTS,
    approve_withdrawal,
    balance,
    card_hash,
    commissions_of_withdrawal,
    count_commissions,
    count_withdrawals,
    get_commission,
    get_withdrawal,
    list_commissions,
    list_withdrawals,
    on_customer_erased,
    pay_withdrawal,
    reject_withdrawal,
    request_withdrawal,
)
from scrm.referral.service.commissions import (
    commissions_of,
    on_deposit_refunded,
    on_order_signed,
    on_settlement_closed,
    on_settlement_voided,
    release_withdrawable,
    reverse,
)
from scrm.referral.service.figures import (
    EARNED,
    cost_by_channel,
    leaderboard,
)

__all__ = [
    "CODE_ALPHABET",
    "COMMISSION_MACHINE",
    "FUNDER_TYPE_RE",
    "LEDGER_STATES",
    "OPEN_WITHDRAWALS",
    "SCENE_PREFIX",
    "WITHDRAWAL_MACHINE",
    "history",
    "code_for",
    "code_from_scene",
    "scene_for",
    "wecom_channel_for",
    "Attribution",
    "attribute",
    "bank_card_hashes",
    "friends",
    "on_customer_created",
    "on_customer_merged",
    "referrer_of",
    "same_person",
    "upline",
    "create_rule",
    "get_rule",
    "list_rules",
    "preview_rule",
    "rule_for",
    "update_rule",
    "COMMISSION_SORTS",
    "WITHDRAWAL_SORTS",
    "approve_withdrawal",
    "balance",
    "card_hash",
    "commissions_of_withdrawal",
    "count_commissions",
    "count_withdrawals",
    "get_commission",
    "get_withdrawal",
    "list_commissions",
    "list_withdrawals",
    "on_customer_erased",
    "pay_withdrawal",
    "reject_withdrawal",
    "request_withdrawal",
    "commissions_of",
    "on_deposit_refunded",
    "on_order_signed",
    "on_settlement_closed",
    "on_settlement_voided",
    "release_withdrawable",
    "reverse",
    "EARNED",
    "cost_by_channel",
    "leaderboard",
]
