"""The /cgi-bin/ endpoints: ``handler(corp, query, body) -> answer`` with WeCom's JSON shapes.

Operations made through the API do not produce callbacks (WeCom's rule); only the simulated user
actions in ``events.py`` do.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable

from scrm.sandbox.wecom.state import TAKEOVER_DELAY_S, TRANSFER_WAITING, Corp, Tag, Transfer, WecomApiError, new_id

Handler = Callable[[Corp, dict, dict], dict]
ENDPOINTS: dict[str, Handler] = {}

MAX_NAME = 30  # corp tag and tag group names
MAX_TRANSFER = 100


def endpoint(path: str):
    def register(fn: Handler) -> Handler:
        ENDPOINTS[path] = fn
        return fn
    return register


def _int(value: Any, default: int | None = None) -> int:
    if value in (None, ""):
        if default is None:
            raise WecomApiError(40058, "missing parameter")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WecomApiError(40058, f"invalid integer {value!r}") from None


def _list(value: Any) -> list:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _page(items: list, cursor: Any, limit: int) -> tuple[list, str]:
    start = _int(cursor, 0) if cursor else 0
    chunk = items[start:start + limit]
    return chunk, (str(start + limit) if start + limit < len(items) else "")


# ---------------------------------------------------------------- directory


@endpoint("user/get")
def user_get(corp: Corp, q: dict, body: dict) -> dict:
    return corp.user(q.get("userid", "")).to_api()


def _dept_users(corp: Corp, q: dict) -> list:
    dept = _int(q.get("department_id"))
    if dept not in corp.departments:
        raise WecomApiError(60123)
    depts = set(corp.subtree(dept)) if str(q.get("fetch_child", "0")) == "1" else {dept}
    return [u for u in corp.users.values() if u.resigned_at is None and depts & set(u.department)]


@endpoint("user/list")
def user_list(corp: Corp, q: dict, body: dict) -> dict:
    return {"userlist": [u.to_api() for u in _dept_users(corp, q)]}


@endpoint("user/simplelist")
def user_simplelist(corp: Corp, q: dict, body: dict) -> dict:
    return {"userlist": [u.to_simple() for u in _dept_users(corp, q)]}


@endpoint("department/list")
def department_list(corp: Corp, q: dict, body: dict) -> dict:
    root = _int(q.get("id"), 1)
    if root not in corp.departments:
        raise WecomApiError(60123)
    return {"department": [corp.departments[d].to_api() for d in corp.subtree(root)]}


def _oauth_user(corp: Corp, q: dict) -> str:
    entry = corp.oauth_codes.pop(q.get("code", ""), None)
    if entry is None or entry[1] < corp.now():
        raise WecomApiError(40029)
    return entry[0]


@endpoint("auth/getuserinfo")
def auth_getuserinfo(corp: Corp, q: dict, body: dict) -> dict:
    return {"userid": _oauth_user(corp, q), "user_ticket": secrets.token_urlsafe(32), "expires_in": 1800}


@endpoint("user/getuserinfo")
def user_getuserinfo(corp: Corp, q: dict, body: dict) -> dict:
    return {"UserId": _oauth_user(corp, q), "DeviceId": ""}


@endpoint("message/send")
def message_send(corp: Corp, q: dict, body: dict) -> dict:
    if _int(body.get("agentid"), 0) != corp.agent_id:
        raise WecomApiError(40056)
    msgtype = body.get("msgtype")
    if not msgtype or msgtype not in body:
        raise WecomApiError(40008 if msgtype else 40058, "invalid message type")
    touser = [u for u in str(body.get("touser") or "").split("|") if u]
    if touser == ["@all"]:
        valid = [u.userid for u in corp.users.values() if u.resigned_at is None]
        invalid = []
    else:
        valid = [u for u in touser if u in corp.users and corp.users[u].resigned_at is None]
        invalid = [u for u in touser if u not in valid]
    if not valid and not body.get("toparty") and not body.get("totag"):
        raise WecomApiError(81013, invaliduser="|".join(invalid))
    card = check_template_card(corp, body[msgtype]) if msgtype == "template_card" else None
    msgid = new_id("msg", 40)
    corp.messages.append({"msgid": msgid, "agentid": corp.agent_id, "touser": valid, "msgtype": msgtype,
                          msgtype: body[msgtype], "time": int(corp.now())})
    answer = {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "",
              "msgid": msgid}
    if card is not None:
        corp.template_cards[card["task_id"]] = {"card": card, "touser": valid, "msgid": msgid, "clicks": [],
                                                "updates": []}
        if card["card_type"] in INTERACTIVE_CARDS:
            # "response_code 仅消息类型为“按钮交互型”，“投票选择型”和“多项选择型”的模板卡片消息返回"
            answer["response_code"] = issue_response_code(corp, card["task_id"], None)
    return answer


# ---------------------------------------------------------------- template cards
# 发送应用消息 · 模板卡片消息 (https://developer.work.weixin.qq.com/document/path/90236) and 更新模版卡片消息
# (https://developer.work.weixin.qq.com/document/path/94888). WeCom answers a card it cannot show with 40058 (invalid
# parameter); the sandbox names the field in errmsg.

CARD_TYPES = ("text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction")
INTERACTIVE_CARDS = ("button_interaction", "vote_interaction", "multiple_interaction")
TASK_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@")
MAX_BUTTONS = 6  # "按钮列表，列表长度不超过6"
MAX_KEY_BYTES = 1024  # "按钮key值，用户点击后，会产生回调事件将本参数作为EventKey返回，最长支持1024字节，不可重复"
RESPONSE_CODE_TTL_S = 72 * 3600  # "72小时内有效，且只能使用一次"


def _bad_card(field: str, problem: str) -> WecomApiError:
    return WecomApiError(40058, f"invalid template_card.{field}: {problem}")


def check_template_card(corp: Corp, card: Any) -> dict:
    """The card as WeCom requires it; a missing or malformed required field is errcode 40058."""
    if not isinstance(card, dict):
        raise _bad_card("", "must be an object")
    kind = card.get("card_type")
    if kind not in CARD_TYPES:
        raise _bad_card("card_type", f"must be one of {', '.join(CARD_TYPES)}")
    title = (card.get("main_title") or {}).get("title") if isinstance(card.get("main_title"), dict) else None
    if not title and not card.get("sub_title_text"):
        # "main_title.title 和 sub_title_text 必须有一项填写"
        raise _bad_card("main_title.title", "main_title.title or sub_title_text is required")
    if kind in INTERACTIVE_CARDS or card.get("task_id") is not None:
        task_id = card.get("task_id")
        if not isinstance(task_id, str) or not task_id or len(task_id.encode()) > 128 or set(task_id) - TASK_ID_CHARS:
            raise _bad_card("task_id", "required; up to 128 bytes of digits, letters and _-@")
        if task_id in corp.template_cards:
            raise _bad_card("task_id", "task_id exists (同一个应用任务id不能重复)")
    if kind == "button_interaction":
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            raise _bad_card("button_list", f"required, 1 to {MAX_BUTTONS} buttons")
        keys = set()
        for i, button in enumerate(buttons):
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad_card(f"button_list[{i}].text", "required")
            key = button.get("key")
            if button.get("type", 0) == 0:
                if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
                    raise _bad_card(f"button_list[{i}].key", f"required, up to {MAX_KEY_BYTES} bytes")
                if key in keys:
                    raise _bad_card(f"button_list[{i}].key", "keys must not repeat")
                keys.add(key)
    return card


def issue_response_code(corp: Corp, task_id: str, userid: str | None) -> str:
    code = new_id("rc", 32)
    corp.response_codes[code] = {"task_id": task_id, "userid": userid, "used": False,
                                 "expires_at": corp.now() + RESPONSE_CODE_TTL_S}
    return code


@endpoint("message/update_template_card")
def update_template_card(corp: Corp, q: dict, body: dict) -> dict:
    if _int(body.get("agentid"), 0) != corp.agent_id:
        raise WecomApiError(40056)
    code = corp.response_codes.get(str(body.get("response_code") or ""))
    if code is None or code["used"] or code["expires_at"] < corp.now():
        raise WecomApiError(40058, "invalid response_code: unknown, used or past its 72 hours")
    replace = (body.get("button") or {}).get("replace_name") if isinstance(body.get("button"), dict) else None
    if not replace and not isinstance(body.get("template_card"), dict):
        raise WecomApiError(40058, "button.replace_name or template_card is required")
    if replace is not None and (not isinstance(replace, str) or len(replace) > 20):
        raise WecomApiError(40058, "invalid button.replace_name")
    userids = body.get("userids") or []
    code["used"] = True
    corp.template_cards[code["task_id"]]["updates"].append(
        {"userids": list(userids), "replace_name": replace, "template_card": body.get("template_card"),
         "time": int(corp.now())})
    return {"invaliduser": []}


# ---------------------------------------------------------------- JS-SDK tickets and temporary media

# 获取企业的jsapi_ticket / 获取应用的jsapi_ticket (https://developer.work.weixin.qq.com/document/path/90506): a ticket
# lives 7200 s and the same one is answered while it lives; a corp may fetch 400 times an hour, an app 100 times.
TICKET_TTL_S = 7200
TICKET_FETCHES_PER_HOUR = {"corp": 400, "agent_config": 100}
# 上传临时素材 (https://developer.work.weixin.qq.com/document/path/90253): a media_id is valid for 3 days; every file
# must be over 5 bytes; images 10 MB (JPG, PNG), voice 2 MB, video 10 MB, files 20 MB.
MEDIA_TTL_S = 3 * 24 * 3600
MEDIA_LIMITS = {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "video": 10 * 1024 * 1024,
                "file": 20 * 1024 * 1024}


def _ticket(corp: Corp, kind: str) -> dict:
    now = corp.now()
    current = corp.jsapi_tickets.get(kind)
    if current is None or current[1] <= now:
        fetches = [t for t in corp.ticket_fetches.get(kind, []) if now - t < 3600]
        if len(fetches) >= TICKET_FETCHES_PER_HOUR[kind]:
            raise WecomApiError(45009, "api freq out of limit: jsapi ticket")
        corp.ticket_fetches[kind] = fetches + [now]
        current = (secrets.token_urlsafe(64), now + TICKET_TTL_S)
        corp.jsapi_tickets[kind] = current
    return {"ticket": current[0], "expires_in": max(1, int(current[1] - now))}


@endpoint("get_jsapi_ticket")
def get_jsapi_ticket(corp: Corp, q: dict, body: dict) -> dict:
    return _ticket(corp, "corp")


@endpoint("ticket/get")
def ticket_get(corp: Corp, q: dict, body: dict) -> dict:
    if q.get("type") != "agent_config":
        raise WecomApiError(40058, "type must be agent_config")
    return _ticket(corp, "agent_config")


@endpoint("media/upload")
def media_upload(corp: Corp, q: dict, body: dict) -> dict:
    """``body`` is the multipart form's ``media`` part as the server read it: filename, content_type, size."""
    kind = q.get("type", "")
    if kind not in MEDIA_LIMITS:
        raise WecomApiError(40004)
    if "size" not in body:
        raise WecomApiError(41005, "media data missing")
    if body["size"] <= 5 or body["size"] > MEDIA_LIMITS[kind]:
        raise WecomApiError(40006)
    if kind == "image" and not str(body.get("filename", "")).lower().endswith((".jpg", ".jpeg", ".png")):
        raise WecomApiError(40005)
    media_id = new_id("3", 64)
    now = int(corp.now())
    corp.media[media_id] = {"type": kind, "filename": body.get("filename"), "size": body["size"],
                            "content_type": body.get("content_type"), "created_at": now,
                            "expires_at": now + MEDIA_TTL_S}
    # WeCom's sample answers created_at as a string
    return {"type": kind, "media_id": media_id, "created_at": str(now)}


