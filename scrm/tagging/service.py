"""The tag catalogue mirrored from WeCom, customers' tags by source, and the tagging pipeline's service side:
evidence in, profile (画像) out, tags synced to WeCom."""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, String, delete, func, insert, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import events
from scrm.core.db import insert_ignore, is_postgres, utcnow
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus
from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.tagging import dataset, pipeline
from scrm.tagging import profile as profile_mod
from scrm.tagging import rules as rules_mod
from scrm.tagging import training
from scrm.tagging.models import (CustomerProfile, CustomerTag, Tag, TagEvidence, TaggingCorrection, TaggingModel,
                                 TagGroup)
from scrm.wecom.client import WecomError

log = logging.getLogger(__name__)

WECOM_MANUAL = "wecom_manual"


def refresh_catalogue(session: Session, client) -> None:
    """Mirror WeCom's corp tag list; tags gone from WeCom are marked deleted, never dropped."""
    answer = client.external_contact.get_corp_tag_list()
    seen_groups, seen_tags = set(), set()
    for g in answer.get("tag_group") or []:
        group = session.scalars(select(TagGroup).where(TagGroup.wecom_group_id == g["group_id"])).first()
        if group is None:
            group = session.scalars(select(TagGroup).where(TagGroup.name == g["group_name"])).first()
        if group is None:
            group = TagGroup(name=g["group_name"], wecom_group_id=g["group_id"])
            session.add(group)
        group.wecom_group_id, group.name, group.deleted = g["group_id"], g["group_name"], False
        group.order = int(g.get("order") or 0)
        session.flush()
        seen_groups.add(group.id)
        for t in g.get("tag") or []:
            tag = session.scalars(select(Tag).where(Tag.wecom_tag_id == t["id"])).first()
            if tag is None:
                tag = session.scalars(select(Tag).where(Tag.group_id == group.id, Tag.name == t["name"])).first()
            if tag is None:
                tag = Tag(group_id=group.id, name=t["name"])
                session.add(tag)
            tag.wecom_tag_id, tag.name, tag.group_id, tag.deleted = t["id"], t["name"], group.id, False
            session.flush()
            seen_tags.add(tag.id)
    for group in session.scalars(select(TagGroup).where(TagGroup.wecom_group_id.is_not(None))):
        if group.id not in seen_groups:
            group.deleted = True
    for tag in session.scalars(select(Tag).where(Tag.wecom_tag_id.is_not(None))):
        if tag.id not in seen_tags:
            tag.deleted = True
    session.flush()


def unknown_wecom_tags(session: Session, tags_by_userid: dict[str, list[str]]) -> set[str]:
    wanted = {t for ids in tags_by_userid.values() for t in ids}
    if not wanted:
        return set()
    return wanted - set(session.scalars(select(Tag.wecom_tag_id).where(Tag.wecom_tag_id.in_(wanted))))


def apply_wecom_tags(session: Session, customer_id: int, tags_by_userid: dict[str, list[str]]) -> None:
    """Make the customer's hand-set WeCom tags equal to what its salespeople set in WeCom.

    ``tags_by_userid`` covers every follow user (externalcontact/get returns them all), so the union
    is the whole truth. Tags the product created are the pipeline's and are not counted as manual.
    """
    setter: dict[str, str] = {}
    for userid, wecom_tag_ids in tags_by_userid.items():
        for wecom_tag_id in wecom_tag_ids:
            setter.setdefault(wecom_tag_id, userid)
    tags = session.scalars(select(Tag).where(Tag.wecom_tag_id.in_(list(setter) or ["-"]))).all()
    unknown = set(setter) - {t.wecom_tag_id for t in tags}
    if unknown:
        log.info("customer %s has WeCom tags not in the catalogue yet: %s", customer_id, sorted(unknown))
    manual = {t.id: t for t in tags if not t.created_by_app}
    session.execute(delete(CustomerTag).where(
        CustomerTag.customer_id == customer_id, CustomerTag.source == WECOM_MANUAL,
        CustomerTag.tag_id.not_in(list(manual) or [-1]),
    ))
    existing = set(session.scalars(select(CustomerTag.tag_id).where(
        CustomerTag.customer_id == customer_id, CustomerTag.source == WECOM_MANUAL)))
    for tag_id, tag in manual.items():
        if tag_id not in existing:
            employee = org_service.find_by_wecom_userid(session, setter[tag.wecom_tag_id])
            session.add(CustomerTag(customer_id=customer_id, tag_id=tag_id, source=WECOM_MANUAL,
                                    employee_id=employee.id if employee else None))
    session.flush()


CHANNEL = "channel"


