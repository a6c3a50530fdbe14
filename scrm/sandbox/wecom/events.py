"""What people do in WeCom, simulated: each method changes the sandbox's state the way the user's
action would and sends the callback WeCom sends for it (``wait=False`` sends it in the background).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Iterable

from scrm.sandbox.wecom.endpoints import issue_response_code
from scrm.sandbox.wecom.state import TRANSFER_ACCEPTED, TRANSFER_OVER_LIMIT, TRANSFER_REFUSED, TRANSFER_WAITING, Follow

if TYPE_CHECKING:
    from scrm.sandbox.wecom.callbacks import SentEvent
    from scrm.sandbox.wecom.state import Corp

FAIL_REASONS = {TRANSFER_REFUSED: "customer_refused", TRANSFER_OVER_LIMIT: "customer_limit_exceed"}

SIMULATIONS = (
    "contact_added", "contact_edited", "contact_deleted", "follow_user_deleted", "complete_transfers",
    "group_created", "group_members_joined", "group_members_left", "group_owner_changed", "group_renamed",
    "group_notice_changed", "group_dismissed", "tag_created", "tag_updated", "tag_deleted", "tags_shuffled",
    "user_created", "user_updated", "user_deleted", "party_created", "party_updated", "party_deleted", "app_message",
    "card_clicked",
)
"""The methods ``POST /sandbox/simulate/{name}`` may call."""


class EventsMixin:
    corp: Corp

    def _emit(self, fields: dict[str, Any], wait: bool) -> SentEvent:  # provided by SandboxWecom
        raise NotImplementedError

    def _event(self, event: str, change_type: str | None = None, **fields: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"ToUserName": self.corp.corp_id, "FromUserName": "sys",
                               "CreateTime": int(self.corp.now()), "MsgType": "event", "Event": event}
        if change_type:
            out["ChangeType"] = change_type
        out.update({k: v for k, v in fields.items() if v is not None})
        return out

    # ------------------------------------------------------------ customers (change_external_contact)

    def contact_added(self, userid: str | None = None, external_userid: str | None = None, *, name: str = "微信用户",
                      state: str = "", config_id: str | None = None, remark: str = "",
                      remark_mobiles: Iterable[str] = (), tags: Iterable[str] = (), unionid: str = "",
                      add_way: int = 1, half: bool = False, welcome_code: bool = True,
                      wait: bool = True) -> SentEvent:
        """A customer adds ``userid`` (or the member of contact way ``config_id``, with its state).
        The event carries a fresh WelcomeCode unless ``welcome_code=False``."""
        with self.corp.lock:
            if config_id:
                way = self.corp.contact_ways[config_id]
                userid = userid or way["user"][0]
                state = state or way.get("state") or ""
            self.corp.user(userid or "")
            follow = dict(userid=userid, remark=remark, remark_mobiles=list(remark_mobiles), state=state,
                          tags=list(tags), add_way=add_way)
            contact = self.corp.add_contact(name, [follow], external_userid=external_userid, unionid=unionid)
            code = self.corp.issue_welcome_code(userid, contact.external_userid) if welcome_code else None
            fields = self._event("change_external_contact",
                                 "add_half_external_contact" if half else "add_external_contact",
                                 UserID=userid, ExternalUserID=contact.external_userid, State=state or None,
                                 WelcomeCode=code)
        return self._emit(fields, wait)

    def contact_edited(self, userid: str, external_userid: str, *, remark: str | None = None,
                       description: str | None = None, remark_mobiles: Iterable[str] | None = None,
                       remark_corp_name: str | None = None, add_tags: Iterable[str] = (),
                       remove_tags: Iterable[str] = (), wait: bool = True) -> SentEvent:
        """The member edits the customer's remark, mobiles or corp tags in the app."""
        with self.corp.lock:
            follow = self.corp.follow(userid, external_userid)
            for attr, value in (("remark", remark), ("description", description),
                                ("remark_corp_name", remark_corp_name)):
                if value is not None:
                    setattr(follow, attr, value)
            if remark_mobiles is not None:
                follow.remark_mobiles = list(remark_mobiles)
            remove = {self.corp._resolve_tag(t) for t in remove_tags}
            add = [self.corp._resolve_tag(t) for t in add_tags]
            follow.tags = [t for t in follow.tags if t not in remove] + [t for t in add if t not in follow.tags]
            fields = self._event("change_external_contact", "edit_external_contact", UserID=userid,
                                 ExternalUserID=external_userid)
        return self._emit(fields, wait)

    def contact_deleted(self, userid: str, external_userid: str, *, source: str | None = None,
                        wait: bool = True) -> SentEvent:
        """The member deletes the customer (``source="DELETE_BY_TRANSFER"`` when a transfer moved them)."""
        with self.corp.lock:
            self.corp.follow(userid, external_userid)
            del self.corp.contacts[external_userid].follows[userid]
            fields = self._event("change_external_contact", "del_external_contact", UserID=userid,
                                 ExternalUserID=external_userid, Source=source)
        return self._emit(fields, wait)

    def follow_user_deleted(self, userid: str, external_userid: str, *, wait: bool = True) -> SentEvent:
        """The customer deletes the member; WeCom keeps the member's one-way record of the customer."""
        with self.corp.lock:
            self.corp.follow(userid, external_userid)
            fields = self._event("change_external_contact", "del_follow_user", UserID=userid,
                                 ExternalUserID=external_userid)
        return self._emit(fields, wait)

    def complete_transfers(self, status: int = TRANSFER_ACCEPTED, *, handover_userid: str | None = None,
                           takeover_userid: str | None = None, external_userids: Iterable[str] | None = None,
                           taker_add_event: bool = True, wait: bool = True) -> list[SentEvent]:
        """Let WeCom's 24 hours pass for waiting transfers: 1 accepted (the customer moves to the taker,
        who gets add_external_contact; an on-job giver gets del_external_contact DELETE_BY_TRANSFER),
        3 refused or 4 taker over limit (transfer_fail to the taker), 5 no record.

        ``taker_add_event=False`` sends the taker nothing: the transfer was started through the API, and
        "通过API进行的操作不会产生回调" (https://developer.work.weixin.qq.com/document/path/92130), so the
        product must not count on that add event."""
        wanted = set(external_userids) if external_userids is not None else None
        pending: list[dict] = []
        with self.corp.lock:
            now = int(self.corp.now())
            for t in self.corp.transfers:
                if t.status != TRANSFER_WAITING or (handover_userid and t.handover_userid != handover_userid) \
                        or (takeover_userid and t.takeover_userid != takeover_userid) \
                        or (wanted is not None and t.external_userid not in wanted):
                    continue
                t.status = status
                contact = self.corp.contacts.get(t.external_userid)
                if status == TRANSFER_ACCEPTED and contact is not None:
                    t.takeover_time = now
                    old = contact.follows.pop(t.handover_userid, None) or Follow(t.handover_userid)
                    already = t.takeover_userid in contact.follows
                    contact.follows.setdefault(t.takeover_userid, Follow(
                        userid=t.takeover_userid, remark=old.remark, description=old.description, createtime=now,
                        tags=list(old.tags), remark_mobiles=list(old.remark_mobiles), oper_userid=t.takeover_userid,
                        add_way=old.add_way, state=old.state))
                    if not already and taker_add_event:
                        pending.append(self._event("change_external_contact", "add_external_contact",
                                                   UserID=t.takeover_userid, ExternalUserID=t.external_userid))
                    if t.kind == "onjob":
                        pending.append(self._event("change_external_contact", "del_external_contact",
                                                   UserID=t.handover_userid, ExternalUserID=t.external_userid,
                                                   Source="DELETE_BY_TRANSFER"))
                elif status in FAIL_REASONS:
                    t.takeover_time = 0
                    pending.append(self._event("change_external_contact", "transfer_fail",
                                               FailReason=FAIL_REASONS[status], UserID=t.takeover_userid,
                                               ExternalUserID=t.external_userid))
        return [self._emit(fields, wait) for fields in pending]

    # ------------------------------------------------------------ groups (change_external_chat)

    def group_created(self, owner: str, name: str = "", members: Iterable[str] = (), *, chat_id: str | None = None,
                      wait: bool = True) -> SentEvent:
        with self.corp.lock:
            chat = self.corp.add_chat(owner, name, members, chat_id=chat_id)
            fields = self._event("change_external_chat", "create", ChatId=chat.chat_id)
        return self._emit(fields, wait)

    def _chat_update(self, chat_id: str, detail: str, **extra: Any) -> dict:
        return self._event("change_external_chat", "update", ChatId=chat_id, UpdateDetail=detail, **extra)

    def group_members_joined(self, chat_id: str, members: Iterable[str], *, join_scene: int = 1,
                             wait: bool = True) -> SentEvent:
        """JoinScene: 0 invited directly, 1 by invitation link, 3 by scanning the group QR code."""
        with self.corp.lock:
            chat = self.corp.chat(chat_id)
            now, last = int(self.corp.now()), chat.member_version
            joined = [m for m in members if not any(x["userid"] == m for x in chat.members)]
            # a customer group holds chat_member_limit people; those beyond it cannot join
            joined = joined[:max(0, self.corp.chat_member_limit - len(chat.members))]
            chat.members.extend(self.corp._member(m, chat.owner, now, join_scene) for m in joined)
            chat.member_version = secrets.token_hex(16)
            fields = self._chat_update(chat_id, "add_member", JoinScene=join_scene, MemChangeCnt=len(joined),
                                       MemChangeList=joined, LastMemVer=last, CurMemVer=chat.member_version)
        return self._emit(fields, wait)

    def group_members_left(self, chat_id: str, members: Iterable[str], *, quit_scene: int = 0,
                           wait: bool = True) -> SentEvent:
        """QuitScene: 0 left by themselves, 1 removed by the owner or an admin."""
        with self.corp.lock:
            chat = self.corp.chat(chat_id)
            gone = [m for m in members if any(x["userid"] == m for x in chat.members)]
            chat.members = [x for x in chat.members if x["userid"] not in gone]
            last, chat.member_version = chat.member_version, secrets.token_hex(16)
            fields = self._chat_update(chat_id, "del_member", QuitScene=quit_scene, MemChangeCnt=len(gone),
                                       MemChangeList=gone, LastMemVer=last, CurMemVer=chat.member_version)
        return self._emit(fields, wait)

    def group_owner_changed(self, chat_id: str, new_owner: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            chat = self.corp.chat(chat_id)
            self.corp.user(new_owner)
            chat.owner = new_owner
            if not any(x["userid"] == new_owner for x in chat.members):
                chat.members.append(self.corp._member(new_owner, new_owner, int(self.corp.now()), 0))
            fields = self._chat_update(chat_id, "change_owner")
        return self._emit(fields, wait)

    def group_renamed(self, chat_id: str, name: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            self.corp.chat(chat_id).name = name
            fields = self._chat_update(chat_id, "change_name")
        return self._emit(fields, wait)

    def group_notice_changed(self, chat_id: str, notice: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            self.corp.chat(chat_id).notice = notice
            fields = self._chat_update(chat_id, "change_notice")
        return self._emit(fields, wait)

    def group_dismissed(self, chat_id: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            self.corp.chat(chat_id)
            del self.corp.chats[chat_id]
            fields = self._event("change_external_chat", "dismiss", ChatId=chat_id)
        return self._emit(fields, wait)

    # ------------------------------------------------------------ corp tags (change_external_tag), by the admin

    def tag_created(self, group_name: str, name: str, *, wait: bool = True) -> SentEvent:
        """The admin adds tag ``name`` (and the group, when new) in the console; returns the tag's event."""
        with self.corp.lock:
            is_new = not any(g.group_name == group_name for g in self.corp.tag_groups.values())
            group = self.corp.add_tag_group(group_name, [name])
            tag_id = self.corp.tag_id(name, group_name)
            pending = []
            if is_new:
                pending.append(self._event("change_external_tag", "create", Id=group.group_id, TagType="tag_group"))
            pending.append(self._event("change_external_tag", "create", Id=tag_id, TagType="tag"))
        return [self._emit(fields, wait) for fields in pending][-1]

    def tag_updated(self, id: str, *, name: str | None = None, order: int | None = None,
                    wait: bool = True) -> SentEvent:
        with self.corp.lock:
            if id in self.corp.tag_groups:
                group, tag_type = self.corp.tag_groups[id], "tag_group"
                group.group_name = name or group.group_name
                group.order = group.order if order is None else order
            else:
                tag, tag_type = self.corp.tag(id), "tag"
                tag.name = name or tag.name
                tag.order = tag.order if order is None else order
            fields = self._event("change_external_tag", "update", Id=id, TagType=tag_type)
        return self._emit(fields, wait)

    def tag_deleted(self, id: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            if id in self.corp.tag_groups:
                removed, tag_type = set(self.corp.tag_groups.pop(id).tags), "tag_group"
            else:
                tag, tag_type = self.corp.tag(id), "tag"
                del self.corp.tag_groups[tag.group_id].tags[id]
                removed = {id}
            for contact in self.corp.contacts.values():
                for follow in contact.follows.values():
                    follow.tags = [t for t in follow.tags if t not in removed]
            fields = self._event("change_external_tag", "delete", Id=id, TagType=tag_type)
        return self._emit(fields, wait)

    def tags_shuffled(self, group_id: str = "", *, wait: bool = True) -> SentEvent:
        """Tags inside ``group_id`` were reordered; an empty id means the groups were."""
        fields = self._event("change_external_tag", "shuffle", Id=group_id)
        return self._emit(fields, wait)

    # ------------------------------------------------------------ address book (change_contact)

    def _user_fields(self, user, only: set[str] | None = None) -> dict:
        fields = {"Name": user.name, "Department": ",".join(map(str, user.department)),
                  "MainDepartment": user.department[0] if user.department else 1,
                  "IsLeaderInDept": ",".join("0" for _ in user.department), "Position": user.position,
                  "Mobile": user.mobile, "Gender": int(user.gender or 0), "Email": user.email, "Status": user.status,
                  "Avatar": f"https://wework.qpic.cn/sandbox/{user.userid}/0", "Alias": user.alias}
        return fields if only is None else {k: v for k, v in fields.items() if k in only}

    def user_created(self, userid: str, name: str, department: Iterable[int] = (1,), *, wait: bool = True,
                     **attrs: Any) -> SentEvent:
        with self.corp.lock:
            user = self.corp.add_user(userid, name, department, **attrs)
            fields = self._event("change_contact", "create_user", UserID=userid, **self._user_fields(user))
        return self._emit(fields, wait)

    def user_updated(self, userid: str, *, new_userid: str | None = None, wait: bool = True,
                     **changes: Any) -> SentEvent:
        """Only the changed fields travel, as in WeCom (``name``, ``department``, ``position``, ``mobile`` …)."""
        with self.corp.lock:
            user = self.corp.user(userid)
            for key, value in changes.items():
                setattr(user, key, list(value) if key == "department" else value)
            if new_userid and new_userid != userid:
                self.corp.users[new_userid] = self.corp.users.pop(userid)
                user.userid = new_userid
                for contact in self.corp.contacts.values():
                    if userid in contact.follows:
                        contact.follows[new_userid] = contact.follows.pop(userid)
                        contact.follows[new_userid].userid = new_userid
            names = {"name": "Name", "department": "Department", "position": "Position", "mobile": "Mobile",
                     "gender": "Gender", "email": "Email", "status": "Status", "alias": "Alias"}
            changed = {names[k] for k in changes if k in names}
            if "Department" in changed:
                changed |= {"MainDepartment", "IsLeaderInDept"}
            fields = self._event("change_contact", "update_user", UserID=userid, NewUserID=new_userid,
                                 **self._user_fields(user, changed))
        return self._emit(fields, wait)

    def user_deleted(self, userid: str, *, wait: bool = True) -> SentEvent:
        """The member leaves the company: gone from the address book, customers and groups await handover."""
        with self.corp.lock:
            user = self.corp.user(userid)
            user.resigned_at, user.status = int(self.corp.now()), 5
            for chat in self.corp.chats.values():
                if chat.owner == userid:
                    chat.status = 1
            fields = self._event("change_contact", "delete_user", UserID=userid)
        return self._emit(fields, wait)

    def party_created(self, id: int, name: str, parent_id: int = 1, order: int = 0, *,
                      wait: bool = True) -> SentEvent:
        with self.corp.lock:
            self.corp.add_department(id, name, parent_id, order)
            fields = self._event("change_contact", "create_party", Id=id, Name=name, ParentId=parent_id, Order=order)
        return self._emit(fields, wait)

    def party_updated(self, id: int, *, name: str | None = None, parent_id: int | None = None,
                      wait: bool = True) -> SentEvent:
        with self.corp.lock:
            dept = self.corp.departments[id]
            dept.name = name or dept.name
            dept.parentid = dept.parentid if parent_id is None else parent_id
            fields = self._event("change_contact", "update_party", Id=id, Name=name, ParentId=parent_id)
        return self._emit(fields, wait)

    def party_deleted(self, id: int, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            if any(d.parentid == id for d in self.corp.departments.values()) or \
                    any(id in u.department for u in self.corp.users.values() if u.resigned_at is None):
                raise ValueError(f"department {id} still has sub-departments or members")
            del self.corp.departments[id]
            fields = self._event("change_contact", "delete_party", Id=id)
        return self._emit(fields, wait)

    # ------------------------------------------------------------ a member writes to the app

    def card_clicked(self, userid: str, task_id: str, key: str, *, wait: bool = True) -> SentEvent:
        """The member presses a button of a template card the app sent them: WeCom sends template_card_event
        (模板卡片事件推送, https://developer.work.weixin.qq.com/document/path/90240) with the button's key as EventKey
        and a ResponseCode the app may update the card with once."""
        with self.corp.lock:
            sent = self.corp.template_cards.get(task_id)
            if sent is None or userid not in sent["touser"]:
                raise KeyError(f"no template card {task_id!r} was sent to {userid!r}")
            keys = [b.get("key") for b in sent["card"].get("button_list") or []]
            if key not in keys:
                raise ValueError(f"the card has no button {key!r}; its keys: {keys}")
            code = issue_response_code(self.corp, task_id, userid)
            sent["clicks"].append({"userid": userid, "key": key, "response_code": code})
            fields = {"ToUserName": self.corp.corp_id, "FromUserName": userid, "CreateTime": int(self.corp.now()),
                      "MsgType": "event", "Event": "template_card_event", "EventKey": key, "TaskId": task_id,
                      "CardType": sent["card"]["card_type"], "ResponseCode": code, "AgentID": self.corp.agent_id}
        return self._emit(fields, wait)

    def app_message(self, userid: str, content: str, *, wait: bool = True) -> SentEvent:
        with self.corp.lock:
            self.corp.user(userid)
            fields = {"ToUserName": self.corp.corp_id, "FromUserName": userid, "CreateTime": int(self.corp.now()),
                      "MsgType": "text", "Content": content,
                      "MsgId": 10**18 + secrets.randbelow(9 * 10**18), "AgentID": self.corp.agent_id}
        return self._emit(fields, wait)