# ---------------------------------------------------------------- customers


@endpoint("externalcontact/get_follow_user_list")
def get_follow_user_list(corp: Corp, q: dict, body: dict) -> dict:
    return {"follow_user": [u.userid for u in corp.users.values() if u.customer_contact and u.resigned_at is None]}


@endpoint("externalcontact/list")
def external_list(corp: Corp, q: dict, body: dict) -> dict:
    userid = q.get("userid", "")
    corp.user(userid)
    ids = [c.external_userid for c in corp.contacts.values() if userid in c.follows]
    if not ids:
        raise WecomApiError(84061, external_userid=[])
    return {"external_userid": ids}


@endpoint("externalcontact/get")
def external_get(corp: Corp, q: dict, body: dict) -> dict:
    """The customer and a page of ``follow_user`` (``corp.follow_user_page_size``, 500 as documented), with
    ``next_cursor`` naming the next page, empty on the last."""
    contact = corp.contact(q.get("external_userid", ""))
    if not contact.follows:
        raise WecomApiError(84061, follow_user=[])
    page, next_cursor = _page(list(contact.follows.values()), q.get("cursor"), corp.follow_user_page_size)
    return {"external_contact": contact.to_api(), "follow_user": [corp.follow_to_api(f) for f in page],
            "next_cursor": next_cursor}


