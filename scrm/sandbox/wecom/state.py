"""The sandbox corp's in-memory directory, customers, groups, tags and transfers, and the JSON shapes
WeCom answers with. Every method runs under the corp's lock; ``WecomApiError`` carries WeCom's errcode.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

ERRMSG = {
    -1: "system busy",
    0: "ok",
    40001: "invalid credential",
    40003: "invalid userid",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40029: "invalid code",
    40031: "invalid userid list",
    40056: "invalid agentid",
    40058: "invalid parameter",
    40068: "invalid tagid",
    40096: "invalid external userid",
    40097: "the handover user is not resigned",
    40100: "the external contact is already being transferred",
    41001: "access_token missing",
    41051: "externaluser has started chatting",
    42001: "access_token expired",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",
    48002: "api forbidden",
    60020: "not allow to access from your ip",
    60111: "userid not found",
    60123: "invalid party id",
    81013: "user & party & tag all invalid",
    84061: "not external contact",
    90500: "the owner of this chat is not resigned",
    90501: "chat is not external group chat",
    93000: "invalid webhook url",
}

TRANSFER_ACCEPTED, TRANSFER_WAITING, TRANSFER_REFUSED, TRANSFER_OVER_LIMIT, TRANSFER_NO_RECORD = 1, 2, 3, 4, 5
TAKEOVER_DELAY_S = 24 * 3600  # WeCom hands the customer over 24 h after the request unless they refuse
# 获取客户详情 (https://developer.work.weixin.qq.com/document/path/92114): "当客户在企业内的跟进人超过500人时需要使用
# cursor参数进行分页获取"
FOLLOW_USER_PAGE = 500


def errmsg(errcode: int, detail: str | None = None) -> str:
    """WeCom's errmsg: text, a hint and the diagnosis link (clients must not parse it)."""
    if errcode == 0:
        return "ok"
    text = detail or ERRMSG.get(errcode, "error")
    return (f"{text}, hint: [{int(time.time())}_{secrets.randbelow(10**6)}_{secrets.token_hex(8)}], "
            f"from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}")


class WecomApiError(Exception):
    def __init__(self, errcode: int, detail: str | None = None, **extra: Any):
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail
        self.extra = extra

    def body(self) -> dict:
        return {"errcode": self.errcode, "errmsg": errmsg(self.errcode, self.detail), **self.extra}


_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 32) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length - len(prefix)))


@dataclass
class Department:
    id: int
    name: str
    parentid: int
    order: int = 0

    def to_api(self) -> dict:
        return {"id": self.id, "name": self.name, "name_en": "", "department_leader": [],
                "parentid": self.parentid, "order": self.order}


@dataclass
class User:
    userid: str
    name: str
    department: list[int]
    position: str = ""
    mobile: str = ""
    gender: str = "0"
    email: str = ""
    alias: str = ""
    status: int = 1  # 1 active, 2 disabled, 4 not activated, 5 left
    customer_contact: bool = True  # configured for 客户联系
    licensed: bool = True  # has an interface licence (接口许可); batch/get_by_user lists an unlicensed one in fail_info
    resigned_at: int | None = None

    def to_api(self) -> dict:
        return {
            "userid": self.userid, "name": self.name, "department": list(self.department),
            "order": [0] * len(self.department), "position": self.position, "mobile": self.mobile,
            "gender": self.gender, "email": self.email, "biz_mail": "", "is_leader_in_dept": [0] * len(self.department),
            "direct_leader": [], "avatar": f"https://wework.qpic.cn/sandbox/{self.userid}/0",
            "thumb_avatar": f"https://wework.qpic.cn/sandbox/{self.userid}/100", "telephone": "", "alias": self.alias,
            "address": "", "open_userid": f"wo{self.userid}",
            "main_department": self.department[0] if self.department else 1,
            "extattr": {"attrs": []}, "status": self.status, "qr_code": "", "external_position": "",
            "external_profile": {"external_corp_name": "", "external_attr": []},
        }

    def to_simple(self) -> dict:
        return {"userid": self.userid, "name": self.name, "department": list(self.department),
                "open_userid": f"wo{self.userid}"}