def apply_channel_tags(session: Session, client, channel_id: int, customer_id: int, userid: str,
                       event_key: str) -> list[str]:
    """Put a channel's ``auto_tags`` on a customer who came through its code: mark_tag on the follow made
    through it (编辑客户企业标签 https://developer.work.weixin.qq.com/document/path/92118), then the local
    rows (source ``channel``), since mark_tag raises no callback. Tags no longer in WeCom's catalogue are
    left out: WeCom refuses the whole call for one unknown tag. Returns the WeCom tag ids put on."""
    channel, customer = session.get(Channel, channel_id), session.get(Customer, customer_id)
    if channel is None or customer is None or not customer.wecom_external_userid or not channel.auto_tags:
        return []
    wanted = list(dict.fromkeys(channel.auto_tags))
    if unknown_wecom_tags(session, {userid: wanted}):
        refresh_catalogue(session, client)
    tags = {t.wecom_tag_id: t for t in session.scalars(select(Tag).where(Tag.wecom_tag_id.in_(wanted),
                                                                         Tag.deleted.is_(False)))}
    add = [t for t in wanted if t in tags]
    if len(add) < len(wanted):
        log.warning("channel %s: auto tags %s are not WeCom corp tags; left out", channel.id,
                    sorted(set(wanted) - set(add)))
    if not add:
        return []
    try:
        client.external_contact.mark_tag(userid, customer.wecom_external_userid, add_tag=add,
                                         idempotency_key=f"channel-tags:{event_key}"[:110])
    except WecomError as exc:
        if not exc.permanent:
            raise
        log.info("channel %s: %s no longer follows customer %s (errcode %s); no tags put on", channel.id, userid,
                 customer.id, exc.errcode)
        return []
    employee = org_service.find_by_wecom_userid(session, userid)
    for wecom_tag_id in add:
        insert_ignore(session, CustomerTag.__table__, {
            "customer_id": customer.id, "tag_id": tags[wecom_tag_id].id, "source": CHANNEL,
            "employee_id": employee.id if employee else None, "evidence": {"channel_id": channel.id}},
            ["customer_id", "tag_id", "source"])
    session.flush()
    return add


# ---------------------------------------------------------------------------------------------
# the pipeline: evidence -> profile -> WeCom tags

PIPELINE = "pipeline"
SOURCES = {"message", "follow_up", "form", "remark", "description", "channel", "behaviour", "manual"}
MAX_EXCERPT = 200


def preview(texts: list[str], session: Session | None = None) -> list[dict]:
    """What the pipeline reads in each text with the model in use (nothing is stored)."""
    path = active_model_path(session) if session is not None else None
    return [a.public() for a in pipeline.analyze_many(texts, model_path=path)]


def _add_evidence(session: Session, customer_id: int, source: str, source_key: str, at: datetime | None,
                  excerpt: str, result: dict) -> int | None:
    if source not in SOURCES:
        raise ValidationFailed(f"未知的来源 {source}", field="source")
    return insert_ignore(session, TagEvidence.__table__, {
        "customer_id": customer_id, "source": source, "source_key": source_key[:80], "at": at or utcnow(),
        "excerpt": excerpt[:MAX_EXCERPT], "result": result, "created_at": utcnow()}, ["customer_id", "source_key"])


def tag_text(session: Session, customer_id: int, text: str, *, source: str, source_key: str,
             at: datetime | None = None) -> CustomerProfile | None:
    """Read one text about the customer into its evidence and profile; None when this source_key was already read."""
    customer_service.get(session, customer_id)
    analysis = pipeline.analyze(text, model_path=active_model_path(session))
    if _add_evidence(session, customer_id, source, source_key, at, text.strip(), analysis.to_evidence()) is None:
        return None
    return recompute_profile(session, customer_id)[0]


def record_behaviour(session: Session, customer_id: int, event: str, *, source_key: str,
                     at: datetime | None = None) -> CustomerProfile | None:
    """Record replied / visit / application_submitted / deleted_salesperson; the intent is recomputed."""
    if event not in profile_mod.BEHAVIOURS:
        raise ValidationFailed(f"未知的行为 {event}", field="event")
    customer_service.get(session, customer_id)
    if _add_evidence(session, customer_id, "behaviour", source_key, at, event, {"behaviour": event}) is None:
        return None
    return recompute_profile(session, customer_id)[0]


def _manual_vocabulary_tags(session: Session, customer_ids: list[int]) -> dict[int, set[str]]:
    vocab = set(rules_mod.shipped_rules().vocabulary_order)
    rows = session.execute(select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
                           .where(CustomerTag.customer_id.in_(customer_ids), CustomerTag.source == WECOM_MANUAL))
    out: dict[int, set[str]] = {}
    for cid, name in rows:
        if name in vocab:
            out.setdefault(cid, set()).add(name)
    return out


def _items(rows) -> list[profile_mod.Item]:
    return [profile_mod.Item(r.id, r.source, r.source_key, r.at, r.excerpt, r.result) for r in rows]


