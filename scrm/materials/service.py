"""Scripts and materials: managers keep the library, salespeople send from it into a chat, and every send is
counted so managers see what is used and which customers signed afterwards."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scrm.core import storage
from scrm.core.db import utcnow
from scrm.core.errors import Forbidden, NotFound, ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, Stage, TimelineEntry
from scrm.materials import schemas
from scrm.materials.models import Material, MaterialKind, MaterialSend
from scrm.org.models import Employee, Role

MANAGERS = (Role.manager, Role.admin)
# 上传临时素材 (https://developer.work.weixin.qq.com/document/path/90253): "该media_id仅三天内有效"
MEDIA_LIFETIME = timedelta(days=3)
MEDIA_MARGIN = timedelta(hours=1)  # a media_id this close to expiry is uploaded again rather than risked
FILE_LIMITS = {MaterialKind.image: 10 * 1024 * 1024, MaterialKind.file: 20 * 1024 * 1024}
IMAGE_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}
FILE_TYPES = {b"%PDF-": ("application/pdf", "pdf")}
SIGNED_STAGES = (Stage.signed, Stage.processing, Stage.disbursed, Stage.settled)
PLACEHOLDER = re.compile(r"\{(客户称呼|产品|金额)\}")
_UNSAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff.\-() ]+")


def ensure_manager(actor: Employee) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden("只有经理可以管理话术和素材")


# ---------------------------------------------------------------------------------------------
# the library


def list_materials(session: Session, *, q: str | None = None, kind: MaterialKind | str | None = None,
                   include_inactive: bool = False, limit: int = 500) -> list[Material]:
    """Scripts and materials by group and title; ``q`` searches titles, groups and texts."""
    stmt = select(Material)
    if not include_inactive:
        stmt = stmt.where(Material.active.is_(True))
    if kind:
        stmt = stmt.where(Material.kind == MaterialKind(kind))
    if q and q.strip():
        like = f"%{q.strip()[:50]}%"
        stmt = stmt.where(or_(Material.title.like(like), Material.group_name.like(like), Material.content.like(like)))
    return list(session.scalars(stmt.order_by(Material.group_name, Material.title, Material.id).limit(limit)))


def get(session: Session, material_id: int) -> Material:
    material = session.get(Material, material_id)
    if material is None:
        raise NotFound(f"没有编号为 {material_id} 的话术或素材")
    return material


def get_active(session: Session, material_id: int) -> Material:
    material = get(session, material_id)
    if not material.active:
        raise NotFound("这条话术或素材已停用")
    return material


def _file_type(kind: MaterialKind, data: bytes) -> tuple[str, str]:
    allowed = IMAGE_TYPES if kind == MaterialKind.image else {**FILE_TYPES, **IMAGE_TYPES}
    for magic, found in allowed.items():
        if data.startswith(magic):
            return found
    raise ValidationFailed("图片只能是 JPG 或 PNG" if kind == MaterialKind.image else "文件只能是 PDF、JPG 或 PNG",
                           field="file")


def _clean_filename(filename: str, ext: str) -> str:
    name = _UNSAFE_NAME.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:100]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or 'material'}.{ext}"


def _check(data: schemas.MaterialIn, has_file: bool) -> None:
    errors: list[tuple[str, str]] = []
    if data.kind == MaterialKind.text and not data.content.strip():
        errors.append(("content", "请填写话术内容"))
    if data.kind == MaterialKind.link and not data.url:
        errors.append(("url", "请填写链接地址（http:// 或 https://）"))
    if data.kind == MaterialKind.miniprogram:
        if not data.mp_appid:
            errors.append(("mp_appid", "请填写小程序 AppID"))
        if not data.mp_page:
            errors.append(("mp_page", "请填写小程序页面路径"))
        if not data.cover_url:
            errors.append(("cover_url", "小程序卡片需要封面图片地址"))
    if data.kind in FILE_LIMITS and not has_file:
        errors.append(("file", "请选择要上传的文件"))
    if errors:
        field_, message = errors[0]
        raise ValidationFailed(message, field=field_, errors=[{"field": f, "message": m} for f, m in errors])


def _store_file(session: Session, material: Material, filename: str, data: bytes) -> None:
    limit = FILE_LIMITS[material.kind]
    if len(data) <= 5:  # WeCom refuses media of 5 bytes or less
        raise ValidationFailed("文件是空的", field="file")
    if len(data) > limit:
        raise ValidationFailed(f"文件不能超过 {limit // (1024 * 1024)} MB", field="file")
    content_type, ext = _file_type(material.kind, data)
    key = f"materials/{secrets.token_hex(12)}.{ext}"
    storage.save(session, key, data)
    material.storage_key, material.filename = key, _clean_filename(filename, ext)
    material.content_type, material.size_bytes = content_type, len(data)
    material.media_id = material.media_expires_at = None


def create_material(session: Session, actor: Employee, data: schemas.MaterialIn,
                    file: tuple[str, bytes] | None = None) -> Material:
    """A new script or material (managers); images and files come with their bytes."""
    ensure_manager(actor)
    _check(data, file is not None and bool(file[1]))
    material = Material(**data.model_dump(), created_by=actor.id, created_at=utcnow(), updated_at=utcnow())
    if data.kind in FILE_LIMITS and file is not None:
        _store_file(session, material, *file)
    session.add(material)
    session.flush()
    return material


def update_material(session: Session, actor: Employee, material_id: int, data: schemas.MaterialIn,
                    file: tuple[str, bytes] | None = None) -> Material:
    """Change a script or material; a new file replaces the old one (and its media_id)."""
    ensure_manager(actor)
    material = get(session, material_id)
    if data.kind != material.kind:
        raise ValidationFailed("不能修改类型，请新建一条", field="kind")
    _check(data, material.storage_key is not None or (file is not None and bool(file[1])))
    for name, value in data.model_dump().items():
        setattr(material, name, value)
    if file is not None and file[1] and material.kind in FILE_LIMITS:
        _store_file(session, material, *file)
    material.updated_at = utcnow()
    session.flush()
    return material


def set_active(session: Session, actor: Employee, material_id: int, active: bool) -> Material:
    ensure_manager(actor)
    material = get(session, material_id)
    material.active = active
    material.updated_at = utcnow()
    session.flush()
    return material


# ---------------------------------------------------------------------------------------------
# placeholders


def _amount_text(amount_fen: int | None) -> str | None:
    if not amount_fen:
        return None
    if amount_fen % 1_000_000 == 0:  # whole 万
        return f"{amount_fen // 1_000_000}万元"
    yuan, fen = divmod(amount_fen, 100)
    return f"{yuan:,}元" if fen == 0 else f"{yuan:,}.{fen:02d}元"


def salutation(name: str, gender: int) -> str:
    """王先生 / 王女士 from a name and WeCom's gender (1 male, 2 female); the name itself otherwise."""
    name = (name or "").strip()
    if not name:
        return "您"
    if gender in (1, 2) and re.match(r"^[\u4e00-\u9fff]", name):
        return name[0] + ("先生" if gender == 1 else "女士")
    return name


