"""The tag catalogue mirrored from WeCom, customers' tags by source, and the tagging pipeline's service side:
evidence in, profile (画像) out, tags synced to WeCom."""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, String, delete, exists, insert, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from scrm.channels.models import Channel
from scrm.core import events
from scrm.core.db import insert_ignore, insert_ignore_many, is_postgres, utcnow
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer, CustomerFollow, CustomerStatus, FollowStatus
from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.tagging import pipeline
from scrm.tagging import profile as profile_mod
from scrm.tagging import rules as rules_mod
from scrm.tagging.artefacts import active_model_path
from scrm.tagging.events import ProfileChanged
from scrm.tagging.labels import COUNT_NAMES
from scrm.tagging.models import CustomerProfile, CustomerTag, Tag, TagEvidence, TaggingCorrection, TagGroup
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


def add_evidence(session: Session, customer_id: int, source: str, source_key: str, at: datetime | None,
                  excerpt: str, result: dict) -> int | None:
    added = add_evidence_many(session, source, [(customer_id, source_key, at, excerpt, result)])
    return added[0] if added else None


def add_evidence_many(session: Session, source: str, items: list[tuple[int, str, datetime | None, str, dict]],
                      ) -> list[int]:
    """Evidence from one source for many customers, as ``(customer_id, source_key, at, excerpt, result)``, in one
    INSERT; returns the ids of the rows added (a source_key already there adds nothing)."""
    if source not in SOURCES:
        raise ValidationFailed(f"未知的来源 {source}", field="source")
    now = utcnow()
    rows = [{"customer_id": customer_id, "source": source, "source_key": source_key[:80], "at": at or now,
             "excerpt": excerpt[:MAX_EXCERPT], "result": result, "created_at": now}
            for customer_id, source_key, at, excerpt, result in items]
    return [r[0] for r in insert_ignore_many(session, TagEvidence.__table__, rows, ["customer_id", "source_key"],
                                             [TagEvidence.id])]


def tag_text(session: Session, customer_id: int, text: str, *, source: str, source_key: str,
             at: datetime | None = None) -> CustomerProfile | None:
    """Read one text about the customer into its evidence and profile; None when this source_key was already read."""
    customer_service.get(session, customer_id)
    analysis = pipeline.analyze(text, model_path=active_model_path(session))
    if add_evidence(session, customer_id, source, source_key, at, text.strip(), analysis.to_evidence()) is None:
        return None
    return recompute_profile(session, customer_id)[0]


def record_behaviour(session: Session, customer_id: int, event: str, *, source_key: str,
                     at: datetime | None = None) -> CustomerProfile | None:
    """Record replied / visit / application_submitted / deleted_salesperson; the intent is recomputed."""
    if event not in profile_mod.BEHAVIOURS:
        raise ValidationFailed(f"未知的行为 {event}", field="event")
    customer_service.get(session, customer_id)
    if add_evidence(session, customer_id, "behaviour", source_key, at, event, {"behaviour": event}) is None:
        return None
    return recompute_profile(session, customer_id)[0]


def staff_settable_tags() -> list[str]:
    """The app's tags a salesperson may add or remove by hand (intent follows from evidence, never set)."""
    intent = set(profile_mod.INTENT_TAGS.values())
    return [t for t in rules_mod.shipped_rules().vocabulary_order if t not in intent]


def set_tag_by_staff(session: Session, customer_id: int, tag: str, on: bool, *, employee_id: int,
                     source_key: str) -> CustomerProfile:
    """A salesperson adds (``on``) or removes one of the app's tags: evidence from source "manual" that asserts it,
    so the newest statement wins as for any text; the profile is recomputed (and then synced to WeCom)."""
    if tag not in staff_settable_tags():
        raise ValidationFailed(f"“{tag[:30]}”不是系统标签，请从列表中选择", field="tag")
    customer_service.get(session, customer_id)
    action = "添加" if on else "移除"
    add_evidence(session, customer_id, "manual", source_key, None, f"销售{action}标签：{tag}",
                  {"asserted": {tag: on}, "phrases": {tag: f"销售手动{action}"}, "employee_id": employee_id})
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
                  CustomerProfile.city, CustomerProfile.tags, CustomerProfile.counts, CustomerProfile.updated_at)