def recompute_profile(session: Session, customer_id: int, *, now: datetime | None = None,
                      ) -> tuple[CustomerProfile, dict]:
    """Merge the customer's evidence into its profile; a change goes on the timeline and out as profile.changed.

    The customer row is locked first: two jobs for one customer would otherwise each merge only the
    evidence they can see, and the later commit would drop what the other one added."""
    session.flush()
    customer = session.get(Customer, customer_id, with_for_update=True) or customer_service.get(session, customer_id)
    rows = session.scalars(select(TagEvidence).where(TagEvidence.customer_id == customer_id)).all()
    merged = profile_mod.merge(
        _items(rows), now=now or utcnow(), last_contact_at=customer.last_contact_at,
        gone=customer.status == CustomerStatus.gone,
        manual_tags=_manual_vocabulary_tags(session, [customer_id]).get(customer_id, set()),
        vocabulary_order=rules_mod.shipped_rules().vocabulary_order)
    current = session.scalars(select(CustomerProfile).where(CustomerProfile.customer_id == customer_id)).first()
    profile, changes, announcement = _apply(session, customer_id, current, merged,
                                            last_evidence_id=max((r.id for r in rows), default=0))
    session.flush()
    _announce_many(session, [announcement] if announcement else [])
    return profile, changes


_LABELS = {"product": "产品", "intent": "意向", "amount_fen": "金额", "term_months": "期限", "city": "城市"}
_INTENT_CN = {"high": "高", "medium": "中", "low": "低"}


PROFILE_FIELDS = (CustomerProfile.product, CustomerProfile.intent, CustomerProfile.amount_fen, CustomerProfile.term_months,
                  CustomerProfile.city, CustomerProfile.tags, CustomerProfile.updated_at)


def _values(merged: profile_mod.ProfileData) -> dict:
    return {"product": merged.product, "intent": merged.intent,
            "amount_fen": None if merged.amount_yuan is None else merged.amount_yuan * 100,
            "term_months": merged.term_months, "city": merged.city, "tags": merged.tags}


def _changes(current, new: dict) -> dict:
    """Field -> [old, new] for what differs from the stored profile (``current`` may be a row or None)."""
    old = {k: getattr(current, k) for k in new} if current is not None else {k: None for k in new}
    if current is None:
        old["tags"] = []
    return {k: [old[k], v] for k, v in new.items()
            if (old[k] or None) != (v or None) or (k == "intent" and current is None)}


def _apply(session: Session, customer_id: int, current: CustomerProfile | None, merged: profile_mod.ProfileData,
           *, last_evidence_id: int) -> tuple[CustomerProfile, dict, tuple[dict, dict] | None]:
    """Put the merged profile on the session (one customer; the batch path writes rows instead).

    Returns the profile, the changes, and when something changed the (timeline entry, event payload)
    to hand to ``_announce_many``.
    """
    new = _values(merged)
    changes = _changes(current, new)
    if current is None:
        current = CustomerProfile(customer_id=customer_id, **new, evidence=merged.evidence, updated_at=utcnow())
        session.add(current)
    else:
        if current.evidence != merged.evidence:
            current.evidence = merged.evidence
        if changes:
            for k, (_, v) in changes.items():
                setattr(current, k, v)
            current.updated_at = utcnow()
    return current, changes, (_announcement(customer_id, changes, new, last_evidence_id) if changes else None)


def _describe(changes: dict) -> str:
    parts = []
    for k, (before, after) in changes.items():
        if k == "tags":
            added = [t for t in after or [] if t not in (before or [])]
            removed = [t for t in before or [] if t not in (after or [])]
            if added:
                parts.append("新增标签 " + "、".join(added))
            if removed:
                parts.append("移除标签 " + "、".join(removed))
        elif k == "intent":
            parts.append(f"意向 {_INTENT_CN.get(before, '—')}→{_INTENT_CN[after]}")
        elif k == "amount_fen":
            parts.append(f"金额 {'—' if after is None else f'{after // 100}元'}")
        elif k == "term_months":
            parts.append(f"期限 {'—' if after is None else f'{after}个月'}")
        else:
            parts.append(f"{_LABELS[k]} {after or '—'}")
    return "画像更新：" + "；".join(parts)


