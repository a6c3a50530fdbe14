"""The WeCom bot: notifications batched into one digest per person (or per team group) per window,
and the commands salespeople type to the WeCom app.

Notifications go to an outbox table; the flush job turns each person's waiting lines into one
markdown app message (``message/send``), and team notices into one group-robot webhook message.
A command is answered from the inbox job with an app message (not a passive reply: the answer reads
the database and WeCom's 5-second window belongs to the ingress).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from scrm.assignment.events import CustomerAssigned

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from scrm.bot.models import BotMessage, Notification
from scrm.core import events
from scrm.core import crypto
from scrm.core.config import get_settings
from scrm.core.db import insert_ignore_many, utcnow
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerDuplicatePhone, CustomerFollowEnded
from scrm.customers.labels import STAGE_NAMES
from scrm.customers.models import Customer, CustomerStatus
from scrm.groups import service as group_service
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.pipeline.events import StageSlaBreached
from scrm.risk.events import RiskNotice
from scrm.sop import service as sop_service
from scrm.sop.events import SlaBreached
from scrm.tagging import service as tagging_service
from scrm.tagging.labels import INTENT_NAMES
from scrm.tagging.profile import INTENT_TAGS
from scrm.wecom.client import get_client

log = logging.getLogger(__name__)

MARKDOWN_MAX_BYTES = 2048  # message/send markdown content limit
WEBHOOK_MAX_BYTES = 4096  # group robot markdown content limit
MATCH_LIMIT = 5

HELP = ("可用命令：\n"
        "今日任务 —— 今天要跟进的客户\n"
        "查客户 <姓名或手机尾号> —— 客户画像、分层、最近跟进\n"
        "跟进 <客户> <内容> —— 记一条跟进\n"
        "帮助 —— 显示本说明")


# ---------------------------------------------------------------------------------------------
# notifications


def notify(session: Session, employee_id: int | None, kind: str, text: str, *, dedupe_key: str | None = None) -> bool:
    """Queue one line for a person's next digest (``employee_id`` None: the team group); False when
    a line with this dedupe key is already there."""
    session.flush()
    rows = insert_ignore_many(session, Notification.__table__, [{
        "employee_id": employee_id, "kind": kind, "text": text[:1000], "dedupe_key": dedupe_key,
        "created_at": utcnow()}], ["dedupe_key"], [Notification.id])
    return bool(rows)


def _digest_body(lines: list[str], limit: int, title: str) -> str:
    body = f"**{title}（{len(lines)} 条）**"
    for i, line in enumerate(lines):
        more = f"\n> …另有 {len(lines) - i} 条，发送「今日任务」查看"
        candidate = f"{body}\n> {line}"
        if len((candidate + more).encode()) > limit and i < len(lines) - 1 or len(candidate.encode()) > limit:
            return body + more
        body = candidate
    return body


def build_digests(session: Session) -> list[int]:
    """Gather every waiting notification into one message per recipient; returns the message ids."""
    session.flush()
    waiting = list(session.scalars(select(Notification).where(Notification.message_id.is_(None))
                                   .order_by(Notification.id).with_for_update(skip_locked=True)))
    by_person: dict[int | None, list[Notification]] = {}
    for n in waiting:
        by_person.setdefault(n.employee_id, []).append(n)
    ids = []
    for employee_id, items in by_person.items():
        team = employee_id is None
        body = _digest_body([n.text for n in items], WEBHOOK_MAX_BYTES if team else MARKDOWN_MAX_BYTES,
                            "团队提醒" if team else "新提醒")
        message = BotMessage(kind="digest", employee_id=employee_id, channel="webhook" if team else "app",
                             body=body)
        session.add(message)
        session.flush()
        session.execute(update(Notification).where(Notification.id.in_([n.id for n in items]))
                        .values(message_id=message.id))
        ids.append(message.id)
    return ids


def send_message(session: Session, message_id: int) -> bool:
    """Send one built message (once: WeCom calls are keyed by the message id); True when it went out."""
    message = session.get(BotMessage, message_id)
    if message is None or message.sent_at is not None:
        return False
    if message.channel == "webhook":
        url = get_settings().bot_team_webhook_url
        if not url:
            message.error = "no team webhook configured (SCRM_BOT_TEAM_WEBHOOK_URL)"
            return False
        try:
            post_webhook(url, {"msgtype": "markdown", "markdown": {"content": message.body}})
        except WebhookRejected as exc:
            message.error = str(exc)[:300]
            return False
    else:
        employee = session.get(Employee, message.employee_id)
        if employee is None or not employee.wecom_userid or employee.status != EmployeeStatus.active:
            message.error = "recipient has no active WeCom account"
            return False
        answer = _app_client().message.send(
            get_settings().wecom_agent_id, employee.wecom_userid,
            msg={"msgtype": "markdown", "markdown": {"content": message.body}} if message.kind == "digest"
            else {"msgtype": "text", "text": {"content": message.body}},
            idempotency_key=f"bot:{message.id}")
        message.wecom_msgid = (answer or {}).get("msgid")
    message.sent_at = utcnow()
    session.flush()
    return True


def _app_client():

    return get_client()


class WebhookError(Exception):
    pass


class WebhookRejected(WebhookError):
    """The robot refused the message for good (bad key, bad content): retrying will not help."""


def post_webhook(url: str, body: dict, *, attempts: int = 4, base_s: float = 0.5) -> dict:
    """POST to a group robot (群机器人); retried with backoff on network errors, busy (-1) and the
    20-messages-a-minute limit (45009)."""
    last = None
    for attempt in range(attempts):
        try:
            answer = requests.post(url, json=body, timeout=10).json()
        except (requests.RequestException, ValueError) as exc:
            last = str(exc)
        else:
            code = answer.get("errcode")
            if code == 0:
                return answer
            last = f"{code}: {answer.get('errmsg', '')[:120]}"
            if code not in (-1, 45009):
                raise WebhookRejected(last)
        time.sleep(base_s * 2 ** attempt)
    raise WebhookError(last or "webhook failed")


def queue_morning(session: Session, now: datetime | None = None) -> int:
    """From ``bot_morning_hour`` local time on: each salesperson's list of today's tasks, once a day."""
    now = now or utcnow()
    if now.astimezone(sop_service.local_zone()).hour < get_settings().bot_morning_hour:
        return 0
    today = sop_service.local_today(now)
    queued = 0
    employees = session.scalars(select(Employee).where(Employee.status == EmployeeStatus.active,
                                                       Employee.wecom_userid.is_not(None)))
    for employee in employees:
        tasks = sop_service.today_tasks(session, employee.id, now)
        if tasks and notify(session, employee.id, "today_tasks", _today_line(session, tasks),
                            dedupe_key=f"today:{employee.id}:{today.isoformat()}"):
            queued += 1
    return queued


def _today_line(session: Session, tasks) -> str:
    names = _names(session, [t.customer_id for t in tasks])
    shown = "、".join(f"{names.get(t.customer_id, '')}（{t.title}）" for t in tasks[:5])
    return f"今日待办 {len(tasks)} 项：{shown}{' 等' if len(tasks) > 5 else ''}"


def _names(session: Session, customer_ids: list[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(set(customer_ids)))).all())


def on_customer_assigned(session: Session, event: CustomerAssigned) -> None:
    """Subscriber: tell the salesperson about a new lead."""
    customer = session.get(Customer, event.customer_id)
    if customer is None:
        return
    notify(session, event.employee_id, "new_lead", f"新线索分配给你：{customer.name or '未命名客户'}"
           f"（{crypto.mask_phone(customer.phone) or '无手机号'}），请尽快联系",
           dedupe_key=f"assigned:{customer.id}:{event.employee_id}:{customer.assigned_at or ''}"[:120])


def on_follow_ended(session: Session, event: CustomerFollowEnded) -> None:
    """Subscriber: tell the salesperson a customer deleted them."""
    if not event.by_customer:
        return
    customer = session.get(Customer, event.customer_id)
    name = customer.name if customer else ""
    notify(session, event.employee_id, "deleted_by_customer", f"客户「{name}」已将你删除",
           dedupe_key=f"follow_ended:{event.customer_id}:{event.employee_id}")


def on_sla_breached(session: Session, event: SlaBreached) -> None:
    """Subscriber: an uncontacted lead past its SLA, to its owner, the supervisor and the team group."""
    names = _names(session, [event.customer_id])
    name = names.get(event.customer_id, "")
    owner = session.get(Employee, event.owner_employee_id) if event.owner_employee_id else None
    text = f"线索「{name}」超时未联系（跟进人：{owner.name if owner else '无'}）"
    key = f"sla:{event.task_id}"
    notify(session, event.owner_employee_id, "sla_breach", text, dedupe_key=f"{key}:owner")
    if event.supervisor_employee_id:
        notify(session, event.supervisor_employee_id, "sla_breach", text, dedupe_key=f"{key}:supervisor")
    if get_settings().bot_team_webhook_url:
        notify(session, None, "sla_breach", text, dedupe_key=f"{key}:team")


def on_stage_sla_breached(session: Session, event: StageSlaBreached) -> None:
    """Subscriber: a customer past a pipeline stage's SLA, to the task's assignee (level 2: the supervisor) and the
    step's owner."""
    name = _names(session, [event.customer_id]).get(event.customer_id, "")
    hours = event.sla_hours * event.level
    text = (f"客户「{name}」在「{event.stage_name}」阶段已超过 {hours} 小时" +
            ("，已升级给主管" if event.level == 2 else "，请尽快推进"))
    key = f"stage_sla:{event.task_id}"
    notify(session, event.assignee_employee_id, "stage_sla", text, dedupe_key=f"{key}:assignee")
    if event.owner_employee_id and event.owner_employee_id != event.assignee_employee_id:
        notify(session, event.owner_employee_id, "stage_sla", text, dedupe_key=f"{key}:owner")