def placeholder_values(session: Session, customer: Customer | None) -> dict[str, str]:
    """What ``{客户称呼}``, ``{产品}`` and ``{金额}`` become for this customer (neutral words where unknown)."""
    if customer is None:
        return {"客户称呼": "各位", "产品": "贷款产品", "金额": "所需金额"}
    product = None
    if customer.product_id is not None:
        product = next((p.name for p in customer_service.list_products(session, include_inactive=True)
                        if p.id == customer.product_id), None)
    return {"客户称呼": salutation(customer.name, customer.gender), "产品": product or "贷款产品",
            "金额": _amount_text(customer.amount_fen) or "所需金额"}


def fill(text: str, values: dict[str, str]) -> str:
    """The script with each placeholder replaced (unknown braces are left as typed)."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


# ---------------------------------------------------------------------------------------------
# sending


def media_id_for(session: Session, client: Any, material: Material, *, now: datetime | None = None) -> str:
    """The material's WeCom temporary media_id: the stored one while it has more than an hour left, else a new
    upload (``media/upload``). The row is locked, so two salespeople sending at once upload it once."""
    now = now or utcnow()
    session.flush()
    locked = session.get(Material, material.id, with_for_update=True, populate_existing=True)
    if locked.media_id and locked.media_expires_at and locked.media_expires_at - MEDIA_MARGIN > now:
        return locked.media_id
    if not locked.storage_key:
        raise ValidationFailed("这条素材没有文件", field="file")
    data = storage.load(locked.storage_key)
    media_type = "image" if locked.kind == MaterialKind.image else "file"
    answer = client.media.upload(media_type, (locked.filename, data, locked.content_type))
    # counted from before the call, by our clock: never later than WeCom's own expiry
    locked.media_id, locked.media_expires_at = answer["media_id"], now + MEDIA_LIFETIME
    session.flush()
    return locked.media_id


def chat_message(session: Session, client: Any, material: Material, customer: Customer | None) -> dict:
    """The argument of the JS-SDK's ``sendChatMessage`` for this material (分享消息到当前会话,
    https://developer.work.weixin.qq.com/document/path/94354): placeholders filled, media by ``mediaid``."""
    kind = material.kind
    if kind == MaterialKind.text:
        return {"msgtype": "text", "text": {"content": fill(material.content, placeholder_values(session, customer))}}
    if kind in (MaterialKind.image, MaterialKind.file):
        return {"msgtype": kind.value, kind.value: {"mediaid": media_id_for(session, client, material)}}
    values = placeholder_values(session, customer)
    if kind == MaterialKind.link:
        return {"msgtype": "news", "news": {"link": material.url, "title": fill(material.title, values),
                                           "desc": fill(material.content, values), "imgUrl": material.cover_url or ""}}
    return {"msgtype": "miniprogram", "miniprogram": {"appid": material.mp_appid, "title": fill(material.title, values),
                                                     "imgUrl": material.cover_url, "page": material.mp_page}}


