"""Callback ingress (store, then queue) and the handlers that turn WeCom events into our records.

Handlers fetch the current state from the WeCom API and upsert it, so replaying any event, or the
whole inbox, leaves the records as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from scrm.approvals import service as approval_service
from scrm.bot import service as bot_service
from scrm.channels import service as channel_service
from scrm.core import crypto, jobs
from scrm.core.config import get_settings
from scrm.core.db import insert_ignore_many, utcnow
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer, CustomerFollow, FollowStatus
from scrm.customers.schemas import ContactInfo, FollowInfo
from scrm.groups import service as group_service
from scrm.handover import service as handover_service
from scrm.handover.events import CustomerHandedOver
from scrm.ingress.models import InboxEvent, InboxStatus
from scrm.org import service as org_service
from scrm.tagging import service as tagging_service
from scrm.wecom import callback
from scrm.wecom.client import ERASED, WecomError, get_client

log = logging.getLogger(__name__)


class WecomNotConfigured(Exception):
    pass


@lru_cache
def callback_keys() -> callback.CallbackKeys:
    s = get_settings()
    if not (s.wecom_token and s.wecom_aes_key and s.wecom_corp_id):
        raise WecomNotConfigured("set SCRM_WECOM_CORP_ID, SCRM_WECOM_TOKEN and SCRM_WECOM_AES_KEY")
    return callback.CallbackKeys.build(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id, s.wecom_replay_window_s)


# Events whose handler re-reads the current state from WeCom. Two distinct edits in one second look
# exactly like a retry, so a repeat of one of these is processed again rather than dropped.
REFRESH_KINDS = {
    "event:change_external_contact:edit_external_contact",
    "event:change_external_chat:update",
    "event:change_external_tag:create", "event:change_external_tag:update",
    "event:change_external_tag:delete", "event:change_external_tag:shuffle",
    "event:change_contact:update_user", "event:change_contact:update_party",
}
URGENT_KINDS = {"event:change_external_contact:add_external_contact", "event:change_external_contact:add_half_external_contact"}


def inbox_rows(items: list[tuple[str, dict]]) -> list[dict]:
    """Verified callbacks as inbox rows, one per dedupe key (a retry can arrive in the same batch)."""
    rows, seen = [], set()
    now = utcnow()
    for plain_xml, fields in items:
        key = callback.dedupe_key(fields)
        if key not in seen:
            seen.add(key)
            rows.append({"dedupe_key": key, "kind": callback.kind_of(fields), "payload": crypto.encrypt(plain_xml),
                         "received_at": now})
    return rows


def _to_process(rows: list[dict], inserted: dict[str, int]) -> tuple[list[int], bool]:
    ids = [inserted[r["dedupe_key"]] for r in rows if r["dedupe_key"] in inserted]
    return ids, any(r["kind"] in URGENT_KINDS for r in rows if r["dedupe_key"] in inserted)


def _repeats(rows: list[dict], inserted: dict[str, int]) -> list[str]:
    return [r["dedupe_key"] for r in rows if r["dedupe_key"] not in inserted and r["kind"] in REFRESH_KINDS]


def store_callbacks(session: Session, items: list[tuple[str, dict]]) -> tuple[list[int], bool]:
    """Write verified callbacks to the inbox. WeCom's retries of an event already stored add nothing.

    Returns the ids to process (the caller queues them after commit with ``tasks.queue_inbox``) and
    whether any of them is urgent.
    """
    rows = inbox_rows(items)
    inserted = {key: inbox_id for inbox_id, key in insert_ignore_many(
        session, InboxEvent.__table__,
        [dict(r, source="wecom", status=InboxStatus.received.value, attempts=0) for r in rows],
        ["dedupe_key"], [InboxEvent.id, InboxEvent.dedupe_key])}
    repeats = _repeats(rows, inserted)
    if repeats:
        inserted.update((key, inbox_id) for inbox_id, key in session.execute(
            update(InboxEvent).where(InboxEvent.dedupe_key.in_(repeats), InboxEvent.status == InboxStatus.done)
            .values(status=InboxStatus.received).returning(InboxEvent.id, InboxEvent.dedupe_key)))
    return _to_process(rows, inserted)


PG_INSERT = (
    "INSERT INTO inbox_event (source, dedupe_key, kind, payload, status, attempts, received_at) "
    "SELECT 'wecom', u.k, u.t, u.p, 'received', 0, %(now)s "
    "FROM json_to_recordset(%(rows)s::json) AS u(k text, t text, p text) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
)
PG_REPROCESS = ("UPDATE inbox_event SET status = 'received' WHERE dedupe_key = ANY(%(keys)s) AND status = 'done' "
                "RETURNING id, dedupe_key")


async def store_callbacks_pg(cursor, items: list[tuple[str, dict]]) -> tuple[list[int], bool]:
    """``store_callbacks`` on an async psycopg cursor: the hottest write in the product, done on the
    event loop so no thread hand-offs sit between its round trips. The rows travel as one JSON text
    parameter; psycopg adapts Python lists to arrays element by element, which cost more than the insert."""
    rows = inbox_rows(items)
    batch = json.dumps([{"k": r["dedupe_key"], "t": r["kind"], "p": r["payload"]} for r in rows])
    await cursor.execute(PG_INSERT, {"now": rows[0]["received_at"], "rows": batch})
    inserted = {key: inbox_id for inbox_id, key in await cursor.fetchall()}
    repeats = _repeats(rows, inserted)
    if repeats:
        await cursor.execute(PG_REPROCESS, {"keys": repeats})
        inserted.update((key, inbox_id) for inbox_id, key in await cursor.fetchall())
    return _to_process(rows, inserted)


FINISHED = (InboxStatus.done, InboxStatus.ignored, InboxStatus.abandoned)


def claim(session: Session, inbox_id: int) -> InboxEvent | None:
    """Lock an inbox row for processing; None when it is done or another worker holds it."""
    stmt = select(InboxEvent).where(InboxEvent.id == inbox_id)
    stmt = stmt.with_for_update(skip_locked=True)
    row = session.scalars(stmt).first()
    if row is None or row.status in FINISHED:
        return None
    return row


def process(session: Session, row: InboxEvent) -> InboxStatus:
    fields = callback.parse_xml(crypto.decrypt(row.payload))
    handler = HANDLERS.get(row.kind)
    if handler is None:
        row.status = InboxStatus.ignored
    else:
        handler(session, fields, row.dedupe_key)
        row.status = InboxStatus.done
    row.attempts += 1
    row.error = None
    row.processed_at = utcnow()
    return row.status


def is_permanent(exc: BaseException) -> bool:
    """WeCom answered with an error no retry changes (84061 the person is not the member's customer, 40096 …);
    system busy (-1), the rate limit (45009) and network failures are not."""
    return isinstance(exc, WecomError) and exc.permanent


def record_failure(session: Session, inbox_id: int, error: str, *, permanent: bool = False) -> None:
    """A failed attempt: ``failed`` is tried again by the stale-inbox sweep, a permanent one is ``abandoned``
    at once, with WeCom's answer in ``error``."""
    row = session.get(InboxEvent, inbox_id)
    if row is not None and row.status not in FINISHED:
        row.attempts += 1
        row.status = InboxStatus.abandoned if permanent else InboxStatus.failed
        row.error = error[:2000]
        if permanent:
            row.processed_at = utcnow()


def stale_inbox_ids(session: Session, older_than_s: int, max_attempts: int = 10) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    return list(session.scalars(
        select(InboxEvent.id).where(
            InboxEvent.status.in_([InboxStatus.received, InboxStatus.failed]),
            InboxEvent.received_at < cutoff,
            InboxEvent.attempts < max_attempts,
        ).order_by(InboxEvent.id)
    ))


# ---------------------------------------------------------------- handlers


def _client():

    return get_client()


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


def contact_from_api(data: dict) -> tuple[ContactInfo, list[FollowInfo], dict[str, list[str]]]:
    """externalcontact/get's answer to our shapes; also the staff-set corp tags per follow user."""
    ext = data.get("external_contact") or {}
    contact = ContactInfo(
        external_userid=ext["external_userid"], name=ext.get("name") or "", avatar=ext.get("avatar"),
        gender=int(ext.get("gender") or 0), unionid=ext.get("unionid"), corp_name=ext.get("corp_name"),
    )
    follows, tags = [], {}
    for f in data.get("follow_user") or []:
        follows.append(FollowInfo(
            userid=f["userid"], remark=f.get("remark"), description=f.get("description"),
            remark_mobiles=list(f.get("remark_mobiles") or []), state=f.get("state"),
            add_way=f.get("add_way"), added_at=_when(f.get("createtime")),
        ))
        tags[f["userid"]] = [t["tag_id"] for t in f.get("tags") or [] if t.get("type") == 1 and t.get("tag_id")]
    return contact, follows, tags


def upsert_contact(session: Session, client, contact: ContactInfo, follows: list[FollowInfo],
                   tags: dict[str, list[str]], event_key: str, *, actor_userid: str | None = None,
                   imported: bool = False):
    """The one upsert of a WeCom customer, for the callbacks and the import alike: the record, its follows,
    the salespeople's tags (``tags`` covers every follower listed in ``follows``) and their remarks and
    descriptions to the tagging pipeline."""
    result = customer_service.upsert_wecom_contact(
        session, contact, follows, event_key=event_key, actor_userid=actor_userid, imported=imported)
    if tagging_service.unknown_wecom_tags(session, tags):
        tagging_service.refresh_catalogue(session, client)
    tagging_service.apply_wecom_tags(session, result.customer.id, tags)
    feed_tagging(session, result.customer.id, follows)
    return result


def refresh_contact(session: Session, external_userid: str, event_key: str, actor_userid: str | None = None, *,
                    imported: bool = False):
    """Re-read the customer with every member following them (all pages of ``follow_user``) and upsert."""
    client = _client()
    contact, follows, tags = contact_from_api(client.contact_detail.get_all(external_userid))
    return upsert_contact(session, client, contact, follows, tags, event_key, actor_userid=actor_userid,
                          imported=imported)


def feed_tagging(session: Session, customer_id: int, follows: list[FollowInfo]) -> None:
    """What salespeople wrote about the customer in WeCom (remark, description) feeds the profile; the
    text's digest is in the key, so an unchanged text is read once and an edited one again."""

    for follow in follows:
        for source, text in (("remark", follow.remark), ("description", follow.description)):
            if text and text.strip():
                digest = hashlib.sha256(text.encode()).hexdigest()[:16]
                jobs.enqueue(session, "tagging.tag_text", customer_id, text, source,
                             f"wecom-{source}:{follow.userid}:{digest}", queue="low")


def on_add_contact(session: Session, f: dict, key: str) -> None:
    result = refresh_contact(session, f["ExternalUserID"], key, actor_userid=f.get("UserID"))
    if f.get("ChangeType") == "add_half_external_contact":
        customer_service.mark_half_added(session, result.customer.id, f.get("UserID"), event_key=key)
    channel = channel_service.channel_for_state(session, f.get("State"))
    if channel is not None and channel.auto_tags and f.get("UserID"):
        jobs.enqueue(session, "tagging.apply_channel_tags", channel.id, result.customer.id, f["UserID"], key)
    if f.get("WelcomeCode"):
        jobs.enqueue(session, "wecom.send_welcome", f["WelcomeCode"], f.get("State") or "", result.customer.id,
                     queue="urgent", retries=2)


def on_edit_contact(session: Session, f: dict, key: str) -> None:
    refresh_contact(session, f["ExternalUserID"], key, actor_userid=f.get("UserID"))


# 删除企业客户事件 (https://developer.work.weixin.qq.com/document/path/92130): "Source: 删除客户的操作来源，
# DELETE_BY_TRANSFER表示此客户是因在职继承自动被转接成员删除"
DELETE_BY_TRANSFER = "DELETE_BY_TRANSFER"


def on_del_external_contact(session: Session, f: dict, key: str) -> None:
    if f.get("Source") == DELETE_BY_TRANSFER:
        on_transferred_away(session, f, key)
        return
    customer_service.end_follow(session, f["ExternalUserID"], f["UserID"], by_customer=False, event_key=key)


def _active_followers(session: Session, external_userid: str) -> set[int]:
    return set(session.scalars(select(CustomerFollow.employee_id).join(Customer, Customer.id == CustomerFollow.customer_id)
                               .where(Customer.wecom_external_userid == external_userid,
                                      CustomerFollow.status == FollowStatus.active)))


def on_transferred_away(session: Session, f: dict, key: str) -> None:
    """An on-job transfer moved the customer from ``UserID`` to a colleague: the giver's follow ends as
    transferred and the customer stays ours. WeCom is re-read, as no add event for the taker is promised; the
    taker is our handover's, else the one member WeCom newly lists."""
    external_userid, giver = f["ExternalUserID"], f["UserID"]
    customer = customer_service.get_by_external_userid(session, external_userid)
    taker = handover_service.transfer_taker(session, customer.id, giver) if customer is not None else None
    before = _active_followers(session, external_userid)
    try:
        refresh_contact(session, external_userid, customer_service.source_key(key, "refresh"))
    except WecomError as exc:
        if not exc.permanent:
            raise
        log.info("transfer of %s from %s: WeCom lists no follower (errcode %s)", external_userid, giver, exc.errcode)
    taker_id = taker.id if taker is not None else None
    if taker_id is None:
        new = _active_followers(session, external_userid) - before
        taker_id = next(iter(new)) if len(new) == 1 else None
    customer_service.end_follow(session, external_userid, giver, by_customer=False, by_transfer=True,
                                taker_id=taker_id, event_key=key)


def on_customer_handed_over(session: Session, event: CustomerHandedOver) -> None:
    """Subscriber of ``customer.handed_over``: WeCom accepted a transfer (transfer_result status 1, 接替完毕).
    "通过API进行的操作不会产生回调" (https://developer.work.weixin.qq.com/document/path/92130), so no add event
    for the taker is awaited: WeCom is re-read and the taker becomes an active follower, for tag sync and
    later deletions."""
    if event.kind not in ("resigned", "onjob") or not get_settings().wecom_configured:
        return
    customer = session.get(Customer, event.customer_id)
    if customer is None or not customer.wecom_external_userid:
        return
    key = f"handed-over:{event.case_id}:{customer.id}:{event.to_employee_id}"
    try:
        refresh_contact(session, customer.wecom_external_userid, key)
    except WecomError as exc:
        if not exc.permanent:
            raise
        log.info("customer %s handed over but WeCom lists no follower (errcode %s)", customer.id, exc.errcode)


def on_del_follow_user(session: Session, f: dict, key: str) -> None:
    customer = customer_service.end_follow(session, f["ExternalUserID"], f["UserID"], by_customer=True,
                                           event_key=key)
    if customer is not None:
        jobs.enqueue(session, "tagging.record_behaviour", customer.id, "deleted_salesperson", key, queue="low")


def on_transfer_fail(session: Session, f: dict, key: str) -> None:
    customer_service.record_transfer_failed(session, f["ExternalUserID"], f["UserID"], f.get("FailReason") or "",
                                            event_key=key)


def on_chat_change(session: Session, f: dict, key: str) -> None:
    chat_id = f["ChatId"]
    if f.get("ChangeType") == "dismiss":
        group_service.dismiss(session, chat_id)
        return
    try:
        info = _client().external_contact_group_chat.get(chat_id)
    except Exception as exc:
        if getattr(exc, "errcode", None) in (40050, 701008):  # chat gone or not ours any more
            group_service.dismiss(session, chat_id)
            return
        raise
    group_service.upsert_from_wecom(session, info.get("group_chat") or info)


def on_tag_change(session: Session, f: dict, key: str) -> None:
    tagging_service.refresh_catalogue(session, _client())


def on_contact_change(session: Session, f: dict, key: str) -> None:
    org_service.apply_contact_change(session, f.get("ChangeType") or "", f, client=_client())


def on_app_text(session: Session, f: dict, key: str) -> None:

    bot_service.handle_text(session, f, key)


def on_template_card_event(session: Session, f: dict, key: str) -> None:
    approval_service.on_card_event(session, f, key)


HANDLERS: dict[str, Callable[[Session, dict, str], None]] = {
    "msg:text": on_app_text,
    "event:template_card_event": on_template_card_event,
    "event:change_external_contact:add_external_contact": on_add_contact,
    "event:change_external_contact:add_half_external_contact": on_add_contact,
    "event:change_external_contact:edit_external_contact": on_edit_contact,
    "event:change_external_contact:del_external_contact": on_del_external_contact,
    "event:change_external_contact:del_follow_user": on_del_follow_user,
    "event:change_external_contact:transfer_fail": on_transfer_fail,
    "event:change_external_chat:create": on_chat_change,
    "event:change_external_chat:update": on_chat_change,
    "event:change_external_chat:dismiss": on_chat_change,
    "event:change_external_tag:create": on_tag_change,
    "event:change_external_tag:update": on_tag_change,
    "event:change_external_tag:delete": on_tag_change,
    "event:change_external_tag:shuffle": on_tag_change,
    **{f"event:change_contact:{t}": on_contact_change for t in (
        "create_user", "update_user", "delete_user", "create_party", "update_party", "delete_party")},
}


# ---------------------------------------------------------------- welcome message

DEFAULT_WELCOME = {"text": {"content": "您好，我是您的专属贷款顾问，有任何资金需求都可以直接留言给我。"}}


def welcome_for(session: Session, state: str) -> dict:

    return (channel_service.welcome_for_state(session, state) if state else None) or DEFAULT_WELCOME


def send_welcome(session: Session, welcome_code: str, state: str, customer_id: int) -> None:
    """send_welcome_msg once per WelcomeCode: WeCom accepts it only within 20 s of the add event."""
    message = dict(welcome_for(session, state))
    message["welcome_code"] = welcome_code
    _client().external_contact.send_welcome_msg(message, idempotency_key=f"welcome:{welcome_code}")
    customer_service.add_timeline(session, customer_id, "welcome_sent", "已发送欢迎语",
                                  {"state": state}, source_key=f"welcome:{welcome_code}"[:80])


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the handled callbacks that name the customer's ids are blanked."""
    ids = event.external_ids
    if ids:
        handled = session.scalars(select(InboxEvent).where(
            InboxEvent.status != InboxStatus.received,
            or_(*(InboxEvent.payload.contains(v, autoescape=True) for v in ids)))).all()
        for row in handled:
            row.payload = json.dumps(ERASED, ensure_ascii=False)
    session.flush()