def _announcement(customer_id: int, changes: dict, new: dict, last_evidence_id: int) -> tuple[dict, dict]:
    """The profile_changed timeline entry and the profile.changed payload for one customer's change."""
    digest = hashlib.sha256(json.dumps(new, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    entry = {"customer_id": customer_id, "kind": "profile_changed", "summary": _describe(changes),
             "data": {"changes": changes}, "source_key": f"profile:{last_evidence_id}:{digest}"}
    return entry, {"customer_id": customer_id, "changes": changes, **new}


def _announce_many(session: Session, announcements: list[tuple[dict, dict]]) -> None:
    """Timeline entries and profile.changed events for many changes: two INSERTs whatever their number."""
    if not announcements:
        return
    customer_service.add_timeline_many(session, [entry for entry, _ in announcements])
    events.emit_many(session, "profile.changed", [payload for _, payload in announcements])


def on_customer_erased(session: Session, payload: dict) -> None:
    """Event subscriber: the customer's own words go from the evidence; the tags they led to stay."""
    customer_id = payload["customer_id"]
    session.execute(update(TagEvidence).where(TagEvidence.customer_id == customer_id).values(excerpt=""))
    session.execute(delete(TaggingCorrection).where(TaggingCorrection.customer_id == customer_id))
    for tag in session.scalars(select(CustomerTag).where(CustomerTag.customer_id == customer_id)):
        if "excerpt" in (tag.evidence or {}):
            tag.evidence = {f: v for f, v in tag.evidence.items() if f != "excerpt"}
    profile = get_profile(session, customer_id)
    if profile is not None:
        profile.evidence = _without_excerpts(profile.evidence)
        session.flush()


def _without_excerpts(doc):
    """The evidence with every quoted excerpt removed, at any depth (retractions keep two pieces of evidence)."""
    if isinstance(doc, dict):
        return {k: _without_excerpts(v) for k, v in doc.items() if k != "excerpt"}
    return doc


def get_profile(session: Session, customer_id: int) -> CustomerProfile | None:
    session.flush()
    return session.scalars(select(CustomerProfile).where(CustomerProfile.customer_id == customer_id)).first()


def reprofile_all(session: Session, *, batch_size: int = 2000, now: datetime | None = None,
                  after_batch=None) -> dict:
    """Recompute every customer's profile from stored evidence (no re-analysis); returns counts.

    Works in batches of customers (one query for their evidence, one for their profiles); ``after_batch``
    (e.g. ``session.commit``) runs after each so a long run holds no long transaction.
    """
    now = now or utcnow()
    order = rules_mod.shipped_rules().vocabulary_order
    seen = changed = 0
    last_id = 0
    while True:
        session.flush()
        customers = session.execute(
            select(Customer.id, Customer.last_contact_at, Customer.status).where(Customer.id > last_id)
            .order_by(Customer.id).limit(batch_size)).all()
        if not customers:
            break
        ids = [c.id for c in customers]
        last_id = ids[-1]
        evidence: dict[int, list] = {}
        for row in session.execute(select(TagEvidence.id, TagEvidence.customer_id, TagEvidence.source,
                                          TagEvidence.source_key, TagEvidence.at, TagEvidence.excerpt,
                                          TagEvidence.result).where(TagEvidence.customer_id.in_(ids))):
            evidence.setdefault(row.customer_id, []).append(row)
        # plain rows, not ORM objects: the identity map and unit of work cost more than the merging itself
        profiles = {p.customer_id: p for p in session.execute(
            select(CustomerProfile.id, CustomerProfile.customer_id, *PROFILE_FIELDS, CustomerProfile.evidence)
            .where(CustomerProfile.customer_id.in_(ids)))}
        manual = _manual_vocabulary_tags(session, ids)
        announcements, inserts, updates = [], [], []
        stamp = utcnow()
        for c in customers:
            rows = evidence.get(c.id, [])
            current = profiles.get(c.id)
            if not rows and current is None:
                continue
            merged = profile_mod.merge(_items(rows), now=now, last_contact_at=c.last_contact_at,
                                       gone=c.status == CustomerStatus.gone, manual_tags=manual.get(c.id, set()),
                                       vocabulary_order=order)
            seen += 1
            new = _values(merged)
            changes = _changes(current, new)
            if current is None:
                inserts.append({"customer_id": c.id, **new, "evidence": merged.evidence, "updated_at": stamp})
            elif changes or current.evidence != merged.evidence:
                updates.append({"id": current.id, **new, "evidence": merged.evidence,
                                "updated_at": stamp if changes else current.updated_at})
            if changes:
                changed += 1
                announcements.append(_announcement(c.id, changes, new, max((r.id for r in rows), default=0)))
        # one multi-row INSERT for new profiles, one executemany UPDATE, then one INSERT for the timeline
        # entries and one for the events
        if inserts:
            session.execute(insert(CustomerProfile.__table__), inserts)
        if updates:
            session.execute(update(CustomerProfile), updates)
        _announce_many(session, announcements)
        session.flush()
        if after_batch is not None:
            after_batch()
    return {"customers": seen, "changed": changed}


# ---------------------------------------------------------------------------------------------
# WeCom: the app's own tag groups, and marking customers

APP_GROUP_SUFFIX = "（智能）"


@dataclass
class SyncReport:
    customers: int = 0
    calls: int = 0
    added: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)


def _app_group_name(session: Session, name: str) -> str:
    """Our group's name: the vocabulary's, unless staff already made a group of that name (not ours to edit)."""
    existing = session.scalars(select(TagGroup).where(TagGroup.name == name, TagGroup.deleted.is_(False))).first()
    if existing is None or existing.created_by_app:
        return name
    return (name + APP_GROUP_SUFFIX)[:30]


def ensure_catalogue(session: Session, client=None) -> dict[str, Tag]:
    """The app's Tag rows for the whole vocabulary, created in WeCom (add_corp_tag) when a client is given."""
    if client is not None:
        refresh_catalogue(session, client)
    out: dict[str, Tag] = {}
    for order, (group_name, names) in enumerate(rules_mod.shipped_rules().vocabulary.items()):
        name = _app_group_name(session, group_name)
        group = session.scalars(select(TagGroup).where(TagGroup.name == name)).first()
        if group is None:
            group = TagGroup(name=name, created_by_app=True, order=100 - order)
            session.add(group)
            session.flush()
        if client is not None and group.deleted:
            group.wecom_group_id = None  # deleted in WeCom (refresh_catalogue saw it go): made again below
        group.created_by_app, group.deleted = True, False
        have = {t.name: t for t in session.scalars(select(Tag).where(Tag.group_id == group.id))}
        missing = [n for n in names if n not in have
                   or (client is not None and (have[n].wecom_tag_id is None or have[n].deleted))]
        for n in missing:
            if n in have:
                have[n].wecom_tag_id = None
        session.flush()
        if missing and client is not None:
            answer = client.external_contact.add_corp_tag(
                group_id=group.wecom_group_id, group_name=None if group.wecom_group_id else name,
                order=group.order, tags=[{"name": n[:30]} for n in missing])
            # no idempotency key: add_corp_tag is idempotent by name in WeCom, and a key would replay a stale
            # answer after staff delete our tags and they have to be made again
            g = answer["tag_group"]
            group.wecom_group_id = g["group_id"]
            for t in g.get("tag") or []:
                tag = have.get(t["name"]) or session.scalars(
                    select(Tag).where(Tag.wecom_tag_id == t["id"])).first()
                if tag is None:
                    tag = Tag(group_id=group.id, name=t["name"])
                    session.add(tag)
                tag.wecom_tag_id, tag.group_id, tag.created_by_app, tag.deleted = t["id"], group.id, True, False
                have[t["name"]] = tag
        for n in names:
            if n not in have:
                have[n] = Tag(group_id=group.id, name=n, created_by_app=True)
                session.add(have[n])
            have[n].created_by_app, have[n].deleted = True, False
            out[n] = have[n]
        session.flush()
    return out


def _follow_userids(session: Session, customer_id: int) -> list[str]:
    rows = session.execute(select(Employee.wecom_userid).join(CustomerFollow, CustomerFollow.employee_id == Employee.id)
                           .where(CustomerFollow.customer_id == customer_id,
                                  CustomerFollow.status == FollowStatus.active, Employee.wecom_userid.is_not(None))
                           .order_by(CustomerFollow.id))
    return [r[0] for r in rows]


def sync_wecom_tags(session: Session, client, customer_ids: list[int], *, concurrency: int = 5) -> SyncReport:
    """Make the customers' pipeline tags in WeCom equal their profiles' tags.

    One mark_tag per (follow user, customer) carrying every addition and removal, only where something
    changed, at most ``concurrency`` at once (WeCom allows 5). Tags staff set by hand are never in a call.
    mark_tag raises no callback, so the local CustomerTag rows change here, after each call succeeds.
    """
    catalogue = ensure_catalogue(session, client)
    by_id = {t.id: t for t in catalogue.values()}
    report = SyncReport()
    plans = []
    for customer_id in customer_ids:
        customer = customer_service.get(session, customer_id)
        profile = get_profile(session, customer_id)
        manual = set(session.scalars(select(CustomerTag.tag_id).where(
            CustomerTag.customer_id == customer_id, CustomerTag.source == WECOM_MANUAL)))
        want = {catalogue[n].id for n in (profile.tags if profile else []) if n in catalogue} - manual
        have = set(session.scalars(select(CustomerTag.tag_id).where(
            CustomerTag.customer_id == customer_id, CustomerTag.source == PIPELINE)))
        add, remove = sorted(want - have), sorted((have - want) & set(by_id))
        report.customers += 1
        if not add and not remove:
            continue
        userids = _follow_userids(session, customer_id) if client is not None and customer.wecom_external_userid else []
        # the profile's version is in the key: the same change made again later is a new call, a retry is not
        version = profile.updated_at.isoformat() if profile else ""
        plans.append((customer_id, customer.wecom_external_userid, userids, add, remove, version))
    calls = []
    for customer_id, external_userid, userids, add, remove, version in plans:
        digest = hashlib.sha256(json.dumps([add, remove, version]).encode()).hexdigest()[:12]
        for userid in userids:
            calls.append((customer_id, userid, external_userid, add, remove,
                          f"tagging:mark:{customer_id}:{userid}:{digest}"[:110]))

    def call(c):
        customer_id, userid, external_userid, add, remove, key = c
        client.external_contact.mark_tag(userid, external_userid,
                                         add_tag=[by_id[i].wecom_tag_id for i in add] or None,
                                         remove_tag=[by_id[i].wecom_tag_id for i in remove] or None,
                                         idempotency_key=key)

    failed: set[int] = set()
    if calls:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 5))) as pool:
            for c, future in [(c, pool.submit(call, c)) for c in calls]:
                try:
                    future.result()
                    report.calls += 1
                except Exception as exc:  # one customer's failure must not stop the others
                    log.warning("mark_tag for customer %s via %s failed: %s", c[0], c[1], exc)
                    failed.add(c[0])
                    report.failed.append(f"{c[0]}:{c[1]}")
    for customer_id, _, userids, add, remove, _ in plans:
        if customer_id in failed:
            continue
        if remove:
            session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id,
                                                      CustomerTag.source == PIPELINE, CustomerTag.tag_id.in_(remove)))
        profile = get_profile(session, customer_id)
        for tag_id in add:
            name = by_id[tag_id].name
            session.add(CustomerTag(customer_id=customer_id, tag_id=tag_id, source=PIPELINE,
                                    evidence=(profile.evidence.get(name) if profile else None) or {}))
        report.added += len(add)
        report.removed += len(remove)
    session.flush()
    return report