def on_payment_alert(session: Session, event: events.Event) -> None:
    """Subscriber: a direct-debit alert goes to every active finance employee's next digest; one the payload
    marks ``hourly`` (anyone outside can cause it) once an hour per kind."""
    kind = event.kind
    debit = f"（代扣单 {event.debit_id}）" if event.debit_id else ""
    text = f"代扣告警：{event.label or kind}{debit}，请到财务中心核对。{event.message}"
    scope = f"{kind}:{utcnow():%Y%m%d%H}" if event.hourly else str(event.alert_id)
    finance = session.scalars(select(Employee.id).where(Employee.role == Role.finance,
                                                        Employee.status == EmployeeStatus.active)).all()
    for employee_id in finance:
        notify(session, employee_id, "payment_alert", text, dedupe_key=f"payment-alert:{scope}:{employee_id}")


def on_risk_notice(session: Session, event: RiskNotice) -> None:
    """Subscriber: a risk rule's alert, approval request, return or reject-pool notice to each person it names, and
    to the team group when it says so."""
    for employee_id in [*event.employee_ids, *([None] if event.to_team else [])]:
        notify(session, employee_id, f"risk_{event.kind}", event.text,
               dedupe_key=f"{event.dedupe_key}:{employee_id or 'team'}")


def send_text(userid: str, content: str, *, idempotency_key: str) -> None:
    """An app message to one salesperson (the bot's voice), sent once per key."""
    settings = get_settings()
    _app_client().message.send_text(settings.wecom_agent_id, userid, content, idempotency_key=idempotency_key)