@dataclass
class Follow:
    userid: str
    remark: str = ""
    description: str = ""
    createtime: int = 0
    tags: list[str] = field(default_factory=list)  # corp tag ids
    remark_corp_name: str = ""
    remark_mobiles: list[str] = field(default_factory=list)
    oper_userid: str = ""
    add_way: int = 1
    state: str = ""


@dataclass
class Contact:
    external_userid: str
    name: str
    type: int = 1  # 1 WeChat user, 2 WeCom user
    gender: int = 0
    unionid: str = ""
    corp_name: str = ""
    follows: dict[str, Follow] = field(default_factory=dict)
    seq: int = 0  # the order WeCom lists customers in (batch/get_by_user's cursor points past one)

    def to_api(self) -> dict:
        out = {"external_userid": self.external_userid, "name": self.name, "type": self.type,
               "avatar": f"http://wx.qlogo.cn/mmhead/sandbox/{self.external_userid}/0", "gender": self.gender}
        if self.unionid:
            out["unionid"] = self.unionid
        if self.type == 2:
            out.update(corp_name=self.corp_name, corp_full_name=self.corp_name, position="")
        return out


@dataclass
class Tag:
    id: str
    name: str
    group_id: str
    order: int = 0
    create_time: int = 0
    created_by: int | None = None  # the agentid that created it; None = the admin console


@dataclass
class TagGroup:
    group_id: str
    group_name: str
    order: int = 0
    create_time: int = 0
    created_by: int | None = None
    tags: dict[str, Tag] = field(default_factory=dict)


@dataclass
class Chat:
    chat_id: str
    name: str
    owner: str
    notice: str = ""
    create_time: int = 0
    members: list[dict] = field(default_factory=list)
    admin_list: list[str] = field(default_factory=list)
    status: int = 0  # 0 normal, 1 owner left, 2 being inherited, 3 inherited
    member_version: str = ""


@dataclass
class Transfer:
    kind: str  # "resigned" | "onjob"
    handover_userid: str
    takeover_userid: str
    external_userid: str
    status: int
    takeover_time: int
    success_msg: str = ""