def _values(merged: profile_mod.ProfileData) -> dict:
    return {"product": merged.product, "intent": merged.intent,
            "amount_fen": None if merged.amount_yuan is None else merged.amount_yuan * 100,
            "term_months": merged.term_months, "city": merged.city, "tags": merged.tags, "counts": merged.counts}


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
        elif k == "counts":
            parts.append("风控数字 " + ("、".join(f"{COUNT_NAMES[f]} {n}" for f, n in (after or {}).items()) or "—"))
        elif k == "term_months":
            parts.append(f"期限 {'—' if after is None else f'{after}个月'}")
        else:
            parts.append(f"{_LABELS[k]} {after or '—'}")
    return "画像更新：" + "；".join(parts)


def _announcement(customer_id: int, changes: dict, new: dict, last_evidence_id: int) -> tuple[dict, ProfileChanged]:
    """The profile_changed timeline entry and the profile.changed event for one customer's change."""
    digest = hashlib.sha256(json.dumps(new, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    entry = {"customer_id": customer_id, "kind": "profile_changed", "summary": _describe(changes),
             "data": {"changes": changes}, "source_key": f"profile:{last_evidence_id}:{digest}"}
    return entry, ProfileChanged(customer_id=customer_id, changes=changes, **new)


def _announce_many(session: Session, announcements: list[tuple[dict, ProfileChanged]]) -> None:
    """Timeline entries and profile.changed events for many changes: two INSERTs whatever their number."""
    if not announcements:
        return
    customer_service.add_timeline_many(session, [entry for entry, _ in announcements])
    events.emit_many(session, [event for _, event in announcements])


def on_customer_erased(session: Session, event: CustomerErased) -> None:
    """Event subscriber: the customer's own words go from the evidence; the tags they led to stay."""
    customer_id = event.customer_id
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
    seen = changed = 0
    last_id = 0
    while True:
        session.flush()
        customers = session.execute(
            select(Customer.id, Customer.last_contact_at, Customer.status).where(Customer.id > last_id)
            .order_by(Customer.id).limit(batch_size)).all()
        if not customers:
            break
        last_id = customers[-1].id
        batch_seen, batch_changed = _reprofile_batch(session, customers, now)
        seen, changed = seen + batch_seen, changed + batch_changed
        if after_batch is not None:
            after_batch()
    return {"customers": seen, "changed": changed}


_REPROFILE_CHUNK = 2000


def recompute_profiles(session: Session, customer_ids: list[int], *, now: datetime | None = None) -> int:
    """``recompute_profile`` for many customers at once (a risk rule tagging its matches); returns how many changed.

    The customer rows are locked in id order, so two such runs over overlapping customers wait for each other
    instead of deadlocking, and a job merging one of them waits as it would for ``recompute_profile``."""
    session.flush()
    now = now or utcnow()
    ids = sorted(set(customer_ids))
    changed = 0
    for start in range(0, len(ids), _REPROFILE_CHUNK):
        customers = session.execute(
            select(Customer.id, Customer.last_contact_at, Customer.status)
            .where(Customer.id.in_(ids[start:start + _REPROFILE_CHUNK])).order_by(Customer.id).with_for_update()).all()
        changed += _reprofile_batch(session, customers, now)[1]
    return changed


def _reprofile_batch(session: Session, customers: list, now: datetime) -> tuple[int, int]:
    """Merge the evidence of ``customers`` (rows of id, last_contact_at, status) into their profiles: one query
    for their evidence, one for their profiles, one INSERT, one executemany UPDATE, then one INSERT for the
    timeline entries and one for the events. Returns (profiles merged, profiles changed)."""
    ids = [c.id for c in customers]
    order = rules_mod.shipped_rules().vocabulary_order
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
    seen = 0
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
            announcements.append(_announcement(c.id, changes, new, max((r.id for r in rows), default=0)))
    if inserts:
        session.execute(insert(CustomerProfile.__table__), inserts)
    if updates:  # by primary key through the ORM: a profile already loaded in the session gets the new values too
        session.execute(update(CustomerProfile), updates)
    _announce_many(session, announcements)
    session.flush()
    return seen, len(announcements)


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


def tagged_conditions(session: Session, tag: str) -> list[ColumnElement[bool]]:
    """Customers carrying ``tag`` (any of these): in their profile (画像), or put on in WeCom (by hand, a channel or
    the pipeline). Correlated, so a list in date order probes a few customers instead of collecting every match."""
    if is_postgres(session):
        in_profile = type_coerce(CustomerProfile.tags, JSONB).contains([tag])
    else:
        in_profile = type_coerce(CustomerProfile.tags, String).like(f"%{json.dumps(tag)}%")
    return [exists().where(CustomerProfile.customer_id == Customer.id, in_profile),
            exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag_id == Tag.id, Tag.name == tag)]


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


def manual_wecom_tags(session: Session, customer_ids: list[int]) -> tuple[set[str], dict[int, set[str]]]:
    """The WeCom ids of the catalogue's hand-set tags (not the product's), and each customer's hand-set WeCom tags:
    what ``apply_wecom_tags`` would compare, read for many customers at once."""
    session.flush()
    manual = set(session.scalars(select(Tag.wecom_tag_id).where(Tag.wecom_tag_id.is_not(None),
                                                                Tag.created_by_app.is_(False))))
    held: dict[int, set[str]] = {i: set() for i in customer_ids}
    if customer_ids:
        for customer_id, wecom_tag_id in session.execute(
                select(CustomerTag.customer_id, Tag.wecom_tag_id).join(Tag, Tag.id == CustomerTag.tag_id)
                .where(CustomerTag.customer_id.in_(customer_ids), CustomerTag.source == WECOM_MANUAL)):
            held[customer_id].add(wecom_tag_id)
    return manual, held


def apply_wecom_tags_many(session: Session, tags_by_customer: dict[int, dict[str, list[str]]]) -> None:
    """``apply_wecom_tags`` for many customers in a few statements (the import's pages)."""
    if not tags_by_customer:
        return
    session.flush()
    setters: dict[int, dict[str, str]] = {}
    for customer_id, by_userid in tags_by_customer.items():
        setter = setters.setdefault(customer_id, {})
        for userid, wecom_tag_ids in by_userid.items():
            for wecom_tag_id in wecom_tag_ids:
                setter.setdefault(wecom_tag_id, userid)
    wanted_ids = {t for setter in setters.values() for t in setter}
    manual = {t.wecom_tag_id: t for t in session.scalars(select(Tag).where(
        Tag.wecom_tag_id.in_(list(wanted_ids) or ["-"]))) if not t.created_by_app}
    ids = list(tags_by_customer)
    existing = session.execute(select(CustomerTag.id, CustomerTag.customer_id, CustomerTag.tag_id).where(
        CustomerTag.customer_id.in_(ids), CustomerTag.source == WECOM_MANUAL)).all()
    keep = {(cid, manual[w].id) for cid, setter in setters.items() for w in setter if w in manual}
    stale = [row_id for row_id, cid, tag_id in existing if (cid, tag_id) not in keep]
    if stale:
        session.execute(delete(CustomerTag).where(CustomerTag.id.in_(stale)))
    held = {(cid, tag_id) for _, cid, tag_id in existing}
    staff = {e.wecom_userid: e.id for e in session.scalars(select(Employee).where(
        Employee.wecom_userid.in_({u for s in setters.values() for u in s.values()})))}
    session.add_all([CustomerTag(customer_id=cid, tag_id=manual[w].id, source=WECOM_MANUAL,
                                 employee_id=staff.get(userid))
                     for cid, setter in setters.items() for w, userid in setter.items()
                     if w in manual and (cid, manual[w].id) not in held])
    session.flush()
