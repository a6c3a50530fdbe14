"""WeCom endpoints wechatpy 2.0.0a26 lacks, in wechatpy's style (``BaseWeChatAPI`` subclasses).

Attached to ``scrm.wecom.client.WecomClient`` as ``client.contact_detail``, ``client.customers``,
``client.transfer``, ``client.group_msg``, ``client.join_way``, ``client.auth`` and ``client.template_card``.
"""

from __future__ import annotations

from typing import Iterable, Optional

from optionaldict import optionaldict
from wechatpy.client.api.base import BaseWeChatAPI


class WeChatContactDetail(BaseWeChatAPI):
    """获取客户详情 https://developer.work.weixin.qq.com/document/path/92114 with its ``cursor``: "当客户在企业内的
    跟进人超过500人时需要使用cursor参数进行分页获取" (wechatpy's ``external_contact.get`` reads the first page only).
    """

    def get(self, external_userid: str, cursor: Optional[str] = None) -> dict:
        """One page: at most 500 members in ``follow_user``, ``next_cursor`` set when more follow."""
        return self._get("externalcontact/get", params=optionaldict(external_userid=external_userid, cursor=cursor))

    def get_all(self, external_userid: str) -> dict:
        """The customer with every member who follows them: the pages' ``follow_user`` lists in order, each
        member once."""
        answer = self.get(external_userid)
        follows = {f["userid"]: f for f in answer.get("follow_user") or []}
        cursor, seen = answer.get("next_cursor"), set()
        while cursor and cursor not in seen:  # a cursor repeated would never end
            seen.add(cursor)
            page = self.get(external_userid, cursor=cursor)
            for f in page.get("follow_user") or []:
                follows.setdefault(f["userid"], f)
            cursor = page.get("next_cursor")
        return {**answer, "follow_user": list(follows.values()), "next_cursor": ""}


class WeChatCustomerList(BaseWeChatAPI):
    """Reading the whole customer list (the import): who may have customers, and their customers page by page."""

    MAX_USERIDS = 100  # batch/get_by_user: "userid_list 企业成员的userid列表，字符串类型，最多支持100个"
    MAX_LIMIT = 100  # "limit 返回的最大记录数，整型，最大值100，默认值50"

    def get_follow_user_list(self) -> dict:
        """获取配置了客户联系功能的成员列表 https://developer.work.weixin.qq.com/document/path/92571:
        ``{"follow_user": ["zhangsan", "lisi"]}``."""
        return self._get("externalcontact/get_follow_user_list")

    def batch_get_by_user(self, userid_list: Iterable[str], cursor: Optional[str] = None,
                          limit: int = MAX_LIMIT) -> dict:
        """批量获取客户详情 https://developer.work.weixin.qq.com/document/path/92994 (wechatpy sends the retired
        single ``userid``). One page of ``external_contact_list``: each item an ``external_contact`` and the
        ``follow_info`` of one member in ``userid_list`` (``tag_id`` holds corp tag ids); ``next_cursor``, empty on
        the last page; ``fail_info.unlicensed_userid_list``, members without a licence."""
        userids = list(userid_list)
        if not 1 <= len(userids) <= self.MAX_USERIDS:
            raise ValueError(f"userid_list must hold 1 to {self.MAX_USERIDS} userids, got {len(userids)}")
        data = optionaldict(userid_list=userids, cursor=cursor or None, limit=min(max(limit, 1), self.MAX_LIMIT))
        return self._post("externalcontact/batch/get_by_user", data=data)


class WeChatCustomerTransfer(BaseWeChatAPI):
    """在职继承 / 离职继承: hand customers and customer groups to another member.

    An errcode 0 per customer only means the handover has started; WeCom moves the customer 24 hours
    later unless they refuse. Poll the ``*_result`` methods (status 1 accepted, 2 waiting, 3 refused,
    4 taker over the customer limit, 5 no record) or wait for the ``transfer_fail`` callback.
    """

    MAX_BATCH = 100

    def _batch(self, items: Iterable[str], what: str) -> list[str]:
        items = list(items)
        if not 1 <= len(items) <= self.MAX_BATCH:
            raise ValueError(f"{what} must hold 1 to {self.MAX_BATCH} ids, got {len(items)}")
        return items

    def resigned_transfer_customer(self, handover_userid: str, takeover_userid: str,
                                   external_userid: Iterable[str]) -> dict:
        """分配离职成员的客户 https://developer.work.weixin.qq.com/document/path/94081"""
        data = {"handover_userid": handover_userid, "takeover_userid": takeover_userid,
                "external_userid": self._batch(external_userid, "external_userid")}
        return self._post("externalcontact/resigned/transfer_customer", data=data)

    def resigned_transfer_result(self, handover_userid: str, takeover_userid: str,
                                 cursor: Optional[str] = None) -> dict:
        """查询离职继承的客户接替状态 https://developer.work.weixin.qq.com/document/path/94082"""
        data = optionaldict(handover_userid=handover_userid, takeover_userid=takeover_userid, cursor=cursor)
        return self._post("externalcontact/resigned/transfer_result", data=data)

    def transfer_customer(self, handover_userid: str, takeover_userid: str, external_userid: Iterable[str],
                          transfer_success_msg: Optional[str] = None) -> dict:
        """分配在职成员的客户 https://developer.work.weixin.qq.com/document/path/92125"""
        data = optionaldict(handover_userid=handover_userid, takeover_userid=takeover_userid,
                            external_userid=self._batch(external_userid, "external_userid"),
                            transfer_success_msg=transfer_success_msg)
        return self._post("externalcontact/transfer_customer", data=data)

    def transfer_result(self, handover_userid: str, takeover_userid: str, cursor: Optional[str] = None) -> dict:
        """查询在职继承的客户接替状态 https://developer.work.weixin.qq.com/document/path/94088"""
        data = optionaldict(handover_userid=handover_userid, takeover_userid=takeover_userid, cursor=cursor)
        return self._post("externalcontact/transfer_result", data=data)

    def groupchat_transfer(self, chat_id_list: Iterable[str], new_owner: str) -> dict:
        """分配离职成员的客户群; ``failed_chat_list`` names the chats that did not move."""
        data = {"chat_id_list": self._batch(chat_id_list, "chat_id_list"), "new_owner": new_owner}
        return self._post("externalcontact/groupchat/transfer", data=data)

    def groupchat_onjob_transfer(self, chat_id_list: Iterable[str], new_owner: str) -> dict:
        """分配在职成员的客户群 https://developer.work.weixin.qq.com/document/path/95703"""
        data = {"chat_id_list": self._batch(chat_id_list, "chat_id_list"), "new_owner": new_owner}
        return self._post("externalcontact/groupchat/onjob_transfer", data=data)

    def get_unassigned_list(self, cursor: Optional[str] = None, page_size: int = 1000) -> dict:
        """获取待分配的离职成员列表 (cursor paging): ``info``, ``is_last``, ``next_cursor``."""
        data = optionaldict(cursor=cursor, page_size=page_size)
        return self._post("externalcontact/get_unassigned_list", data=data)