class Corp:
    """One company's data. ``clock_offset`` lets tests move time forward without sleeping."""

    def __init__(self, corp_id: str, agent_id: int, welcome_code_ttl_s: float = 20.0):
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.welcome_code_ttl_s = welcome_code_ttl_s
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.chat_member_limit = 200  # a customer group's size (500 for some corps)
        self.follow_user_page_size = FOLLOW_USER_PAGE  # externalcontact/get's follow_user page
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.departments: dict[int, Department] = {1: Department(1, "企业", 0, 100000000)}
            self.users: dict[str, User] = {}
            self.contacts: dict[str, Contact] = {}
            self.contact_seq = 0
            self.chats: dict[str, Chat] = {}
            self.tag_groups: dict[str, TagGroup] = {}
            self.contact_ways: dict[str, dict] = {}
            self.oauth_codes: dict[str, tuple[str, float]] = {}
            self.welcome_codes: dict[str, dict] = {}
            self.transfers: list[Transfer] = []
            self.messages: list[dict] = []  # message/send
            self.template_cards: dict[str, dict] = {}  # task_id -> the card sent, who got it, clicks, updates
            self.response_codes: dict[str, dict] = {}  # response_code -> task_id, userid, used, expires_at
            self.welcome_messages: list[dict] = []  # send_welcome_msg
            self.msg_templates: dict[str, dict] = {}  # add_msg_template
            self.join_ways: dict[str, dict] = {}  # groupchat/add_join_way
            self.webhooks: dict[str, list[dict]] = {}  # group robots: key -> messages received
            self.jsapi_tickets: dict[str, tuple[str, float]] = {}  # "corp" / "agent_config" -> (ticket, expires at)
            self.ticket_fetches: dict[str, list[float]] = {}  # kind -> when each ticket fetch was answered
            self.media: dict[str, dict] = {}  # media/upload: media_id -> type, filename, size, created_at

    def now(self) -> float:
        return time.time() + self.clock_offset

    # ------------------------------------------------------------------ lookups

    def user(self, userid: str, *, active: bool = True) -> User:
        user = self.users.get(userid or "")
        if user is None or (active and user.resigned_at is not None):
            raise WecomApiError(60111)
        return user

    def contact(self, external_userid: str) -> Contact:
        contact = self.contacts.get(external_userid or "")
        if contact is None:
            raise WecomApiError(40096)
        return contact

    def follow(self, userid: str, external_userid: str) -> Follow:
        contact = self.contact(external_userid)
        follow = contact.follows.get(userid)
        if follow is None:
            raise WecomApiError(84061)
        return follow

    def tag(self, tag_id: str) -> Tag:
        for group in self.tag_groups.values():
            if tag_id in group.tags:
                return group.tags[tag_id]
        raise WecomApiError(40068)

    def tag_id(self, name: str, group_name: str | None = None) -> str:
        for group in self.tag_groups.values():
            if group_name is not None and group.group_name != group_name:
                continue
            for tag in group.tags.values():
                if tag.name == name:
                    return tag.id
        raise KeyError(f"no corp tag named {name!r}")

    def chat(self, chat_id: str) -> Chat:
        chat = self.chats.get(chat_id or "")
        if chat is None:
            raise WecomApiError(90501)
        return chat

    def subtree(self, dept_id: int) -> list[int]:
        out, todo = [], [dept_id]
        while todo:
            current = todo.pop(0)
            out.append(current)
            todo.extend(sorted(d.id for d in self.departments.values() if d.parentid == current and d.id != current))
        return out

    # ------------------------------------------------------------------ seeding

    def add_department(self, id: int, name: str, parent_id: int = 1, order: int = 0) -> Department:
        with self.lock:
            if parent_id not in self.departments and id != 1:
                raise ValueError(f"no parent department {parent_id}")
            dept = Department(id, name, parent_id if id != 1 else 0, order)
            self.departments[id] = dept
            return dept

    def add_user(self, userid: str, name: str, department: Iterable[int] = (1,), **attrs: Any) -> User:
        with self.lock:
            depts = list(department)
            for d in depts:
                if d not in self.departments:
                    raise ValueError(f"no department {d}")
            user = User(userid=userid, name=name, department=depts, **attrs)
            self.users[userid] = user
            return user

    def add_tag_group(self, group_name: str, tag_names: Iterable[str], *, order: int = 0,
                      created_by: int | None = None) -> TagGroup:
        with self.lock:
            now = int(self.now())
            group = next((g for g in self.tag_groups.values() if g.group_name == group_name), None)
            if group is None:
                group = TagGroup(new_id("et"), group_name, order, now, created_by)
                self.tag_groups[group.group_id] = group
            for i, name in enumerate(tag_names):
                if not any(t.name == name for t in group.tags.values()):
                    tag = Tag(new_id("et"), name, group.group_id, i, now, created_by)
                    group.tags[tag.id] = tag
            return group

    def add_contact(self, name: str, follow_users: Iterable[str | dict], *, external_userid: str | None = None,
                    type: int = 1, gender: int = 0, unionid: str = "", corp_name: str = "") -> Contact:
        with self.lock:
            contact = self.contacts.get(external_userid or "") or Contact(
                external_userid or new_id("wm"), name, type, gender, unionid or new_id("o", 28), corp_name,
                seq=self._next_seq())
            contact.name = name
            for spec in follow_users:
                spec = {"userid": spec} if isinstance(spec, str) else dict(spec)
                self.user(spec["userid"], active=False)
                tags = [self._resolve_tag(t) for t in spec.pop("tags", ())]
                spec.setdefault("createtime", int(self.now()))
                spec.setdefault("oper_userid", spec["userid"])
                contact.follows[spec["userid"]] = Follow(tags=tags, **spec)
            self.contacts[contact.external_userid] = contact
            return contact

    def _next_seq(self) -> int:
        self.contact_seq += 1
        return self.contact_seq

    def _resolve_tag(self, tag: str) -> str:
        try:
            return self.tag(tag).id
        except WecomApiError:
            return self.tag_id(tag)

    def add_chat(self, owner: str, name: str = "", members: Iterable[str] = (), *, notice: str = "",
                 chat_id: str | None = None, join_scene: int = 1) -> Chat:
        with self.lock:
            self.user(owner, active=False)
            now = int(self.now())
            chat = Chat(chat_id or new_id("wr"), name, owner, notice, now, member_version=secrets.token_hex(16))
            chat.members.append(self._member(owner, owner, now, join_scene))
            for member in members:
                if member != owner:
                    chat.members.append(self._member(member, owner, now, join_scene))
            self.chats[chat.chat_id] = chat
            return chat

    def _member(self, member: str, invitor: str, now: int, join_scene: int) -> dict:
        internal = member in self.users
        contact = self.contacts.get(member)
        out = {"userid": member, "type": 1 if internal else 2, "join_time": now, "join_scene": join_scene,
               "invitor": {"userid": invitor}, "group_nickname": "",
               "name": self.users[member].name if internal else (contact.name if contact else "微信用户")}
        if not internal:
            out["unionid"] = contact.unionid if contact else ""
        return out

    def issue_oauth_code(self, userid: str) -> str:
        with self.lock:
            self.user(userid)
            code = secrets.token_urlsafe(24)
            self.oauth_codes[code] = (userid, self.now() + 300)
            return code

    def issue_welcome_code(self, userid: str, external_userid: str) -> str:
        code = secrets.token_urlsafe(32)
        self.welcome_codes[code] = {"userid": userid, "external_userid": external_userid,
                                    "issued_at": self.now(), "used": False}
        return code

    # ------------------------------------------------------------------ shapes

    def follow_to_api(self, follow: Follow, with_tag_details: bool = True) -> dict:
        out = {"userid": follow.userid, "remark": follow.remark, "description": follow.description,
               "createtime": follow.createtime, "remark_corp_name": follow.remark_corp_name,
               "remark_mobiles": list(follow.remark_mobiles), "oper_userid": follow.oper_userid,
               "add_way": follow.add_way}
        if follow.state:
            out["state"] = follow.state
        if with_tag_details:
            out["tags"] = []
            for tag_id in follow.tags:
                tag = self.tag(tag_id)
                out["tags"].append({"group_name": self.tag_groups[tag.group_id].group_name, "tag_name": tag.name,
                                    "tag_id": tag.id, "type": 1})
        else:
            out["tag_id"] = list(follow.tags)
        return out

    def chat_to_api(self, chat: Chat, need_name: bool) -> dict:
        members = []
        for m in chat.members:
            item = {k: v for k, v in m.items() if need_name or k != "name"}
            members.append(item)
        return {"chat_id": chat.chat_id, "name": chat.name, "owner": chat.owner, "create_time": chat.create_time,
                "notice": chat.notice, "member_list": members,
                "admin_list": [{"userid": u} for u in chat.admin_list], "member_version": chat.member_version}

    def tag_group_to_api(self, group: TagGroup, only: set[str] | None = None) -> dict:
        tags = [t for t in group.tags.values() if only is None or t.id in only]
        return {"group_id": group.group_id, "group_name": group.group_name, "create_time": group.create_time,
                "order": group.order,
                "tag": [{"id": t.id, "name": t.name, "create_time": t.create_time, "order": t.order} for t in tags]}

    def summary(self) -> dict:
        with self.lock:
            return {
                "departments": [d.to_api() for d in self.departments.values()],
                "users": [u.to_simple() | {"status": u.status, "resigned": u.resigned_at is not None}
                          for u in self.users.values()],
                "external_contacts": [c.to_api() | {"follow_user": [self.follow_to_api(f) for f in c.follows.values()]}
                                      for c in self.contacts.values()],
                "group_chats": [self.chat_to_api(c, True) | {"status": c.status} for c in self.chats.values()],
                "tag_groups": [self.tag_group_to_api(g) for g in self.tag_groups.values()],
                "messages": list(self.messages),
                "welcome_messages": list(self.welcome_messages),
                "msg_templates": list(self.msg_templates.values()),
                "transfers": [t.__dict__ for t in self.transfers],
            }
