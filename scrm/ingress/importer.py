"""Import and reconcile WeCom's customers: what the company had on WeCom before the product arrived, and what
callbacks WeCom failed to deliver.

A run reads the directory, the corp tag library, the members with customer contact
(``externalcontact/get_follow_user_list``), every customer of each member (``externalcontact/batch/get_by_user``,
100 a page) and the customer groups (``groupchat/list`` + ``groupchat/get``). Each page is stored in one
transaction with its member's ``next_cursor`` (``WecomImportCursor``), so a run stopped or failed anywhere
carries on from there, and reading a page twice changes nothing. Customers go through the callbacks' upsert
(``service.upsert_contact``); those that match no record at all are created a page at a time by its batch form.
Imported customers get no welcome message, no assignment and no new-lead notice; their remarks, descriptions
and tags feed tagging as a callback's would.

The nightly run (``ImportKind.reconcile``) also ends every active relationship WeCom no longer lists, and
records what it repaired: customers added, relationships ended, owners changed.

Functions here take the caller's session and never commit; ``tasks.run_import`` drives a run page by page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from scrm.core import crypto
from scrm.core.db import insert_ignore_many, utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import FollowStatus
from scrm.customers.schemas import ContactInfo, FollowInfo
from scrm.groups import service as group_service
from scrm.ingress import service
from scrm.ingress.models import ImportKind, ImportStatus, WecomImportCursor, WecomImportRun, WecomImportSeen
from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.tagging import service as tagging_service

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # batch/get_by_user: "limit 返回的最大记录数，整型，最大值100"
GROUP_PAGE_SIZE = 1000  # groupchat/list: "limit 分页，预期请求的数据量，取值范围 1 ~ 1000"
RESUMABLE = (ImportStatus.running, ImportStatus.stopped, ImportStatus.failed)


@dataclass
class Row:
    contact: ContactInfo
    follow: FollowInfo
    tag_ids: list[str]


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError):
        return None


def row_from_batch(item: dict) -> Row:
    """One ``external_contact_list`` item of batch/get_by_user (https://developer.work.weixin.qq.com/document/path/92994):
    ``external_contact`` and one member's ``follow_info``, whose ``tag_id`` lists corp tag ids."""
    ext, info = item.get("external_contact") or {}, item.get("follow_info") or {}
    contact = ContactInfo(
        external_userid=ext["external_userid"], name=ext.get("name") or "", avatar=ext.get("avatar"),
        gender=int(ext.get("gender") or 0), unionid=ext.get("unionid") or None, corp_name=ext.get("corp_name") or None)
    follow = FollowInfo(
        userid=info["userid"], remark=info.get("remark"), description=info.get("description"),
        remark_mobiles=list(info.get("remark_mobiles") or []), state=info.get("state") or None,
        add_way=info.get("add_way"), added_at=_when(info.get("createtime")))
    return Row(contact, follow, [t for t in info.get("tag_id") or [] if t])


# ---------------------------------------------------------------- runs


def latest_runs(session: Session, limit: int = 10) -> list[WecomImportRun]:
    return list(session.scalars(select(WecomImportRun).order_by(WecomImportRun.id.desc()).limit(limit)))


def get_run(session: Session, run_id: int) -> WecomImportRun | None:
    return session.get(WecomImportRun, run_id)


def running(session: Session) -> WecomImportRun | None:
    return session.scalars(select(WecomImportRun).where(WecomImportRun.status == ImportStatus.running)
                           .order_by(WecomImportRun.id.desc())).first()


def progress_percent(run: WecomImportRun) -> int:
    if run.status == ImportStatus.done:
        return 100
    if not run.followers_total:
        return 0
    return min(99, int(100 * run.followers_done / run.followers_total))


def request_stop(session: Session, run_id: int) -> WecomImportRun | None:
    """Ask a running run to stop after the page it is on; the next run of its kind carries on from there."""
    run = session.get(WecomImportRun, run_id)
    if run is not None and run.status == ImportStatus.running:
        run.status, run.updated_at = ImportStatus.stopped, utcnow()
        session.flush()
    return run


def begin(session: Session, client, kind: ImportKind) -> WecomImportRun:
    """Resume the unfinished run of this kind, or start one: the directory and the corp tag library are read
    again, then the members with customer contact, each given a checkpoint."""
    run = session.scalars(select(WecomImportRun).where(WecomImportRun.kind == kind,
                                                       WecomImportRun.status.in_(RESUMABLE))
                          .order_by(WecomImportRun.id.desc())).first()
    if run is None:
        run = WecomImportRun(kind=kind, status=ImportStatus.running, started_at=utcnow(), followers_total=0,
                             followers_done=0, pages=0, rows_read=0, customers_added=0, customers_updated=0,
                             follows_ended=0, owners_changed=0, groups=0)
        session.add(run)
    run.status, run.error, run.updated_at = ImportStatus.running, None, utcnow()
    session.flush()
    org_service.sync_from_wecom(session, client)
    tagging_service.refresh_catalogue(session, client)
    followers = list(dict.fromkeys(client.customers.get_follow_user_list().get("follow_user") or []))
    insert_ignore_many(session, WecomImportCursor.__table__, [
        {"run_id": run.id, "userid": u, "cursor": "", "done": False, "rows": 0, "unlicensed": False}
        for u in followers], ["run_id", "userid"], [WecomImportCursor.id])
    run.followers_total = session.scalar(select(func.count()).where(WecomImportCursor.run_id == run.id))
    run.followers_done = session.scalar(select(func.count()).where(WecomImportCursor.run_id == run.id,
                                                                    WecomImportCursor.done.is_(True)))
    session.flush()
    return run


def next_follower(session: Session, run_id: int) -> WecomImportCursor | None:
    return session.scalars(select(WecomImportCursor).where(WecomImportCursor.run_id == run_id,
                                                           WecomImportCursor.done.is_(False))
                           .order_by(WecomImportCursor.id)).first()


def fail(session: Session, run_id: int, error: str) -> None:
    run = session.get(WecomImportRun, run_id)
    if run is not None and run.status == ImportStatus.running:
        run.status, run.error, run.updated_at = ImportStatus.failed, error[:2000], utcnow()
        session.flush()


# ---------------------------------------------------------------- a page of one member's customers


def import_page(session: Session, client, run: WecomImportRun, checkpoint: WecomImportCursor) -> int:
    """Read and store the next page of ``checkpoint``'s member's customers, and move the checkpoint on.
    Returns the rows read."""
    answer = client.customers.batch_get_by_user([checkpoint.userid], cursor=checkpoint.cursor or None,
                                                limit=PAGE_SIZE)
    rows = [row_from_batch(item) for item in answer.get("external_contact_list") or []]
    employee = org_service.find_by_wecom_userid(session, checkpoint.userid)
    if employee is None:
        log.warning("WeCom lists customers of %r, who is not in our directory: skipped", checkpoint.userid)
    elif rows:
        key = f"wecom-{run.kind.value}-{run.id}:{checkpoint.userid}:{checkpoint.cursor or 0}"
        store_rows(session, client, run, employee, rows, key)
    if run.kind == ImportKind.reconcile and rows:
        insert_ignore_many(session, WecomImportSeen.__table__, [
            {"run_id": run.id, "userid": checkpoint.userid, "external_userid": r.contact.external_userid}
            for r in rows], ["run_id", "userid", "external_userid"], [WecomImportSeen.run_id])
    unlicensed = checkpoint.userid in ((answer.get("fail_info") or {}).get("unlicensed_userid_list") or [])
    next_cursor = answer.get("next_cursor") or ""
    checkpoint.cursor, checkpoint.rows = next_cursor, checkpoint.rows + len(rows)
    checkpoint.done, checkpoint.unlicensed = not next_cursor or unlicensed, unlicensed
    run.pages += 1
    run.rows_read += len(rows)
    run.followers_done += int(checkpoint.done)
    run.updated_at = utcnow()
    session.flush()
    return len(rows)


def store_rows(session: Session, client, run: WecomImportRun, employee: Employee, rows: list[Row], key: str) -> None:
    """A page of one member's customers into our records. Contacts matching no record are created together;
    any other goes through the callbacks' upsert when WeCom's data differs from ours."""
    snapshot = customer_service.import_snapshot(session, [r.contact for r in rows],
                                                [m for r in rows for m in r.follow.remark_mobiles])
    manual, held = tagging_service.manual_wecom_tags(session, [c.id for c in snapshot.customers.values()])
    others: dict[int, int] = {}
    for (customer_id, employee_id), follow in snapshot.follows.items():
        if employee_id != employee.id and follow.status == FollowStatus.active:
            others[customer_id] = others.get(customer_id, 0) + 1
    new: list[Row] = []
    one_by_one: list[tuple[Row, dict[str, list[str]]]] = []
    new_phones: set[str] = set()
    for row in rows:
        tags = {row.follow.userid: row.tag_ids}
        customer = snapshot.customers.get(row.contact.external_userid)
        if customer is None:
            phones = set(_phone_hashes(row.follow))
            if (row.contact.unionid in snapshot.unionids or phones & snapshot.phone_hashes or phones & new_phones
                    or any(r.contact.external_userid == row.contact.external_userid for r in new)):
                one_by_one.append((row, tags))
            else:
                new.append(row)
                new_phones |= phones
            continue
        wanted = set(row.tag_ids) & manual
        shared = others.get(customer.id, 0) > 0
        if customer_service.unchanged_by(customer, snapshot.follows.get((customer.id, employee.id)), row.contact,
                                         row.follow) and (wanted <= held[customer.id] if shared
                                                          else wanted == held[customer.id]):
            continue
        if shared:
            # this page has one follower's tags; the others' stay (a tag one of several followers removed
            # while its callback was lost is not seen here)
            tags = {row.follow.userid: sorted(set(row.tag_ids) | held[customer.id])}
        one_by_one.append((row, tags))

    if new:
        created = customer_service.import_new_wecom_contacts(session, [(r.contact, r.follow) for r in new], employee,
                                                             event_key=key)
        if created is None:
            one_by_one = [(r, {r.follow.userid: r.tag_ids}) for r in new] + one_by_one
        else:
            run.customers_added += len(created)
            tagging_service.apply_wecom_tags_many(session, {
                c.id: {r.follow.userid: r.tag_ids} for c, r in zip(created, new) if r.tag_ids})
            for customer, row in zip(created, new):
                service.feed_tagging(session, customer.id, [row.follow])
    for row, tags in one_by_one:
        before = snapshot.customers.get(row.contact.external_userid)
        owner_before = before.owner_id if before is not None else None
        result = service.upsert_contact(session, client, row.contact, [row.follow], tags,
                                        customer_service.source_key(key, row.contact.external_userid), imported=True)
        _count(run, result, owner_before)


def _phone_hashes(follow: FollowInfo) -> list[str]:
    return [h for m in follow.remark_mobiles or [] if crypto.valid_mobile(m)
            for h in customer_service.phone_hashes(crypto.normalize_phone(m))]


def _count(run: WecomImportRun, result, owner_before: int | None) -> None:
    if result.created:
        run.customers_added += 1
        return
    run.customers_updated += 1
    if owner_before is not None and result.customer.owner_id != owner_before:
        run.owners_changed += 1


# ---------------------------------------------------------------- groups and the end of a run


def import_groups(session: Session, client) -> int:
    """Every customer group (groupchat/list, then groupchat/get each) into our copies; returns how many."""
    count, cursor, seen = 0, None, set()
    while True:
        answer = client.external_contact_group_chat.list(cursor=cursor, limit=GROUP_PAGE_SIZE)
        for chat in answer.get("group_chat_list") or []:
            info = client.external_contact_group_chat.get(chat["chat_id"])
            group_service.upsert_from_wecom(session, info.get("group_chat") or info)
            count += 1
        cursor = answer.get("next_cursor")
        if not cursor or cursor in seen:
            return count
        seen.add(cursor)


def finish(session: Session, client, run: WecomImportRun) -> WecomImportRun:
    """The customer groups; for the nightly run, the relationships WeCom no longer lists are ended. The run is done."""
    run.groups = import_groups(session, client)
    if run.kind == ImportKind.reconcile:
        end_unlisted(session, run)
    run.status, run.finished_at, run.updated_at = ImportStatus.done, utcnow(), utcnow()
    session.flush()
    log.info("WeCom %s run %s done: %s customers added, %s updated, %s relationships ended, %s owners changed",
             run.kind.value, run.id, run.customers_added, run.customers_updated, run.follows_ended, run.owners_changed)
    return run


def end_unlisted(session: Session, run: WecomImportRun) -> None:
    """End each active relationship of a member read to the end that WeCom's list did not hold: its callback
    (del_external_contact, del_follow_user) was lost."""
    listed = list(session.scalars(select(WecomImportCursor.userid).where(
        WecomImportCursor.run_id == run.id, WecomImportCursor.done.is_(True),
        WecomImportCursor.unlicensed.is_(False))))
    seen = set(session.execute(select(WecomImportSeen.external_userid, WecomImportSeen.userid)
                               .where(WecomImportSeen.run_id == run.id)).tuples())
    for external_userid, userid in sorted(customer_service.active_wecom_follows(session, listed) - seen):
        customer = customer_service.get_by_external_userid(session, external_userid)
        owner_before = customer.owner_id if customer is not None else None
        customer = customer_service.end_follow(
            session, external_userid, userid, by_customer=False, unlisted=True,
            event_key=customer_service.source_key(f"wecom-reconcile-{run.id}:{external_userid}:{userid}"))
        run.follows_ended += 1
        if customer is not None and customer.owner_id != owner_before:
            run.owners_changed += 1
    session.execute(delete(WecomImportSeen).where(WecomImportSeen.run_id == run.id))
    session.flush()


def stop_requested(session: Session, run_id: int) -> bool:
    status = session.scalar(select(WecomImportRun.status).where(WecomImportRun.id == run_id))
    return status != ImportStatus.running


def mark_stopped(session: Session, run_id: int) -> None:
    session.execute(update(WecomImportRun).where(WecomImportRun.id == run_id,
                                                 WecomImportRun.status == ImportStatus.running)
                    .values(status=ImportStatus.stopped, updated_at=utcnow()))

