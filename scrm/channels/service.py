"""Channel QR codes (渠道活码): the channel record, its WeCom contact way, its welcome message and its numbers."""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.channels.models import Channel, ChannelKind, SyncStatus
from scrm.channels.schemas import ChannelUpdate
from scrm.core import jobs
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus

STATE_RE = re.compile(r"[A-Za-z0-9_\-]{1,30}")
MAX_TEAM = 100  # WeCom: at most 100 members per contact way
MAX_ATTACHMENTS = 9
MAX_TAGS = 20


def _bytes(text: str) -> int:
    return len(text.encode())


def _fail(errors: list[tuple[str, str]]) -> None:
    if errors:
        field, message = errors[0]
        raise ValidationFailed(message, field=field, errors=[{"field": f, "message": m} for f, m in errors])


# ---------------------------------------------------------------------------------------------
# welcome message


def clean_welcome(welcome: dict | None) -> dict:
    """Check a welcome message against send_welcome_msg's rules and return it in WeCom's shape.

    Accepts WeCom's own shape (``text.content`` + ``attachments``) and, for convenience, a plain
    string ``text`` and top-level ``link`` / ``miniprogram`` / ``image`` cards.
    """
    if not welcome:
        return {}
    if not isinstance(welcome, dict):
        raise ValidationFailed("欢迎语格式不正确", field="welcome")
    errors: list[tuple[str, str]] = []
    unknown = set(welcome) - {"text", "attachments", "link", "miniprogram", "image"}
    if unknown:
        errors.append((f"welcome.{sorted(unknown)[0]}", f"欢迎语不支持 {', '.join(sorted(unknown))}"))
    out: dict[str, Any] = {}
    text = welcome.get("text")
    if isinstance(text, dict):
        text = text.get("content")
    if text is not None:
        if not isinstance(text, str):
            errors.append(("welcome.text", "欢迎语文字应为字符串"))
        elif text.strip():
            if _bytes(text) > 4000:
                errors.append(("welcome.text", "欢迎语文字不能超过 4000 字节"))
            out["text"] = {"content": text}
    raw = list(welcome.get("attachments") or [])
    for kind in ("image", "link", "miniprogram"):
        if welcome.get(kind):
            raw.append({"msgtype": kind, kind: welcome[kind]})
    attachments = []
    for i, item in enumerate(raw):
        name = f"welcome.attachments.{i}"
        kind = item.get("msgtype") if isinstance(item, dict) else None
        body = item.get(kind) if kind else None
        if kind not in ("image", "link", "miniprogram") or not isinstance(body, dict):
            errors.append((name, "附件只能是 image、link 或 miniprogram，形如 {\"msgtype\": \"link\", \"link\": {...}}"))
            continue
        errors.extend(_check_attachment(name, kind, body))
        attachments.append({"msgtype": kind, kind: {k: v for k, v in body.items() if v not in (None, "")}})
    if len(attachments) > MAX_ATTACHMENTS:
        errors.append(("welcome.attachments", f"欢迎语最多带 {MAX_ATTACHMENTS} 个附件"))
    if attachments:
        out["attachments"] = attachments
    if not errors and not out:
        errors.append(("welcome", "欢迎语需要文字或至少一个附件"))
    _fail(errors)
    return out


_CARD_RULES = {
    # field: (required, max bytes)
    "link": {"title": (True, 128), "url": (True, 2048), "picurl": (False, 2048), "desc": (False, 512)},
    "miniprogram": {"title": (True, 64), "pic_media_id": (True, 128), "appid": (True, 64), "page": (True, 1024)},
    "image": {"media_id": (False, 128), "pic_url": (False, 2048)},
}


def _check_attachment(name: str, kind: str, body: dict) -> list[tuple[str, str]]:
    errors = []
    rules = _CARD_RULES[kind]
    for key in body:
        if key not in rules:
            errors.append((f"{name}.{key}", f"{kind} 不支持字段 {key}"))
    for key, (required, limit) in rules.items():
        value = body.get(key)
        if value in (None, ""):
            if required:
                errors.append((f"{name}.{key}", f"{kind} 需要 {key}"))
            continue
        if not isinstance(value, str) or _bytes(value) > limit:
            errors.append((f"{name}.{key}", f"{kind}.{key} 应为不超过 {limit} 字节的文字"))
        elif key in ("url", "picurl", "pic_url") and not value.startswith(("https://", "http://")):
            errors.append((f"{name}.{key}", f"{kind}.{key} 应为 http(s) 链接"))
    if kind == "image" and not (body.get("media_id") or body.get("pic_url")):
        errors.append((f"{name}.media_id", "图片需要 media_id 或 pic_url"))
    if kind == "miniprogram" and isinstance(body.get("page"), str) and not body["page"].endswith(".html") \
            and ".html?" not in body["page"]:
        errors.append((f"{name}.page", "小程序页面路径须以 .html 结尾（企业微信的要求）"))
    return errors