# ---------------------------------------------------------------------------------------------
# tags as pages search and show them


def tagged_condition(session: Session, tag: str) -> ColumnElement[bool]:
    """Customers carrying ``tag``: in their profile (画像) or set by hand on WeCom."""
    if is_postgres(session):
        in_profile = type_coerce(CustomerProfile.tags, JSONB).contains([tag])
    else:
        in_profile = type_coerce(CustomerProfile.tags, String).like(f"%{json.dumps(tag)}%")
    by_hand = select(CustomerTag.customer_id).join(Tag, Tag.id == CustomerTag.tag_id).where(Tag.name == tag)
    return or_(Customer.id.in_(select(CustomerProfile.customer_id).where(in_profile)), Customer.id.in_(by_hand))


def searchable_tags(session: Session) -> list[str]:
    """Tags offered in a search: the pipeline's vocabulary, then the rest of the WeCom catalogue by name."""
    names = list(rules_mod.shipped_rules().vocabulary_order)
    for name in session.scalars(select(Tag.name).where(Tag.deleted.is_(False)).order_by(Tag.name)):
        if name not in names:
            names.append(name)
    return names


def profile_tags_of(session: Session, customer_ids: list[int]) -> dict[int, list[str]]:
    """Customer id -> the tags in their profile, for the customers that have one."""
    if not customer_ids:
        return {}
    return dict(session.execute(select(CustomerProfile.customer_id, CustomerProfile.tags)
                                .where(CustomerProfile.customer_id.in_(customer_ids))).all())