def record_send(session: Session, material: Material, employee: Employee, *, customer_id: int | None = None,
                chat_id: str | None = None) -> MaterialSend:
    """Count one send that WeCom confirmed."""
    if customer_id is None and not chat_id:
        raise ValidationFailed("发送记录需要客户或客户群", field="customer_id")
    send = MaterialSend(material_id=material.id, employee_id=employee.id, customer_id=customer_id,
                        chat_id=(chat_id or None) and chat_id[:64], sent_at=utcnow())
    session.add(send)
    session.flush()
    return send


# ---------------------------------------------------------------------------------------------
# usage


@dataclass
class Usage:
    material: Material
    sends: int = 0
    senders: int = 0
    customers: int = 0
    signed_after: list[int] = field(default_factory=list)  # customers whose signing came after their first send
    last_sent_at: datetime | None = None


def usage(session: Session, actor: Employee, *, since: datetime | None = None) -> list[Usage]:
    """Per script or material: sends, salespeople, customers, and which of those customers signed afterwards
    (their stage moved to signed after the first send they got); most sent first."""
    ensure_manager(actor)
    where = [MaterialSend.sent_at >= since] if since else []
    counts = session.execute(
        select(MaterialSend.material_id, func.count(), func.count(func.distinct(MaterialSend.employee_id)),
               func.count(func.distinct(MaterialSend.customer_id)), func.max(MaterialSend.sent_at))
        .where(*where).group_by(MaterialSend.material_id)).all()
    first_sends = session.execute(
        select(MaterialSend.material_id, MaterialSend.customer_id, func.min(MaterialSend.sent_at))
        .where(MaterialSend.customer_id.is_not(None), *where)
        .group_by(MaterialSend.material_id, MaterialSend.customer_id)).all()
    customer_ids = {c for _, c, _ in first_sends}
    signed_at: dict[int, datetime] = {}
    if customer_ids:
        stage_rows = session.execute(
            select(TimelineEntry.customer_id, TimelineEntry.at, TimelineEntry.data)
            .join(Customer, Customer.id == TimelineEntry.customer_id)
            .where(TimelineEntry.kind == "stage_changed", TimelineEntry.customer_id.in_(customer_ids),
                   Customer.stage.in_(SIGNED_STAGES)))
        for cid, at, data in stage_rows:
            if (data or {}).get("to") == Stage.signed.value and (cid not in signed_at or at < signed_at[cid]):
                signed_at[cid] = at
    materials = {m.id: m for m in session.scalars(select(Material).where(
        Material.id.in_([row[0] for row in counts])))} if counts else {}
    out = {mid: Usage(materials[mid], sends=n, senders=s, customers=c, last_sent_at=last)
           for mid, n, s, c, last in counts if mid in materials}
    for mid, cid, first in first_sends:
        if mid in out and cid in signed_at and signed_at[cid] >= first:
            out[mid].signed_after.append(cid)
    return sorted(out.values(), key=lambda u: (-u.sends, u.material.id))


def sends_of(session: Session, material_id: int, *, limit: int = 50) -> list[MaterialSend]:
    """The material's latest sends."""
    return list(session.scalars(select(MaterialSend).where(MaterialSend.material_id == material_id)
                                .order_by(MaterialSend.sent_at.desc(), MaterialSend.id.desc()).limit(limit)))