@endpoint("externalcontact/batch/get_by_user")
def batch_get_by_user(corp: Corp, q: dict, body: dict) -> dict:
    userids = _list(body.get("userid_list")) or _list(body.get("userid"))
    if not userids or len(userids) > 100:
        raise WecomApiError(40058, "userid_list must hold 1 to 100 userids")
    for userid in userids:
        corp.user(userid)
    limit = min(max(_int(body.get("limit"), 50), 1), 100)
    # an opaque cursor pointing past the last (member, customer) pair returned, so customers added or deleted
    # between two pages neither shift nor repeat the rest
    after = _cursor_position(body.get("cursor"))
    unlicensed = [u for u in userids if not corp.users[u].licensed]
    rows = sorted(((i, c.seq, c, c.follows[u]) for i, u in enumerate(userids) if u not in unlicensed
                   for c in corp.contacts.values() if u in c.follows and (i, c.seq) > after), key=lambda r: r[:2])
    page = rows[:limit]
    next_cursor = _cursor_of(page[-1][:2]) if len(rows) > limit else ""
    return {"external_contact_list": [{"external_contact": c.to_api(),
                                       "follow_info": corp.follow_to_api(f, with_tag_details=False)}
                                      for _, _, c, f in page],
            "next_cursor": next_cursor, "fail_info": {"unlicensed_userid_list": unlicensed}}


