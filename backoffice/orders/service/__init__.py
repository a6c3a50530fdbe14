"""The order and its machine: the contract (签单, confirmation, review, amendment, void), its deposit (定金) with
refunds (退定) and the customer's borrowing (借款), and processing (做单) through the disbursement (放款) to
settlement. Only these functions move an order."""

from backoffice.orders.service.contracts import (AMOUNT_ROLES, ERASED_CUSTOMER, FEE_FIELDS, ORDER_MACHINE, OrderFilter,
                                                 OrderTerms, amend, confirm_contract, contract_approval, correct,
                                                 expected_fee_fen, fees_from_rule, get_order, get_visible_order,
                                                 list_orders, on_contract_approval_finished, on_customer_erased,
                                                 order_condition, require_role, review, sign_order, void)
from backoffice.orders.service.deposits import (CASH_METHODS, allowed_actions, apply_deposit, borrowings_of,
                                                confirm_deposit, confirm_refund, deposit_of, deposits_of, file_refund,
                                                get_borrowing, get_refund, interest_fen, lend, mark_repaid,
                                                outstanding_borrowings, refundable_fen, refunds_of, reject_refund,
                                                release_deposit, reopen_borrowing, repay_separately)
from backoffice.orders.service.processing import (add_follow_up, check_settle, disburse, follow_ups, reopen_settlement,
                                                  settle)

__all__ = [
    # contracts
    "AMOUNT_ROLES", "ERASED_CUSTOMER", "FEE_FIELDS", "ORDER_MACHINE", "expected_fee_fen", "fees_from_rule", "OrderFilter", "OrderTerms", "amend", "confirm_contract", "contract_approval", "correct",
    "get_order", "get_visible_order", "list_orders", "on_contract_approval_finished", "on_customer_erased", "order_condition",
    "require_role", "review", "sign_order", "void",
    # deposits, refunds and borrowing
    "CASH_METHODS", "allowed_actions", "apply_deposit", "borrowings_of", "confirm_deposit", "confirm_refund", "deposit_of", "deposits_of",
    "file_refund", "get_borrowing", "get_refund", "interest_fen", "lend", "mark_repaid", "outstanding_borrowings",
    "refundable_fen", "refunds_of", "reject_refund", "release_deposit", "reopen_borrowing", "repay_separately",
    # processing, disbursement and settlement
    "add_follow_up", "check_settle", "disburse", "follow_ups", "reopen_settlement", "settle",
]
