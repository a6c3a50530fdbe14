"""The tag catalogue mirrored from WeCom, and customers' tags by source."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scrm.org import service as org_service
from scrm.tagging.models import CustomerTag, Tag, TagGroup

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