def _cursor_of(position: tuple[int, int]) -> str:
    return f"{position[0]:04x}{position[1]:012x}".upper()


def _cursor_position(cursor: Any) -> tuple[int, int]:
    if not cursor:
        return (-1, -1)
    text = str(cursor)
    try:
        if len(text) != 16:
            raise ValueError(text)
        return int(text[:4], 16), int(text[4:], 16)
    except ValueError:
        raise WecomApiError(40058, "invalid cursor") from None


CONTACT_WAY_FIELDS = ("type", "scene", "style", "remark", "skip_verify", "state", "user", "party", "is_temp",
                      "expires_in", "chat_expires_in", "unionid", "is_exclusive", "conclusions")


def _check_contact_way(corp: Corp, way: dict) -> None:
    if way.get("type") not in (1, 2) or way.get("scene") not in (1, 2):
        raise WecomApiError(40058, "type and scene must be 1 or 2")
    if len(way.get("state") or "") > 30:
        raise WecomApiError(40058, "state is longer than 30 characters")
    users = _list(way.get("user"))
    if way["type"] == 1 and len(users) != 1:
        raise WecomApiError(40058, "a single-person contact way needs exactly one user")
    for userid in users:
        if userid not in corp.users or corp.users[userid].resigned_at is not None:
            raise WecomApiError(40031)
    for party in _list(way.get("party")):
        if party not in corp.departments:
            raise WecomApiError(60123)


@endpoint("externalcontact/add_contact_way")
def add_contact_way(corp: Corp, q: dict, body: dict) -> dict:
    way = {k: body[k] for k in CONTACT_WAY_FIELDS if k in body}
    way.setdefault("skip_verify", True)
    _check_contact_way(corp, way)
    config_id = secrets.token_hex(16)
    way["config_id"] = config_id
    if way["scene"] == 2:
        way["qr_code"] = f"https://wework.qpic.cn/wwpic/sandbox/{config_id}/0"
    corp.contact_ways[config_id] = way
    return {"config_id": config_id} | ({"qr_code": way["qr_code"]} if "qr_code" in way else {})


def _configured(ways: dict[str, dict], body: dict) -> dict:
    """A contact way or join way by the request's ``config_id``."""
    way = ways.get(body.get("config_id") or "")
    if way is None:
        raise WecomApiError(40058, "invalid config_id")
    return way


def _contact_way(corp: Corp, body: dict) -> dict:
    return _configured(corp.contact_ways, body)


@endpoint("externalcontact/get_contact_way")
def get_contact_way(corp: Corp, q: dict, body: dict) -> dict:
    return {"contact_way": dict(_contact_way(corp, body))}


@endpoint("externalcontact/update_contact_way")
def update_contact_way(corp: Corp, q: dict, body: dict) -> dict:
    way = _contact_way(corp, body)
    updated = dict(way) | {k: body[k] for k in CONTACT_WAY_FIELDS if k in body and k not in ("type", "scene")}
    _check_contact_way(corp, updated)
    way.update(updated)
    return {}


@endpoint("externalcontact/del_contact_way")
def del_contact_way(corp: Corp, q: dict, body: dict) -> dict:
    _contact_way(corp, body)
    del corp.contact_ways[body["config_id"]]
    return {}


