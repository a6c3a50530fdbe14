"""What the chat sidebar shows, read from the domains that own it: who may see a customer or group, the customer
card (profile, tags, tasks, follow-ups, need, application and order progress), and the JS-SDK signatures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from backoffice.orders import service as orders_service
from backoffice.orders.labels import ORDER_STATUS_NAMES
from backoffice.orders.models import OrderStatus
from scrm.core.config import get_settings
from scrm.core.crypto import mask_phone
from scrm.core.errors import ExternalServiceError
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.customers.models import Customer, FollowStatus
from scrm.groups import service as groups_service
from scrm.miniprogram_api import service as miniprogram_service
from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.sop import service as sop_service
from scrm.tagging import service as tagging_service
from scrm.wecom import jsapi
from scrm.wecom.client import get_client

log = logging.getLogger(__name__)

# the JS-SDK calls the sidebar makes (分享消息到当前会话, 获取当前外部联系人userid, 获取当前客户群的群ID)
JS_API_LIST = ["getContext", "getCurExternalContact", "getCurExternalChat", "sendChatMessage"]
ORDER_STEPS = [("签单", (OrderStatus.signed, OrderStatus.confirmed, OrderStatus.reviewed)),
               ("定金", (OrderStatus.processing,)), ("做单", (OrderStatus.processing,)),
               ("放款", (OrderStatus.disbursed,)), ("结清", (OrderStatus.settled,))]
STEP_OF = {OrderStatus.signed: 0, OrderStatus.confirmed: 0, OrderStatus.reviewed: 0, OrderStatus.processing: 2,
           OrderStatus.disbursed: 3, OrderStatus.settled: 4}


def follows_customer(session: Session, staff: Employee, customer: Customer) -> bool:
    return any(f.employee_id == staff.id and f.status == FollowStatus.active
               for f, _ in customer_service.list_follows(session, customer.id))


def may_see(session: Session, staff: Employee, customer: Customer) -> bool:
    """The salesperson follows the customer on WeCom, or the customer is inside their data scope."""
    return follows_customer(session, staff, customer) or customer_service.can_see(session, staff, customer)


def may_see_group(session: Session, staff: Employee, summary: groups_service.GroupSummary) -> bool:
    owner = summary.group.owner_employee_id
    return (bool(staff.wecom_userid) and staff.wecom_userid in summary.staff_userids) or (
        owner is not None and org_service.can_see_employee(session, staff, owner))


def js_config(url: str) -> tuple[dict | None, str | None]:
    """Both signatures for the page at ``url``, or None and why (WeCom unreachable, not configured)."""
    settings = get_settings()
    if not settings.wecom_configured:
        return None, "企业微信尚未配置（SCRM_WECOM_CORP_ID / SCRM_WECOM_SECRET），侧边栏无法连接企业微信"
    try:
        return jsapi.page_config(get_client(), url, agent_id=settings.wecom_agent_id, api_list=JS_API_LIST), None
    except ExternalServiceError as exc:
        log.warning("could not sign the sidebar page: %s", exc)
        return None, "暂时无法从企业微信取得签名，请稍后关闭侧边栏重新打开"


@dataclass
class OrderView:
    order: Any
    status_name: str
    step: int  # index in ORDER_STEPS reached; -1 for voided or refunded


def customer_card(session: Session, staff: Employee, customer: Customer) -> dict[str, Any]:
    """Everything the customer sidebar shows, in one pass of indexed reads."""
    profile = tagging_service.get_profile(session, customer.id)
    follows = customer_service.list_follows(session, customer.id)
    follow_ups = customer_service.list_follow_ups(session, customer.id, limit=5)
    duplicates = customer_service.duplicate_owners(session, customer.id)
    names = org_service.employee_names(session, {customer.owner_id} | {f.employee_id for f in follow_ups}
                                       | {o for _, o in duplicates})
    orders, _ = orders_service.list_orders(session, staff, orders_service.OrderFilter(customer_id=customer.id),
                                           limit=5)
    products = {p.id: p.name for p in customer_service.list_products(session, include_inactive=True)}
    applications = miniprogram_service.list_applications(session, customer.id)[:3]
    tags = tagging_service.tags_of_customer(session, customer.id, profile)
    shown = {t.name for t in tags}
    return {
        "c": customer, "phone": mask_phone(customer.phone), "profile": profile, "tags": tags,
        "addable_tags": [t for t in tagging_service.staff_settable_tags() if t not in shown],
        "removable_tags": {t.name for t in tags if t.source == "画像"} & set(tagging_service.staff_settable_tags()),
        "owner_name": names.get(customer.owner_id) if customer.owner_id else None,
        "follows": follows, "follow_ups": follow_ups, "names": names,
        "duplicates": [(cid, names.get(owner) if owner else None) for cid, owner in duplicates if cid != customer.id],
        "stage_name": STAGE_NAMES.get(customer.stage, customer.stage.value),
        "tier": groups_service.tier_names(session).get(groups_service.tier_of(session, customer.id) or ""),
        "tasks": sop_service.open_tasks_of_customer(session, staff, customer.id),
        "product": products.get(customer.product_id) if customer.product_id else None,
        "amount": customer_service.amount_yuan(customer),
        "applications": [(a, products.get(a.product_id, "")) for a in applications],
        "orders": [OrderView(o, ORDER_STATUS_NAMES.get(o.status, o.status.value), STEP_OF.get(o.status, -1))
                   for o in orders],
        "order_steps": [name for name, _ in ORDER_STEPS],
        "i_follow": follows_customer(session, staff, customer),
    }