@dataclass
class TagView:
    name: str
    source: str  # 画像 | 企微手动
    evidence: dict | None


def tags_of_customer(session: Session, customer_id: int, profile: CustomerProfile | None) -> list[TagView]:
    """One customer's tags: the profile's with their evidence first, then those set on WeCom, each once."""
    out = [TagView(t, "画像", (profile.evidence or {}).get(t)) for t in (profile.tags if profile else [])]
    seen = {t.name for t in out}
    for name, source in session.execute(select(Tag.name, CustomerTag.source).join(Tag, Tag.id == CustomerTag.tag_id)
                                        .where(CustomerTag.customer_id == customer_id).order_by(Tag.name)):
        if name not in seen:
            seen.add(name)
            out.append(TagView(name, "企微手动" if source == WECOM_MANUAL else source, None))
    return out


# ---------------------------------------------------------------------------------------------- learning from staff

CORRECTABLE = ("tag", "product", "intent", "amount_yuan", "term_months", "city")
STAFF_PHRASE = "员工更正"


def _check_correction(field_name: str, tag: str | None, value):
    ruleset = rules_mod.shipped_rules()
    if field_name not in CORRECTABLE:
        raise ValidationFailed(f"只能更正 {', '.join(CORRECTABLE)}", field="field")
    if field_name == "tag":
        if tag not in ruleset.vocabulary_order or tag in ruleset.intent_tags.values() or tag in ruleset.product_tags:
            raise ValidationFailed("标签必须是画像的资产或风险标签（产品和意向请更正 product / intent）", field="tag")
        if not isinstance(value, bool):
            raise ValidationFailed("标签更正的值是 true（有）或 false（没有）", field="value")
    elif tag is not None:
        raise ValidationFailed("只有更正标签时才填 tag", field="tag")
    elif field_name == "product" and value is not None and value not in ruleset.product_tags:
        raise ValidationFailed(f"产品必须是 {'、'.join(ruleset.product_tags)} 之一或 null", field="value")
    elif field_name == "intent" and value not in pipeline.INTENTS:
        raise ValidationFailed("意向必须是 high、medium 或 low", field="value")
    elif field_name in ("amount_yuan", "term_months") and value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValidationFailed("金额（元）和期限（月）是正整数或 null", field="value")
    elif field_name == "city" and value is not None and (not isinstance(value, str) or not 0 < len(value) <= 32):
        raise ValidationFailed("城市是 1 到 32 个字或 null", field="value")