def welcome_for_state(session: Session, state: str) -> dict | None:
    """The welcome message (send_welcome_msg body without welcome_code) of the active channel with this state."""
    channel = channel_for_state(session, state)
    if channel is None or not channel.active or not channel.welcome:
        return None
    return dict(channel.welcome)


def channel_for_state(session: Session, state: str | None) -> Channel | None:
    if not state:
        return None
    return session.scalars(select(Channel).where(Channel.state == state)).first()


# ---------------------------------------------------------------------------------------------
# channels


def _clean_team(session: Session, actor: Employee | None, team: list[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in team or []))
    if not ids:
        raise ValidationFailed("活码至少需要一名接待成员", field="team_employee_ids")
    if len(ids) > MAX_TEAM:
        raise ValidationFailed(f"一个活码最多 {MAX_TEAM} 名成员", field="team_employee_ids")
    found = {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(ids)))}
    for employee_id in ids:
        employee = found.get(employee_id)
        if employee is None or (actor is not None and not org_service.can_see_employee(session, actor, employee_id)):
            raise ValidationFailed(f"没有编号为 {employee_id} 的员工", field="team_employee_ids")
        if employee.status != EmployeeStatus.active:
            raise ValidationFailed(f"{employee.name} 已离职，不能接待客户", field="team_employee_ids")
        if not employee.wecom_userid:
            raise ValidationFailed(f"{employee.name} 还没有绑定企业微信账号", field="team_employee_ids")
    return ids


def _clean_tags(tags: list[str] | None) -> list[str]:
    out = list(dict.fromkeys(t.strip() for t in tags or [] if isinstance(t, str) and t.strip()))
    if len(out) > MAX_TAGS or any(len(t) > 64 for t in out):
        raise ValidationFailed(f"最多 {MAX_TAGS} 个自动标签，每个不超过 64 个字符", field="auto_tags")
    return out


def _new_state(session: Session) -> str:
    while True:
        state = "ch_" + secrets.token_hex(6)
        if channel_for_state(session, state) is None:
            return state