class WeChatGroupMsg(BaseWeChatAPI):
    """客户群发 results (the new endpoints; wechatpy has only the retired get_group_msg_result)."""

    def get_groupmsg_send_result(self, msgid: str, userid: str, limit: Optional[int] = None,
                                 cursor: Optional[str] = None) -> dict:
        """获取企业群发成员执行结果: ``send_list`` rows with status 0 unsent, 1 sent, 2 not a friend,
        3 already received a mass message. https://developer.work.weixin.qq.com/document/path/93338"""
        data = optionaldict(msgid=msgid, userid=userid, limit=limit, cursor=cursor)
        return self._post("externalcontact/get_groupmsg_send_result", data=data)


class WeChatGroupJoinWay(BaseWeChatAPI):
    """客户群「加入群聊」: a QR code (scene 2) or mini-program button (scene 1) for up to 5 customer groups.
    With ``auto_create_room`` WeCom opens a new group (``room_base_name`` + ``room_base_id``) once they are full.
    https://developer.work.weixin.qq.com/document/path/92229"""

    MAX_CHATS = 5

    def add_join_way(self, chat_id_list: Iterable[str], *, scene: int = 2, remark: Optional[str] = None,
                     auto_create_room: int = 1, room_base_name: Optional[str] = None,
                     room_base_id: Optional[int] = None, state: Optional[str] = None) -> dict:
        """``config_id`` of the new join way."""
        chats = list(chat_id_list)
        if not 1 <= len(chats) <= self.MAX_CHATS:
            raise ValueError(f"chat_id_list must hold 1 to {self.MAX_CHATS} chats, got {len(chats)}")
        data = optionaldict(scene=scene, remark=remark, auto_create_room=auto_create_room,
                            room_base_name=room_base_name, room_base_id=room_base_id, chat_id_list=chats,
                            state=state)
        return self._post("externalcontact/groupchat/add_join_way", data=data)

    def get_join_way(self, config_id: str) -> dict:
        """``join_way`` with ``qr_code``, ``chat_id_list`` and the rest of the configuration."""
        return self._post("externalcontact/groupchat/get_join_way", data={"config_id": config_id})

    def update_join_way(self, config_id: str, chat_id_list: Iterable[str], *, scene: int = 2,
                        remark: Optional[str] = None, auto_create_room: int = 1,
                        room_base_name: Optional[str] = None, room_base_id: Optional[int] = None,
                        state: Optional[str] = None) -> dict:
        data = optionaldict(config_id=config_id, scene=scene, remark=remark, auto_create_room=auto_create_room,
                            room_base_name=room_base_name, room_base_id=room_base_id,
                            chat_id_list=list(chat_id_list), state=state)
        return self._post("externalcontact/groupchat/update_join_way", data=data)

    def del_join_way(self, config_id: str) -> dict:
        return self._post("externalcontact/groupchat/del_join_way", data={"config_id": config_id})


class WeChatAuth(BaseWeChatAPI):
    """网页授权: the current endpoint (wechatpy's ``oauth.get_user_info`` calls the older user/getuserinfo)."""

    def get_user_info(self, code: str) -> dict:
        """``userid`` (a member) or ``openid`` (not a member) for an OAuth ``code``."""
        return self._get("auth/getuserinfo", params={"code": code})


class WeChatTemplateCard(BaseWeChatAPI):
    """更新模版卡片消息 https://developer.work.weixin.qq.com/document/path/94888 (wechatpy has ``update_taskcard`` for
    the retired task card only): after a button_interaction card's button was pressed, the app turns its buttons into
    one grey, unclickable text with the ``response_code`` of the click ("72小时内有效，且只能使用一次")."""

    def update_button(self, agent_id: int, userids: Iterable[str], response_code: str, replace_name: str) -> dict:
        data = {"userids": list(userids), "agentid": agent_id, "response_code": response_code,
                "button": {"replace_name": replace_name}}
        return self._post("message/update_template_card", data=data)