def record_correction(session: Session, *, field_name: str, value, tag: str | None = None, text: str | None = None,
                      evidence_id: int | None = None, customer_id: int | None = None,
                      employee_id: int | None = None) -> TaggingCorrection:
    """Store a staff correction with the text it concerns (given, or the evidence's); with a customer, the
    correction is also the newest statement about them, so their profile follows it at once."""
    _check_correction(field_name, tag, value)
    if evidence_id is not None:
        ev = session.get(TagEvidence, evidence_id)
        if ev is None or (customer_id is not None and ev.customer_id != customer_id) or ev.source == "behaviour":
            raise ValidationFailed(f"没有这条文本依据 {evidence_id}", field="evidence_id")
        customer_id, text = ev.customer_id, ev.excerpt
    if not text or not text.strip():
        raise ValidationFailed("请给出更正所针对的文本", field="text")
    if customer_id is not None:
        customer_service.get(session, customer_id)
    text = text.strip()[:2000]
    analysis = pipeline.analyze(text, model_path=active_model_path(session))
    previous = (tag in analysis.tags) if field_name == "tag" else getattr(analysis, field_name)
    row = TaggingCorrection(customer_id=customer_id, evidence_id=evidence_id, text=text, field=field_name, tag=tag,
                            value={"v": value}, previous={"v": previous}, employee_id=employee_id, created_at=utcnow())
    session.add(row)
    session.flush()
    if customer_id is not None:
        if field_name == "tag":
            result = {"asserted": {tag: value}, "phrases": {tag: STAFF_PHRASE}}
        elif field_name == "intent":
            result = {"intent": value, "intent_by": "rule", "phrases": {"intent": STAFF_PHRASE}}
        elif field_name == "product":
            result = {"product": value, "phrases": {"product": STAFF_PHRASE}}
        else:
            result = {field_name: value}
        _add_evidence(session, customer_id, "manual", f"correction:{row.id}", row.created_at, text, result)
        recompute_profile(session, customer_id)
    return row


def corrections(session: Session) -> list[dict]:
    """Every correction, oldest first, as training and evaluation read them."""
    rows = session.scalars(select(TaggingCorrection).order_by(TaggingCorrection.id)).all()
    return [{"id": r.id, "text": r.text, "field": r.field, "tag": r.tag, "value": (r.value or {}).get("v"),
             "previous": (r.previous or {}).get("v")} for r in rows]


def correction_examples(items: list[dict], model_path) -> list[dataset.Example]:
    """Corrections as labelled examples: what the pipeline reads in each text, with every correction of that
    text applied in order (the last one wins)."""
    texts = list(dict.fromkeys(c["text"] for c in items))
    base = {a.text: a for a in pipeline.analyze_many(texts, model_path=model_path)}
    out = {}
    for c in items:
        ex = out.get(c["text"])
        if ex is None:
            a = base[c["text"]]
            ex = out[c["text"]] = dataset.Example(
                text=c["text"], product=a.product, intent=a.intent,
                tags=sorted(t for t, on in a.asserted.items() if on), amount_yuan=a.amount_yuan,
                term_months=a.term_months, city=a.city, origin="correction")
        if c["field"] == "tag":
            ex.tags = sorted((set(ex.tags) | {c["tag"]}) if c["value"] else (set(ex.tags) - {c["tag"]}))
        else:
            setattr(ex, c["field"], c["value"])
    return list(out.values())


def active_model(session: Session) -> TaggingModel | None:
    return session.scalars(select(TaggingModel).where(TaggingModel.active.is_(True))).first()


def active_model_path(session: Session):
    """The file of the model in use; None means the shipped one."""
    row = active_model(session)
    return None if row is None else Path(row.path)


@dataclass
class TrainOutcome:
    model: TaggingModel
    activated: bool
    reason: str
    metrics: dict  # {"new": {...}, "current": {...}}


RECENT_SHARE = 5  # the newest fifth of the corrections (at least one) is kept out of training to judge the model
# retraining moves a tag or two of the held-out set either way; a drop within this much micro-F1 (about three
# tags in 287 messages) is noise, not a worse model
HELDOUT_TOLERANCE = 0.003