@endpoint("externalcontact/send_welcome_msg")
def send_welcome_msg(corp: Corp, q: dict, body: dict) -> dict:
    code = corp.welcome_codes.get(body.get("welcome_code") or "")
    if code is None:
        raise WecomApiError(40058, "invalid welcome_code")
    if code["used"] or corp.now() - code["issued_at"] > corp.welcome_code_ttl_s:
        raise WecomApiError(41051)
    if not any(k in body for k in ("text", "attachments")):
        raise WecomApiError(40058, "text or attachments required")
    code["used"] = True
    corp.welcome_messages.append({"welcome_code": body["welcome_code"], "userid": code["userid"],
                                  "external_userid": code["external_userid"], "text": body.get("text"),
                                  "attachments": body.get("attachments", []), "time": int(corp.now())})
    return {}


# ---------------------------------------------------------------- group chats


@endpoint("externalcontact/groupchat/list")
def groupchat_list(corp: Corp, q: dict, body: dict) -> dict:
    limit = _int(body.get("limit"), 0)
    if not 1 <= limit <= 1000:
        raise WecomApiError(40058, "limit must be 1 to 1000")
    status = _int(body.get("status_filter"), 0)
    owners = set(_list((body.get("owner_filter") or {}).get("userid_list")))
    chats = [c for c in corp.chats.values()
             if (status == 0 or c.status == status) and (not owners or c.owner in owners)]
    page, next_cursor = _page(chats, body.get("cursor"), limit)
    return {"group_chat_list": [{"chat_id": c.chat_id, "status": c.status} for c in page], "next_cursor": next_cursor}


@endpoint("externalcontact/groupchat/get")
def groupchat_get(corp: Corp, q: dict, body: dict) -> dict:
    return {"group_chat": corp.chat_to_api(corp.chat(body.get("chat_id", "")), bool(_int(body.get("need_name"), 0)))}


MAX_JOIN_WAY_CHATS = 5
MAX_STATE = 30


def _join_way_fields(corp: Corp, body: dict, way: dict) -> dict:
    scene = _int(body.get("scene"), way.get("scene") or 0)
    if scene not in (1, 2):
        raise WecomApiError(40058, "scene must be 1 (mini-program) or 2 (QR code)")
    chats = _list(body.get("chat_id_list")) if "chat_id_list" in body else way.get("chat_id_list", [])
    if not 1 <= len(chats) <= MAX_JOIN_WAY_CHATS:
        raise WecomApiError(40058, f"chat_id_list must hold 1 to {MAX_JOIN_WAY_CHATS} chats")
    for chat_id in chats:
        corp.chat(chat_id)
    state = str(body.get("state", way.get("state", "")) or "")
    if len(state) > MAX_STATE:
        raise WecomApiError(40058, "state is at most 30 characters")
    auto = _int(body.get("auto_create_room"), way.get("auto_create_room", 1))
    return {**way, "scene": scene, "remark": str(body.get("remark", way.get("remark", "")) or ""),
            "auto_create_room": auto, "room_base_name": str(body.get("room_base_name", way.get("room_base_name", ""))),
            "room_base_id": _int(body.get("room_base_id"), way.get("room_base_id", 1)),
            "chat_id_list": chats, "state": state}


@endpoint("externalcontact/groupchat/add_join_way")
def add_join_way(corp: Corp, q: dict, body: dict) -> dict:
    config_id = new_id("", 32)
    way = _join_way_fields(corp, body, {})
    way.update(config_id=config_id, qr_code=f"https://wework.qpic.cn/wwpic/sandbox/joinway/{config_id}/0")
    corp.join_ways[config_id] = way
    return {"config_id": config_id}


def _join_way(corp: Corp, body: dict) -> dict:
    return _configured(corp.join_ways, body)


@endpoint("externalcontact/groupchat/get_join_way")
def get_join_way(corp: Corp, q: dict, body: dict) -> dict:
    return {"join_way": dict(_join_way(corp, body))}


@endpoint("externalcontact/groupchat/update_join_way")
def update_join_way(corp: Corp, q: dict, body: dict) -> dict:
    way = _join_way(corp, body)
    corp.join_ways[way["config_id"]] = _join_way_fields(corp, body, way)
    return {}


@endpoint("externalcontact/groupchat/del_join_way")
def del_join_way(corp: Corp, q: dict, body: dict) -> dict:
    corp.join_ways.pop(_join_way(corp, body)["config_id"])
    return {}


# ---------------------------------------------------------------- group robots (no access token)

WEBHOOK_TYPES = ("text", "markdown", "image", "news", "file", "voice", "template_card")
WEBHOOK_CONTENT_MAX = {"text": 2048, "markdown": 4096}
WEBHOOK_PER_MINUTE = 20