def create_channel(session: Session, actor: Employee | None, *, name: str, kind: ChannelKind | str,
                   team_employee_ids: list[int], welcome: dict | None = None, auto_tags: list[str] | None = None,
                   state: str | None = None, skip_verify: bool = True) -> Channel:
    """A channel and, once committed, its WeCom QR code (the job ``tasks.sync_channel`` calls add_contact_way)."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationFailed("渠道名称为 1 到 64 个字", field="name")
    try:
        kind = ChannelKind(kind)
    except ValueError:
        raise ValidationFailed(f"渠道类型只能是 {', '.join(k.value for k in ChannelKind)}", field="kind") from None
    if state is not None:
        if not STATE_RE.fullmatch(state):
            raise ValidationFailed("state 为 1 到 30 个字母、数字、下划线或连字符", field="state")
        if channel_for_state(session, state) is not None:
            raise Conflict(f"state {state} 已被其他渠道使用", field="state")
    else:
        state = _new_state(session)
    channel = Channel(name=name, kind=kind, state=state, welcome=clean_welcome(welcome),
                      auto_tags=_clean_tags(auto_tags), team_employee_ids=_clean_team(session, actor, team_employee_ids),
                      skip_verify=skip_verify, active=True, sync_status=SyncStatus.pending,
                      created_by=actor.id if actor else None)
    session.add(channel)
    session.flush()
    _queue_sync(session, channel)
    return channel


def update_channel(session: Session, actor: Employee | None, channel_id: int, command: ChannelUpdate) -> Channel:
    """Change name, welcome, tags or team; the team and name go to WeCom by update_contact_way. The state never changes."""
    changes = command.changes()
    channel = get_channel(session, channel_id)
    if not channel.active:
        raise Conflict("渠道已停用，不能修改")
    wecom_changed = False
    if "name" in changes and changes["name"] is not None:
        name = changes["name"].strip()
        if not name or len(name) > 64:
            raise ValidationFailed("渠道名称为 1 到 64 个字", field="name")
        wecom_changed |= name != channel.name
        channel.name = name
    if "kind" in changes and changes["kind"] is not None:
        channel.kind = ChannelKind(changes["kind"])
    if "welcome" in changes:
        channel.welcome = clean_welcome(changes["welcome"])
    if "auto_tags" in changes:
        channel.auto_tags = _clean_tags(changes["auto_tags"])
    if "team_employee_ids" in changes and changes["team_employee_ids"] is not None:
        team = _clean_team(session, actor, changes["team_employee_ids"])
        wecom_changed |= team != list(channel.team_employee_ids or [])
        channel.team_employee_ids = team
    if "skip_verify" in changes and changes["skip_verify"] is not None:
        wecom_changed |= bool(changes["skip_verify"]) != channel.skip_verify
        channel.skip_verify = bool(changes["skip_verify"])
    if wecom_changed:
        channel.sync_status = SyncStatus.pending
        session.flush()
        _queue_sync(session, channel)
    session.flush()
    return channel


def deactivate_channel(session: Session, actor: Employee | None, channel_id: int) -> Channel:
    """Stop a channel: its QR code is deleted at WeCom; customers keep it as their source."""
    channel = get_channel(session, channel_id)
    if channel.active:
        channel.active = False
        channel.deactivated_at = utcnow()
        channel.sync_status = SyncStatus.pending
        session.flush()
        _queue_sync(session, channel)
    return channel


def _queue_sync(session: Session, channel: Channel) -> None:
    jobs.enqueue(session, "channels.sync_channel", channel.id)


def get_channel(session: Session, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"没有编号为 {channel_id} 的渠道")
    return channel


def list_channels(session: Session, *, active: bool | None = None) -> list[Channel]:
    stmt = select(Channel).order_by(Channel.id.desc())
    if active is not None:
        stmt = stmt.where(Channel.active.is_(active))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------------------------
# WeCom contact way


def _team_userids(session: Session, channel: Channel) -> list[str]:
    team = list(channel.team_employee_ids or [])
    found = {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(team)))}
    return [found[i].wecom_userid for i in team
            if i in found and found[i].status == EmployeeStatus.active and found[i].wecom_userid]


def sync_contact_way(session: Session, channel_id: int, client: Any) -> str | None:
    """Make WeCom's contact way match the channel: add, update, replace or delete it. Returns the action.

    The channel row stays locked during the call so two syncs of one channel never both add a code, and
    the add carries an idempotency key so a retry after a lost commit gets the stored answer back.
    """
    stmt = select(Channel).where(Channel.id == channel_id).execution_options(populate_existing=True)
    stmt = stmt.with_for_update()
    channel = session.scalars(stmt).first()
    if channel is None:
        return None
    contact = client.external_contact
    if not channel.active:
        if channel.wecom_config_id is None:
            channel.sync_status = SyncStatus.deleted
            return None
        _delete_way(contact, channel.wecom_config_id)
        channel.wecom_config_id = None
        channel.sync_status, channel.sync_error = SyncStatus.deleted, None
        session.flush()
        return "delete"
    userids = _team_userids(session, channel)
    if not userids:
        channel.sync_status, channel.sync_error = SyncStatus.failed, "没有可用的接待成员（都已离职或未绑定企业微信）"
        return None
    wanted_type = 2 if len(userids) > 1 else 1
    remark = channel.name[:30]
    if channel.wecom_config_id is not None and channel.wecom_type == wanted_type:
        contact.update_contact_way(channel.wecom_config_id, remark, skip_verify=channel.skip_verify,
                                   state=channel.state, user=userids)
        action = "update"
    else:
        # new, or the type must change (1 <-> 2), which WeCom cannot update: make a new code first
        old = channel.wecom_config_id
        # keyed by what it replaces, so a retry after a lost commit gets the same code back instead of a second one
        result = contact.add_contact_way(type=wanted_type, scene=2, remark=remark, skip_verify=channel.skip_verify,
                                         state=channel.state, user=userids,
                                         idempotency_key=f"channel:{channel.id}:add:{old or 'first'}")
        channel.wecom_config_id, channel.qr_code_url = result["config_id"], result.get("qr_code")
        channel.wecom_type = wanted_type
        action = "add" if old is None else "replace"
        if old is not None:
            _delete_way(contact, old)
    channel.sync_status, channel.sync_error = SyncStatus.synced, None
    session.flush()
    return action


def _delete_way(contact: Any, config_id: str) -> None:
    try:
        contact.del_contact_way(config_id)
    except Exception as exc:
        if getattr(exc, "errcode", None) != 40058:  # 40058 invalid config_id: already gone, deleting is done
            raise


def record_sync_failure(session: Session, channel_id: int, error: str) -> None:
    channel = session.get(Channel, channel_id)
    if channel is not None:
        channel.sync_status = SyncStatus.failed
        channel.sync_error = error[:500]
        session.flush()