def train_and_activate(session: Session, *, models_dir: Path, generated: int = 3000,
                       seed: int = dataset.SEED) -> TrainOutcome:
    """Train a new versioned model on the data set plus staff corrections, and activate it only if it is not
    worse than the model in use on the held-out set (tag micro-F1) or on the recent corrections it never saw
    (share agreed with). The artefact and its metrics are kept either way; the outcome says why."""
    items = corrections(session)
    recent = items[-max(1, len(items) // RECENT_SHARE):] if items else []
    older = items[:len(items) - len(recent)]
    current = active_model(session)
    current_path = Path(current.path) if current else None
    n = (session.scalar(select(func.count()).select_from(TaggingModel)) or 0) + 1
    version = f"tagger-{n}-{utcnow():%Y%m%d%H%M%S}"
    path = Path(models_dir) / f"{version}.joblib"
    meta = training.train(n=generated, seed=seed, out=path,
                          extra=correction_examples(older, current_path), version=version)
    new = {"heldout": _headline(meta["metrics"]["heldout"]), "corrections": training.agreement(path, recent)}
    old = {"heldout": _headline(training.evaluate_heldout(current_path)),
           "corrections": training.agreement(current_path, recent)}
    worse = []
    if new["heldout"]["micro_f1"] < old["heldout"]["micro_f1"] - HELDOUT_TOLERANCE:
        worse.append(f"held-out micro-F1 {new['heldout']['micro_f1']} < {old['heldout']['micro_f1']}")
    if recent and new["corrections"]["agree"] < old["corrections"]["agree"]:
        worse.append(f"agreement with the {len(recent)} recent corrections {new['corrections']['agree']} < "
                     f"{old['corrections']['agree']}")
    who = current.version if current else "the shipped model"
    reason = (f"refused: worse than {who} on " + "; ".join(worse)) if worse else f"activated: not worse than {who}"
    row = TaggingModel(version=version, path=str(path), metrics={"new": new, "current": old, "report": meta},
                       corrections_upto=older[-1]["id"] if older else 0, active=False, note=reason,
                       created_at=utcnow())
    session.add(row)
    if not worse:
        if current is not None:
            current.active = False
        session.flush()
        row.active, row.activated_at = True, utcnow()
    session.flush()
    return TrainOutcome(row, not worse, reason, {"new": new, "current": old})


def _headline(m: dict) -> dict:
    return {k: m.get(k) for k in ("n", "micro_f1", "micro_precision", "micro_recall", "intent_accuracy",
                                  "amount_exact", "amount_n", "amount_spurious", "term_exact", "term_spurious")}


def rollback_model(session: Session) -> TaggingModel | None:
    """Retire the model in use and go back to the one active before it (or to the shipped model)."""
    current = active_model(session)
    if current is None:
        raise ValidationFailed("没有可回滚的模型：正在使用的是随程序发布的模型", field="model")
    current.active, current.retired_at = False, utcnow()
    current.note = (current.note + "; rolled back").strip("; ")
    session.flush()
    previous = session.scalars(select(TaggingModel).where(TaggingModel.id != current.id,
                                                          TaggingModel.activated_at.is_not(None),
                                                          TaggingModel.retired_at.is_(None))
                               .order_by(TaggingModel.activated_at.desc(), TaggingModel.id.desc())).first()
    if previous is not None:
        previous.active, previous.activated_at = True, utcnow()
    session.flush()
    return previous


def precision_from_corrections(session: Session) -> dict[str, dict]:
    """Per tag, what staff corrections reveal: how often the pipeline's tag was confirmed or removed, and how
    often staff added it where the pipeline missed it. A product or intent corrected from X to Y removes X and
    adds Y; a correction equal to what the pipeline read confirms it."""
    ruleset = rules_mod.shipped_rules()
    out: dict[str, dict] = {}

    def bump(tag: str | None, key: str) -> None:
        if tag and key:
            out.setdefault(tag, {"confirmed": 0, "removed": 0, "added": 0})[key] += 1

    for c in corrections(session):
        if c["field"] == "tag":
            was, now = bool(c["previous"]), bool(c["value"])
            bump(c["tag"], "confirmed" if was and now else "removed" if was else "added" if now else "")
        elif c["field"] in ("product", "intent"):
            name = (lambda v: ruleset.intent_tags.get(v)) if c["field"] == "intent" else (lambda v: v)
            if c["previous"] == c["value"]:
                bump(name(c["value"]), "confirmed")
            else:
                bump(name(c["previous"]), "removed")
                bump(name(c["value"]), "added")
    for tag, s in out.items():
        seen = s["confirmed"] + s["removed"]
        s["precision"] = round(s["confirmed"] / seen, 3) if seen else None
    return dict(sorted(out.items()))


def list_models(session: Session) -> list[TaggingModel]:
    return list(session.scalars(select(TaggingModel).order_by(TaggingModel.id.desc())))