def notify_duplicate_phone(session: Session, event: CustomerDuplicatePhone) -> None:
    """Subscriber: tell the second salesperson that the customer they added is already someone else's."""
    other = org_service.get_employee(session, event.other_employee_id)
    owner = org_service.get_employee(session, event.owner_id)
    if not other.wecom_userid:
        return
    customer = customer_service.get(session, event.customer_id)
    send_text(other.wecom_userid,
              f"您刚添加的客户与 {owner.name} 正在跟进的客户「{customer.name}」（{crypto.mask_phone(customer.phone)}）"
              f"手机号相同，该客户归属 {owner.name}，请先与其协调，避免撞单。",
              idempotency_key=f"dup-notice:{event.customer_id}:{event.other_customer_id}")


# ---------------------------------------------------------------------------------------------
# commands


def handle_text(session: Session, fields: dict, key: str) -> BotMessage | None:
    """Inbox handler for a text a member sent to the app: answer it once (a replay sends nothing)."""
    employee = org_service.find_by_wecom_userid(session, fields.get("FromUserName") or "")
    if employee is None or employee.status != EmployeeStatus.active:
        return None
    existing = session.scalars(select(BotMessage).where(BotMessage.reply_to == key)).first()
    if existing is None:
        existing = BotMessage(kind="reply", employee_id=employee.id, channel="app", reply_to=key,
                              body=answer(session, employee, fields.get("Content") or ""))
        session.add(existing)
        session.flush()
    send_message(session, existing.id)
    return existing


def answer(session: Session, employee: Employee, text: str) -> str:
    """The bot's answer to one command."""
    words = text.strip().split(maxsplit=1)
    command, rest = (words[0], words[1].strip() if len(words) > 1 else "") if words else ("", "")
    if command in ("帮助", "help", "?", "？"):
        return HELP
    if command == "今日任务":
        return _today_answer(session, employee)
    if command == "查客户":
        return _lookup_answer(session, employee, rest) if rest else "请在「查客户」后写客户姓名或手机尾号，例如：查客户 张三"
    if command == "跟进":
        return _follow_up_answer(session, employee, rest)
    return f"没看懂「{text.strip()[:20]}」。\n{HELP}"