def webhook_send(corp: Corp, q: dict, body: dict) -> dict:
    """群机器人 ``webhook/send?key=...``: 20 messages a minute per robot, text 2048 and markdown 4096 bytes."""
    received = corp.webhooks.get(q.get("key") or "")
    if received is None:
        raise WecomApiError(93000)
    msgtype = body.get("msgtype")
    if msgtype not in WEBHOOK_TYPES or not isinstance(body.get(msgtype), dict):
        raise WecomApiError(40008)
    limit = WEBHOOK_CONTENT_MAX.get(msgtype)
    content = str(body[msgtype].get("content") or "")
    if limit and not content:
        raise WecomApiError(40058, "content is required")
    if limit and len(content.encode()) > limit:
        raise WecomApiError(40058, f"content exceeds {limit} bytes")
    now = corp.now()
    if sum(1 for m in received if now - m["time"] < 60) >= WEBHOOK_PER_MINUTE:
        raise WecomApiError(45009)
    received.append({"msgtype": msgtype, msgtype: body[msgtype], "time": now})
    return {}


# ---------------------------------------------------------------- corp tags


@endpoint("externalcontact/get_corp_tag_list")
def get_corp_tag_list(corp: Corp, q: dict, body: dict) -> dict:
    tag_ids, group_ids = set(_list(body.get("tag_id"))), set(_list(body.get("group_id")))
    out = []
    for group in corp.tag_groups.values():
        if group_ids and group.group_id in group_ids:
            out.append(corp.tag_group_to_api(group))
        elif tag_ids and tag_ids & set(group.tags):
            out.append(corp.tag_group_to_api(group, tag_ids))
        elif not tag_ids and not group_ids:
            out.append(corp.tag_group_to_api(group))
    return {"tag_group": out}


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise WecomApiError(40058, f"name must be 1 to {MAX_NAME} characters")
    return name


@endpoint("externalcontact/add_corp_tag")
def add_corp_tag(corp: Corp, q: dict, body: dict) -> dict:
    tags = _list(body.get("tag"))
    if not tags:
        raise WecomApiError(40058, "tag is required")
    names = [_check_name(t.get("name") if isinstance(t, dict) else None) for t in tags]
    agent = _int(body.get("agentid"), corp.agent_id)
    if body.get("group_id"):
        group = corp.tag_groups.get(body["group_id"])
        if group is None:
            raise WecomApiError(40068)
    else:
        _check_name(body.get("group_name"))
        group = next((g for g in corp.tag_groups.values() if g.group_name == body["group_name"]), None)
        if group is None:
            group = corp.add_tag_group(body["group_name"], [], order=_int(body.get("order"), 0), created_by=agent)
    now = int(corp.now())
    created = []
    for spec, name in zip(tags, names):
        existing = next((t for t in group.tags.values() if t.name == name), None)
        if existing is None:
            existing = Tag(new_id("et"), name, group.group_id, _int(spec.get("order"), 0), now, agent)
            group.tags[existing.id] = existing
        created.append(existing.id)
    return {"tag_group": corp.tag_group_to_api(group, set(created))}


def _owned(corp: Corp, created_by: int | None, agent: int) -> None:
    if created_by != agent:
        raise WecomApiError(48002, "an app may only edit or delete the tags it created")


@endpoint("externalcontact/edit_corp_tag")
def edit_corp_tag(corp: Corp, q: dict, body: dict) -> dict:
    agent = _int(body.get("agentid"), corp.agent_id)
    target_id = body.get("id") or ""
    name = _check_name(body["name"]) if "name" in body else None
    if target_id in corp.tag_groups:
        group = corp.tag_groups[target_id]
        _owned(corp, group.created_by, agent)
        if name and any(g.group_name == name and g is not group for g in corp.tag_groups.values()):
            raise WecomApiError(40058, "a tag group with that name exists")
        group.group_name = name or group.group_name
        group.order = _int(body.get("order"), group.order)
    else:
        tag = corp.tag(target_id)
        _owned(corp, tag.created_by, agent)
        siblings = corp.tag_groups[tag.group_id].tags.values()
        if name and any(t.name == name and t is not tag for t in siblings):
            raise WecomApiError(40058, "a tag with that name exists in the group")
        tag.name = name or tag.name
        tag.order = _int(body.get("order"), tag.order)
    return {}


