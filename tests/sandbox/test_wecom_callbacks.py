"""Callbacks the sandbox sends: they decrypt with wechatpy, carry WeCom's fields and are retried like WeCom's."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import xmltodict
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.work import parse_message
from wechatpy.work.crypto import WeChatCrypto

from scrm.core.config import SANDBOX_WECOM
from scrm.sandbox.wecom import SandboxWecom

CRYPTO = WeChatCrypto(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"])


class Receiver:
    """A callback URL: decrypts what it gets; can be slow for the first ``slow`` requests or always fail."""

    def __init__(self, *, slow: int = 0, slow_s: float = 0.0, status: int = 200, crypto: WeChatCrypto = CRYPTO):
        self.hits: list[tuple[dict, bytes]] = []
        self.messages: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, text: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(text.encode())))
                    self.end_headers()
                    self.wfile.write(text.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting

            def do_GET(self):
                q = dict(parse_qsl(urlsplit(self.path).query))
                try:
                    plain = crypto.check_signature(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"])
                except InvalidSignatureException:
                    return self._answer(403, "bad signature")
                self._answer(200, plain if isinstance(plain, str) else plain.decode())

            def do_POST(self):
                q = dict(parse_qsl(urlsplit(self.path).query))
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits.append((q, body))
                if len(outer.hits) <= slow:
                    time.sleep(slow_s)
                if status == 200:
                    outer.messages.append(crypto.decrypt_message(body, q["msg_signature"], q["timestamp"],
                                                                 q["nonce"]))
                self._answer(status, "success")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/wecom/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fields(self, i: int = -1) -> dict:
        return xmltodict.parse(self.messages[i])["xml"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sandbox(receiver):
    with SandboxWecom(callback_url=receiver.url) as sb:
        sb.seed_user("zhangsan", "张三")
        sb.seed_user("lisi", "李四")
        yield sb


def test_add_contact_callback_decrypts_and_carries_a_welcome_code(sandbox, receiver):
    way = httpx.post(sandbox.base_url + "externalcontact/add_contact_way", params={"access_token": _token(sandbox)},
                     json={"type": 1, "scene": 2, "state": "douyin-0615", "user": ["zhangsan"]}).json()
    event = sandbox.contact_added(config_id=way["config_id"], name="王先生")
    assert event.delivery.ok and event.delivery.attempts == 1
    query, body = receiver.hits[0]
    outer = xmltodict.parse(body)["xml"]
    assert outer["ToUserName"] == SANDBOX_WECOM["corp_id"] and outer["AgentID"] == str(SANDBOX_WECOM["agent_id"])
    assert set(query) == {"msg_signature", "timestamp", "nonce"}
    message = parse_message(receiver.messages[0])
    assert (message.event, message.change_type, message.user_id, message.state) == (
        "change_external_contact", "add_external_contact", "zhangsan", "douyin-0615")
    assert message.external_user_id == event.fields["ExternalUserID"] and message.welcome_code
    fields = receiver.fields()
    assert fields["FromUserName"] == "sys" and fields["MsgType"] == "event" and int(fields["CreateTime"]) > 0
    assert sandbox.contact(message.external_user_id)["follow_user"][0]["state"] == "douyin-0615"


def _token(sandbox: SandboxWecom) -> str:
    return httpx.get(sandbox.base_url + "gettoken", params={"corpid": SANDBOX_WECOM["corp_id"],
                                                            "corpsecret": SANDBOX_WECOM["secret"]}).json()[
        "access_token"]


def _welcome(sandbox: SandboxWecom, code: str) -> int:
    return httpx.post(sandbox.base_url + "externalcontact/send_welcome_msg", params={"access_token": _token(sandbox)},
                      json={"welcome_code": code, "text": {"content": "您好"}}).json()["errcode"]


def test_welcome_code_works_once_and_only_within_20_seconds(sandbox, receiver):
    first = sandbox.contact_added("zhangsan").fields["WelcomeCode"]
    assert _welcome(sandbox, first) == 0
    assert _welcome(sandbox, first) == 41051
    late = sandbox.contact_added("lisi").fields["WelcomeCode"]
    sandbox.advance(21)
    assert _welcome(sandbox, late) == 41051
    assert [m["userid"] for m in sandbox.welcome_messages] == ["zhangsan"]
    assert "WelcomeCode" not in sandbox.contact_added("lisi", welcome_code=False).fields


def test_customer_events_carry_wecoms_fields(sandbox, receiver):
    tags = sandbox.seed_tag_group("意向", ["高"])["tags"]
    ext = sandbox.contact_added("zhangsan", half=True).fields["ExternalUserID"]
    sandbox.contact_edited("zhangsan", ext, remark="王总", remark_mobiles=["13900000000"], add_tags=["高"])
    follow = sandbox.contact(ext)["follow_user"][0]
    assert (follow["remark"], follow["remark_mobiles"], [t["tag_id"] for t in follow["tags"]]) == (
        "王总", ["13900000000"], [tags["高"]])
    sandbox.follow_user_deleted("zhangsan", ext)
    sandbox.contact_deleted("zhangsan", ext)
    got = [(f["ChangeType"], f["UserID"], f["ExternalUserID"]) for f in map(receiver.fields, range(4))]
    assert got == [("add_half_external_contact", "zhangsan", ext), ("edit_external_contact", "zhangsan", ext),
                   ("del_follow_user", "zhangsan", ext), ("del_external_contact", "zhangsan", ext)]
    assert all(receiver.fields(i)["Event"] == "change_external_contact" for i in range(4))
    assert sandbox.corp.contacts[ext].follows == {}


def test_transfer_outcomes_are_called_back(sandbox, receiver):
    ext = sandbox.seed_external_contact("客户", ["zhangsan"])
    token = _token(sandbox)
    httpx.post(sandbox.base_url + "externalcontact/transfer_customer", params={"access_token": token},
               json={"handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": [ext]})
    (failed,) = sandbox.complete_transfers(4)
    fields = receiver.fields()
    assert (fields["ChangeType"], fields["FailReason"], fields["UserID"], fields["ExternalUserID"]) == (
        "transfer_fail", "customer_limit_exceed", "lisi", ext)
    assert failed.delivery.ok
    httpx.post(sandbox.base_url + "externalcontact/transfer_customer", params={"access_token": token},
               json={"handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": [ext]})
    sandbox.complete_transfers(1)
    added, deleted = receiver.fields(-2), receiver.fields(-1)
    assert (added["ChangeType"], added["UserID"], "WelcomeCode" in added) == ("add_external_contact", "lisi", False)
    assert (deleted["ChangeType"], deleted["UserID"], deleted["Source"]) == (
        "del_external_contact", "zhangsan", "DELETE_BY_TRANSFER")


def test_group_events(sandbox, receiver):
    ext1 = sandbox.seed_external_contact("甲", ["zhangsan"])
    ext2 = sandbox.seed_external_contact("乙", ["zhangsan"])
    chat_id = sandbox.group_created("zhangsan", "A类客户群", [ext1]).fields["ChatId"]
    sandbox.group_members_joined(chat_id, [ext2, "lisi"], join_scene=3)
    sandbox.group_members_left(chat_id, [ext1], quit_scene=1)
    sandbox.group_owner_changed(chat_id, "lisi")
    sandbox.group_renamed(chat_id, "A类VIP群")
    sandbox.group_notice_changed(chat_id, "本周利率下调")
    sandbox.group_dismissed(chat_id)
    f = [receiver.fields(i) for i in range(7)]
    assert all(x["Event"] == "change_external_chat" and x["ChatId"] == chat_id for x in f)
    assert [x["ChangeType"] for x in f] == ["create", "update", "update", "update", "update", "update", "dismiss"]
    assert [x.get("UpdateDetail") for x in f[1:6]] == ["add_member", "del_member", "change_owner", "change_name",
                                                      "change_notice"]
    assert (f[1]["JoinScene"], f[1]["MemChangeCnt"], f[1]["MemChangeList"]["Item"]) == ("3", "2", [ext2, "lisi"])
    assert (f[2]["QuitScene"], f[2]["MemChangeCnt"], f[2]["MemChangeList"]["Item"]) == ("1", "1", ext1)
    assert f[1]["CurMemVer"] == f[2]["LastMemVer"]
    assert parse_message(receiver.messages[1]).update_detail == "add_member"


def test_tag_events(sandbox, receiver):
    created = sandbox.tag_created("资质", "有房")
    tag_id = created.fields["Id"]
    group_id = receiver.fields(0)["Id"]
    sandbox.tag_updated(tag_id, name="有全款房")
    sandbox.tags_shuffled(group_id)
    sandbox.tag_deleted(group_id)
    got = [(f["ChangeType"], f.get("TagType"), f.get("Id")) for f in map(receiver.fields, range(5))]
    assert got == [("create", "tag_group", group_id), ("create", "tag", tag_id), ("update", "tag", tag_id),
                   ("shuffle", None, group_id), ("delete", "tag_group", group_id)]
    assert parse_message(receiver.messages[1]).tag_type == "tag"
    assert sandbox.corp.tag_groups == {}


def test_address_book_events(sandbox, receiver):
    sandbox.party_created(5, "营销二部", parent_id=1, order=3)
    sandbox.user_created("wangwu", "王五", [5], mobile="13800000005", position="营销专员", gender="1")
    sandbox.user_updated("wangwu", position="主管", new_userid="wangwu01")
    sandbox.user_deleted("wangwu01")
    sandbox.party_updated(5, name="营销2部")
    sandbox.party_deleted(5)
    f = [receiver.fields(i) for i in range(6)]
    assert all(x["Event"] == "change_contact" for x in f)
    assert (f[0]["ChangeType"], f[0]["Id"], f[0]["Name"], f[0]["ParentId"], f[0]["Order"]) == (
        "create_party", "5", "营销二部", "1", "3")
    assert (f[1]["ChangeType"], f[1]["UserID"], f[1]["Name"], f[1]["Department"], f[1]["Mobile"], f[1]["Gender"]) == (
        "create_user", "wangwu", "王五", "5", "13800000005", "1")
    assert (f[2]["ChangeType"], f[2]["UserID"], f[2]["NewUserID"], f[2]["Position"], "Name" in f[2]) == (
        "update_user", "wangwu", "wangwu01", "主管", False)
    assert (f[3]["ChangeType"], f[3]["UserID"]) == ("delete_user", "wangwu01")
    assert [x["ChangeType"] for x in f[4:]] == ["update_party", "delete_party"]


def test_text_message_to_the_app(sandbox, receiver):
    sandbox.app_message("zhangsan", "今日任务")
    message = parse_message(receiver.messages[0])
    assert (message.type, message.source, message.content, message.agent) == (
        "text", "zhangsan", "今日任务", SANDBOX_WECOM["agent_id"])
    assert int(receiver.fields()["MsgId"]) > 0


def test_slow_receiver_gets_the_same_callback_again():
    slow = Receiver(slow=1, slow_s=2.0)
    try:
        with SandboxWecom(callback_url=slow.url, callback_timeout_s=0.5) as sb:
            sb.seed_user("zhangsan", "张三")
            event = sb.contact_added("zhangsan")
            assert event.delivery.ok and event.delivery.attempts >= 2 and event.delivery.errors[0] == "timeout"
            assert len(slow.hits) == event.delivery.attempts
            assert all(hit == slow.hits[0] for hit in slow.hits)  # identical retries: receivers dedupe them
    finally:
        slow.close()


def test_failing_receiver_gets_three_retries_then_the_sandbox_gives_up():
    broken = Receiver(status=500)
    try:
        with SandboxWecom(callback_url=broken.url) as sb:
            sb.seed_user("zhangsan", "张三")
            delivery = sb.contact_added("zhangsan").delivery
            assert (delivery.ok, delivery.attempts, delivery.status) == (False, 4, 500)
            assert len(broken.hits) == 4
    finally:
        broken.close()


def test_fire_and_forget_delivery(sandbox, receiver):
    event = sandbox.contact_added("zhangsan", wait=False)
    delivery = event.wait(timeout=10)
    assert delivery.ok and len(receiver.messages) == 1
    future = sandbox.send_async({"ToUserName": SANDBOX_WECOM["corp_id"], "FromUserName": "sys", "CreateTime": 1,
                                 "MsgType": "event", "Event": "change_external_tag", "ChangeType": "shuffle",
                                 "Id": ""})
    assert future.result(timeout=10).ok
    assert sandbox.send(event.xml).attempts == 1
    assert len(receiver.messages) == 3


def test_verify_url_handshake(sandbox, receiver):
    assert sandbox.verify_url() is True
    impostor = Receiver(crypto=WeChatCrypto("OtherToken", SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"]))
    try:
        assert sandbox.verify_url(impostor.url) is False
    finally:
        impostor.close()