def _today_answer(session: Session, employee: Employee) -> str:
    tasks = sop_service.today_tasks(session, employee.id)
    if not tasks:
        return "今天没有待办任务。"
    names = _names(session, [t.customer_id for t in tasks])
    now = utcnow()
    lines = [f"今日任务 {len(tasks)} 项："]
    for i, t in enumerate(tasks[:20], 1):
        late = "（已逾期）" if t.due_at < now and sop_service.local_today(t.due_at) < sop_service.local_today(now) else ""
        lines.append(f"{i}. {names.get(t.customer_id, '')}：{t.title}{late}")
    if len(tasks) > 20:
        lines.append(f"…另有 {len(tasks) - 20} 项，请到工作台查看")
    return "\n".join(lines)


def find_customers(session: Session, viewer: Employee, query: str) -> list[Customer]:
    """Customers in the viewer's scope by name (exact matches first) or by the last four phone digits."""
    query = query.strip()
    stmt = select(Customer).where(customer_service.visible_condition(session, viewer),
                                  Customer.status != CustomerStatus.merged)
    if re.fullmatch(r"\d{4}", query):
        stmt = stmt.where(Customer.phone_tail == query)
    else:
        stmt = stmt.where(or_(Customer.name == query, Customer.name.like(f"%{_escape(query)}%", escape="\\")))
    rows = list(session.scalars(stmt.order_by(Customer.id).limit(50)))
    rows.sort(key=lambda c: (c.name != query, c.id))
    return rows[:MATCH_LIMIT + 1]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _card(session: Session, customer: Customer) -> str:
    profile = tagging_service.get_profile(session, customer.id)
    tier = group_service.tier_of(session, customer.id) or "未分层"
    lines = [f"客户：{customer.name}（{crypto.mask_phone(customer.phone) or '无手机号'}）",
             f"分层：{tier}｜阶段：{STAGE_NAMES.get(customer.stage.value, customer.stage.value)}"]
    if profile is not None:
        detail = [f"意向{INTENT_NAMES.get(profile.intent, profile.intent)}"]
        if profile.product:
            detail.append(profile.product)
        if profile.amount_fen:
            detail.append(f"金额 {profile.amount_fen // 1000000} 万" if profile.amount_fen >= 1000000
                          else f"金额 {profile.amount_fen // 100} 元")
        tags = [t for t in profile.tags or [] if t not in INTENT_TAGS.values()]
        if tags:
            detail.append("、".join(tags[:8]))
        lines.append("画像：" + "；".join(detail))
    last = customer_service.list_follow_ups(session, customer.id, limit=1)
    if last:
        when = last[0].created_at.astimezone(sop_service.local_zone()).strftime("%m-%d")
        lines.append(f"最近跟进：{when} {last[0].content[:60]}")
    else:
        lines.append("最近跟进：暂无")
    return "\n".join(lines)


def _lookup_answer(session: Session, employee: Employee, query: str) -> str:
    found = find_customers(session, employee, query)
    if not found:
        return f"在你能查看的客户里没有找到「{query}」。"
    cards = [_card(session, c) for c in found[:MATCH_LIMIT]]
    more = f"\n（只显示前 {MATCH_LIMIT} 位，请写得更具体些）" if len(found) > MATCH_LIMIT else ""
    return "\n\n".join(cards) + more


def _follow_up_answer(session: Session, employee: Employee, rest: str) -> str:
    parts = rest.split(maxsplit=1)
    if len(parts) < 2:
        return "格式：跟进 <客户姓名或手机尾号> <跟进内容>，例如：跟进 张三 已电话沟通，下周面签"
    query, note = parts
    found = find_customers(session, employee, query)
    exact = [c for c in found if c.name == query]
    if len(exact) == 1:
        found = exact
    if not found:
        return f"在你能查看的客户里没有找到「{query}」，跟进没有记录。"
    if len(found) > 1:
        options = "；".join(f"{c.name}（尾号 {c.phone_tail or '无'}）" for c in found[:MATCH_LIMIT])
        return f"「{query}」对应多位客户：{options}。请用手机尾号指明，跟进没有记录。"
    customer = found[0]
    try:
        customer_service.add_follow_up(session, customer, employee_id=employee.id, kind="wechat", content=note)
    except ValidationFailed as exc:
        return f"跟进没有记录：{exc.message}"
    return f"已记录对「{customer.name}」的跟进：{note[:60]}"