@endpoint("externalcontact/del_corp_tag")
def del_corp_tag(corp: Corp, q: dict, body: dict) -> dict:
    agent = _int(body.get("agentid"), corp.agent_id)
    tag_ids, group_ids = _list(body.get("tag_id")), _list(body.get("group_id"))
    if not tag_ids and not group_ids:
        raise WecomApiError(40058, "tag_id or group_id is required")
    tags = [corp.tag(t) for t in tag_ids]
    groups = []
    for gid in group_ids:
        if gid not in corp.tag_groups:
            raise WecomApiError(40068)
        groups.append(corp.tag_groups[gid])
    for item in [*tags, *groups]:
        _owned(corp, item.created_by, agent)
    removed = set(tag_ids)
    for tag in tags:
        corp.tag_groups[tag.group_id].tags.pop(tag.id, None)
    for group in groups:
        removed |= set(group.tags)
        corp.tag_groups.pop(group.group_id, None)
    for gid in [g for g, group in corp.tag_groups.items() if not group.tags]:
        del corp.tag_groups[gid]  # an empty group goes with its last tag
    for contact in corp.contacts.values():
        for follow in contact.follows.values():
            follow.tags = [t for t in follow.tags if t not in removed]
    return {}


@endpoint("externalcontact/mark_tag")
def mark_tag(corp: Corp, q: dict, body: dict) -> dict:
    corp.user(body.get("userid", ""))
    follow = corp.follow(body.get("userid", ""), body.get("external_userid", ""))
    add, remove = _list(body.get("add_tag")), _list(body.get("remove_tag"))
    if not add and not remove:
        raise WecomApiError(40058, "add_tag and remove_tag cannot both be empty")
    for tag_id in [*add, *remove]:
        corp.tag(tag_id)
    follow.tags = [t for t in follow.tags if t not in remove] + [t for t in add if t not in follow.tags]
    return {}


# ---------------------------------------------------------------- mass messages


@endpoint("externalcontact/add_msg_template")
def add_msg_template(corp: Corp, q: dict, body: dict) -> dict:
    chat_type = body.get("chat_type") or "single"
    sender = body.get("sender") or ""
    if sender:
        corp.user(sender)
    if not any(k in body for k in ("text", "attachments")):
        raise WecomApiError(40058, "text or attachments required")
    fail_list: list[str] = []
    recipients: list[dict] = []
    if chat_type == "single":
        for ext in _list(body.get("external_userid")):
            contact = corp.contacts.get(ext)
            owners = [u for u in (contact.follows if contact else {}) if not sender or u == sender]
            if not owners:
                fail_list.append(ext)
                continue
            recipients.append({"external_userid": ext, "userid": owners[0], "status": 0, "send_time": 0})
        if not recipients:
            raise WecomApiError(40096, fail_list=fail_list)
    elif chat_type == "group":
        if not sender:
            raise WecomApiError(40058, "sender is required for group messages")
        chat_ids = _list(body.get("chat_id_list")) or [c.chat_id for c in corp.chats.values() if c.owner == sender]
        recipients = [{"chat_id": c, "userid": sender, "status": 0, "send_time": 0} for c in chat_ids]
    else:
        raise WecomApiError(40058, "chat_type must be single or group")
    msgid = new_id("msg", 32)
    corp.msg_templates[msgid] = {"msgid": msgid, "chat_type": chat_type, "sender": sender,
                                 "text": body.get("text"), "attachments": body.get("attachments", []),
                                 "recipients": recipients, "create_time": int(corp.now())}
    return {"fail_list": fail_list, "msgid": msgid}


