"""Who hears which domain event, and the modules whose functions run as jobs.

Every process (the app, the CLI, workers, the scheduler, the tests) calls ``install`` before it emits
or delivers an event; the order of a list is the order of delivery.
"""

from __future__ import annotations

import importlib

from sqlalchemy.orm import configure_mappers

from backoffice.direct_debit import tasks as debit_tasks
from backoffice.direct_debit.events import DebitSucceeded, PaymentAlertRaised
from backoffice.ledger import service as ledger_service
from backoffice.orders import service as order_service
from backoffice.orders.events import DepositRefunded, LoanDisbursed, OrderSigned
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reports import tasks as report_tasks
from backoffice.settlements import service as settlement_service
from backoffice.settlements.events import SettlementClosed, SettlementVoided
from loan_scrm.scheduler import PERIODIC
from scrm.approvals import service as approval_service
from scrm.approvals import tasks as approval_tasks
from scrm.assignment import tasks as assignment_tasks
from scrm.assignment.events import CustomerAssigned
from scrm.bot import service as bot_service
from scrm.bot import tasks as bot_tasks
from scrm.broadcast import tasks as broadcast_tasks
from scrm.channels import tasks as channel_tasks
from scrm.core import events, jobs
from scrm.customers import service as customer_service
from scrm.customers import tasks as customer_tasks
from scrm.customers.events import (CustomerCreated, CustomerDuplicatePhone, CustomerErased, CustomerFollowEnded,
                                   CustomerMerged, CustomerTransferFailed, FollowUpAdded)
from scrm.groups import service as group_service
from scrm.groups import tasks as group_tasks
from scrm.handover import service as handover_service
from scrm.handover import tasks as handover_tasks
from scrm.handover.events import CustomerHandedOver
from scrm.ingress import service as ingress_service
from scrm.ingress import tasks as ingress_tasks
from scrm.mandates import service as mandate_service
from scrm.miniprogram_api import service as miniprogram_service
from scrm.miniprogram_api.events import ApplicationSubmitted
from scrm.org import tasks as org_tasks
from scrm.org.events import EmployeeDeparted
from scrm.pipeline import service as pipeline_service
from scrm.pipeline import tasks as pipeline_tasks
from scrm.pipeline.events import StageSlaBreached
from scrm.referral import service as referral_service
from scrm.referral import tasks as referral_tasks
from scrm.referral.events import CommissionConfirmed, CommissionReversed, WithdrawalPaid
from scrm.risk import service as risk_service
from scrm.risk import tasks as risk_tasks
from scrm.risk.events import RiskNotice
from scrm.sop import service as sop_service
from scrm.sop import tasks as sop_tasks
from scrm.sop.events import SlaBreached
from scrm.tagging import service as tagging_service
from scrm.tagging import tasks as tagging_tasks
from scrm.tagging.events import ProfileChanged
from scrm.wechatpay import service as wechatpay_service
from scrm.wecom import service as wecom_service

# the modules whose functions run as jobs, registered by name as they are imported (jobs.job)
TASK_MODULES = (approval_tasks, assignment_tasks, bot_tasks, broadcast_tasks, channel_tasks, customer_tasks, group_tasks, handover_tasks,
                org_tasks, pipeline_tasks, referral_tasks, risk_tasks, sop_tasks, tagging_tasks, ingress_tasks,
                debit_tasks, report_tasks, events)

SUBSCRIPTIONS: dict[type[events.Event], list] = {
    CustomerDuplicatePhone: [bot_service.notify_duplicate_phone],
    EmployeeDeparted: [handover_service.on_employee_departed],
    CustomerTransferFailed: [handover_service.on_transfer_failed],
    CustomerHandedOver: [ingress_service.on_customer_handed_over],
    FollowUpAdded: [tagging_tasks.on_follow_up_added],
    # every module holding a copy of a customer's personal data drops it; the customers module runs last, to
    # drop from the event itself the identifiers the others needed to find their copies
    CustomerErased: [tagging_service.on_customer_erased, mandate_service.on_customer_erased,
                        referral_service.on_customer_erased, miniprogram_service.on_customer_erased,
                        wecom_service.on_customer_erased, ingress_service.on_customer_erased,
                        wechatpay_service.on_customer_erased,
                        order_service.on_customer_erased, reimbursement_service.on_customer_erased,
                        customer_service.on_customer_erased],
    CustomerCreated: [referral_service.on_customer_created, pipeline_service.on_customer_created],
    CustomerMerged: [referral_service.on_customer_merged],
    ApplicationSubmitted: [tagging_tasks.on_application_submitted],
    OrderSigned: [referral_service.on_order_signed, pipeline_service.on_order_signed],
    SettlementClosed: [miniprogram_service.on_settlement_closed, referral_service.on_settlement_closed,
                          sop_service.on_settlement_closed],
    SettlementVoided: [miniprogram_service.on_settlement_voided, referral_service.on_settlement_voided,
                          sop_service.on_settlement_voided],
    DepositRefunded: [referral_service.on_deposit_refunded],
    ProfileChanged: [group_service.on_profile_changed, risk_service.on_profile_changed],
    CustomerAssigned: [bot_service.on_customer_assigned],
    CustomerFollowEnded: [bot_service.on_follow_ended],
    SlaBreached: [bot_service.on_sla_breached],
    StageSlaBreached: [bot_service.on_stage_sla_breached],
    LoanDisbursed: [sop_service.on_loan_disbursed, pipeline_service.on_loan_disbursed],
    DebitSucceeded: [settlement_service.on_debit_succeeded],
    PaymentAlertRaised: [bot_service.on_payment_alert],
    RiskNotice: [bot_service.on_risk_notice, approval_service.on_risk_notice],
    CommissionConfirmed: [ledger_service.on_commission_confirmed],
    CommissionReversed: [ledger_service.on_commission_reversed],
    WithdrawalPaid: [ledger_service.on_withdrawal_paid],
}


# who acts, inside the re-tiering's own transaction, on the customers it moved into the blocked pool
BLOCKED_POOL = [sop_service.add_risk_reviews]


# who acts, inside the deciding transaction, when an approval of that kind of subject ends
APPROVAL_FINISHED = {"contract": [order_service.on_contract_approval_finished]}


def install() -> None:
    for event, handlers in SUBSCRIPTIONS.items():
        events.subscribe(event, *handlers)
    group_service.on_blocked(*BLOCKED_POOL)
    for subject_kind, handlers in APPROVAL_FINISHED.items():
        approval_service.on_finished(subject_kind, *handlers)


def job_modules() -> list[str]:
    """The modules whose functions run as jobs: the tables, the callback handlers, every event
    subscriber and every periodic job."""
    names = ["loan_scrm.models"] + [m.__name__ for m in TASK_MODULES]
    names += [h.__module__ for handlers in SUBSCRIPTIONS.values() for h in handlers]
    names += [jobs.registered(p.job).__module__ for p in PERIODIC]
    return list(dict.fromkeys(names))


def preload_job_modules() -> None:
    """Import what jobs run before the worker takes its first job (jieba, scikit-learn, every model),
    so no job pays seconds of imports."""
    for name in job_modules():
        importlib.import_module(name)
    configure_mappers()
