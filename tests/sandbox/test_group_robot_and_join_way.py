"""The sandbox's group robots (webhook/send, no access token) and customer-group join ways, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from scrm.sandbox.wecom import SandboxWecom
from tests.sandbox.test_wecom_api import Api


@pytest.fixture
def sandbox():
    with SandboxWecom() as sb:
        sb.seed_user("zhangsan", "张三")
        yield sb


def test_robot_takes_markdown_and_enforces_its_limits(sandbox):
    url = sandbox.add_webhook("robot-1")
    ok = httpx.post(url, json={"msgtype": "markdown", "markdown": {"content": "**早会**"}}).json()
    assert ok == {"errcode": 0, "errmsg": "ok"}
    assert sandbox.webhook_messages(url)[0]["markdown"]["content"] == "**早会**"
    too_long = httpx.post(url, json={"msgtype": "markdown", "markdown": {"content": "字" * 1400}}).json()
    assert too_long["errcode"] == 40058
    bad_type = httpx.post(url, json={"msgtype": "video", "video": {}}).json()
    assert bad_type["errcode"] == 40008
    unknown = httpx.post(url.replace("robot-1", "nope"), json={"msgtype": "text", "text": {"content": "x"}}).json()
    assert unknown["errcode"] == 93000
    codes = [httpx.post(url, json={"msgtype": "text", "text": {"content": str(i)}}).json()["errcode"]
             for i in range(20)]
    assert codes.count(0) == 19 and codes[-1] == 45009  # 20 a minute per robot


def test_join_way_lifecycle(sandbox):
    api = Api(sandbox)
    chats = [sandbox.seed_group("zhangsan", f"群{i}") for i in range(6)]
    assert api.post("externalcontact/groupchat/add_join_way", {"scene": 2, "chat_id_list": chats})["errcode"] == 40058
    assert api.post("externalcontact/groupchat/add_join_way", {"scene": 3, "chat_id_list": chats[:1]})["errcode"] == 40058
    made = api.post("externalcontact/groupchat/add_join_way",
                    {"scene": 2, "chat_id_list": chats[:2], "state": "tier-A", "room_base_name": "A类群"})
    assert made["errcode"] == 0
    way = api.post("externalcontact/groupchat/get_join_way", {"config_id": made["config_id"]})["join_way"]
    assert way["chat_id_list"] == chats[:2] and way["qr_code"].startswith("https://") and way["auto_create_room"] == 1
    assert api.post("externalcontact/groupchat/update_join_way",
                    {"config_id": made["config_id"], "chat_id_list": chats[2:3]})["errcode"] == 0
    way = api.post("externalcontact/groupchat/get_join_way", {"config_id": made["config_id"]})["join_way"]
    assert way["chat_id_list"] == chats[2:3] and way["state"] == "tier-A"
    assert api.post("externalcontact/groupchat/del_join_way", {"config_id": made["config_id"]})["errcode"] == 0
    assert api.post("externalcontact/groupchat/get_join_way", {"config_id": made["config_id"]})["errcode"] == 40058