@endpoint("externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result(corp: Corp, q: dict, body: dict) -> dict:
    template = corp.msg_templates.get(body.get("msgid") or "")
    if template is None:
        raise WecomApiError(40058, "invalid msgid")
    userid = body.get("userid") or ""
    rows = [dict(r) for r in template["recipients"] if not userid or r["userid"] == userid]
    page, next_cursor = _page(rows, body.get("cursor"), min(max(_int(body.get("limit"), 500), 1), 1000))
    return {"send_list": page, "next_cursor": next_cursor}


# ---------------------------------------------------------------- handover


def _transfer(corp: Corp, body: dict, kind: str) -> dict:
    handover, takeover = body.get("handover_userid") or "", body.get("takeover_userid") or ""
    externals = _list(body.get("external_userid"))
    if not externals or len(externals) > MAX_TRANSFER:
        raise WecomApiError(40058, f"external_userid must hold 1 to {MAX_TRANSFER} customers")
    msg = body.get("transfer_success_msg") or ""
    if len(msg) > 200:
        raise WecomApiError(40058, "transfer_success_msg is longer than 200 characters")
    taker = corp.user(takeover)
    if not taker.customer_contact:
        raise WecomApiError(40003, "the takeover user is not configured for customer contact")
    giver = corp.user(handover, active=False)
    resigned = giver.resigned_at is not None
    if kind == "onjob" and resigned:
        raise WecomApiError(60111)
    out = []
    for ext in externals:
        code = 0
        contact = corp.contacts.get(ext)
        if contact is None:
            code = 40096
        elif handover not in contact.follows:
            code = 84061
        elif kind == "resigned" and not resigned:
            code = 40097
        elif any(t.external_userid == ext and t.handover_userid == handover and t.status == TRANSFER_WAITING
                 for t in corp.transfers):
            code = 40100
        if code == 0:
            corp.transfers.append(Transfer(kind, handover, takeover, ext, TRANSFER_WAITING,
                                           int(corp.now()) + TAKEOVER_DELAY_S, msg))
        out.append({"external_userid": ext, "errcode": code})
    return {"customer": out}


def _transfer_result(corp: Corp, body: dict, kind: str) -> dict:
    handover, takeover = body.get("handover_userid") or "", body.get("takeover_userid") or ""
    rows = [{"external_userid": t.external_userid, "status": t.status,
             "takeover_time": t.takeover_time if t.status in (1, 2) else 0}
            for t in corp.transfers if t.kind == kind and t.handover_userid == handover
            and t.takeover_userid == takeover]
    page, next_cursor = _page(rows, body.get("cursor"), 1000)
    return {"customer": page, "next_cursor": next_cursor}


@endpoint("externalcontact/resigned/transfer_customer")
def resigned_transfer_customer(corp: Corp, q: dict, body: dict) -> dict:
    return _transfer(corp, body, "resigned")


@endpoint("externalcontact/resigned/transfer_result")
def resigned_transfer_result(corp: Corp, q: dict, body: dict) -> dict:
    return _transfer_result(corp, body, "resigned")


@endpoint("externalcontact/transfer_customer")
def onjob_transfer_customer(corp: Corp, q: dict, body: dict) -> dict:
    return _transfer(corp, body, "onjob")


@endpoint("externalcontact/transfer_result")
def onjob_transfer_result(corp: Corp, q: dict, body: dict) -> dict:
    return _transfer_result(corp, body, "onjob")


def _chat_transfer(corp: Corp, body: dict, resigned: bool) -> dict:
    chat_ids = _list(body.get("chat_id_list"))
    if not chat_ids or len(chat_ids) > MAX_TRANSFER:
        raise WecomApiError(40058, f"chat_id_list must hold 1 to {MAX_TRANSFER} chats")
    new_owner = corp.user(body.get("new_owner") or "")
    failed = []
    for chat_id in chat_ids:
        chat = corp.chats.get(chat_id)
        if chat is None:
            failed.append({"chat_id": chat_id, "errcode": 90501, "errmsg": "chat is not external group chat"})
            continue
        owner = corp.users.get(chat.owner)
        if resigned and (owner is None or owner.resigned_at is None):
            failed.append({"chat_id": chat_id, "errcode": 90500, "errmsg": "the owner of this chat is not resigned"})
            continue
        chat.owner = new_owner.userid
        chat.status = 3 if resigned else 0
        if not any(m["userid"] == new_owner.userid for m in chat.members):
            chat.members.append(corp._member(new_owner.userid, new_owner.userid, int(corp.now()), 1))
    return {"failed_chat_list": failed}


@endpoint("externalcontact/groupchat/transfer")
def groupchat_transfer(corp: Corp, q: dict, body: dict) -> dict:
    return _chat_transfer(corp, body, resigned=True)


@endpoint("externalcontact/groupchat/onjob_transfer")
def groupchat_onjob_transfer(corp: Corp, q: dict, body: dict) -> dict:
    return _chat_transfer(corp, body, resigned=False)


@endpoint("externalcontact/get_unassigned_list")
def get_unassigned_list(corp: Corp, q: dict, body: dict) -> dict:
    page_size = min(max(_int(body.get("page_size"), 1000), 1), 1000)
    busy = {(t.handover_userid, t.external_userid) for t in corp.transfers if t.status in (1, 2)}
    rows = [{"handover_userid": u.userid, "external_userid": c.external_userid, "dimission_time": u.resigned_at}
            for u in corp.users.values() if u.resigned_at is not None
            for c in corp.contacts.values() if u.userid in c.follows and (u.userid, c.external_userid) not in busy]
    if body.get("cursor") or "page_id" not in body:
        page, next_cursor = _page(rows, body.get("cursor"), page_size)
        return {"info": page, "is_last": not next_cursor, "next_cursor": next_cursor}
    start = _int(body.get("page_id"), 0) * page_size
    page = rows[start:start + page_size]
    return {"info": page, "is_last": start + page_size >= len(rows)}
