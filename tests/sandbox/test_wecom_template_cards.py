"""The sandbox WeCom's template cards: message/send with msgtype template_card checked as 发送应用消息 · 模板卡片消息
documents it (https://developer.work.weixin.qq.com/document/path/90236: card_type, main_title.title or
sub_title_text, task_id of digits, letters and "_-@" up to 128 bytes and unique in the app, button_list of 1 to 6
buttons with keys), a button press sent as template_card_event (document 90240), and update_template_card with the
press's ResponseCode, good once (document 94888)."""

from __future__ import annotations

import pytest

from scrm.core.config import SANDBOX_WECOM
from scrm.wecom.client import WecomError

AGENT = int(SANDBOX_WECOM["agent_id"])


def card(**overrides):
    body = {"card_type": "button_interaction", "main_title": {"title": "待您审批"}, "task_id": "apv1-1-1-1",
            "button_list": [{"text": "同意", "style": 1, "key": "approve"}, {"text": "驳回", "style": 2, "key": "reject"}]}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def send(client, body, userid="zhaozj"):
    return client.message.send(AGENT, userid, msg={"msgtype": "template_card", "template_card": body})


@pytest.mark.parametrize("overrides", [
    {"card_type": "poster"}, {"main_title": None}, {"task_id": None}, {"task_id": "带中文"}, {"task_id": "x" * 129},
    {"button_list": []}, {"button_list": [{"text": "同意", "key": f"k{i}"} for i in range(7)]},
    {"button_list": [{"text": "同意"}]}, {"button_list": [{"text": "同意", "key": "a"}, {"text": "也同意", "key": "a"}]},
])
def test_a_card_wecom_cannot_show_is_refused(wecom_client, sandbox_wecom, overrides):
    sandbox_wecom.seed_user("zhaozj", "赵总监")
    with pytest.raises(WecomError) as exc:
        send(wecom_client, card(**overrides))
    assert exc.value.errcode == 40058
    assert sandbox_wecom.template_cards == {}


def test_send_press_update_once(wecom_client, sandbox_wecom):
    sandbox_wecom.seed_user("zhaozj", "赵总监")
    answer = send(wecom_client, card())
    assert answer["msgid"] and answer["response_code"]  # interactive cards answer a response_code
    with pytest.raises(WecomError) as exc:
        send(wecom_client, card())  # "同一个应用任务id不能重复"
    assert exc.value.errcode == 40058
    with pytest.raises(KeyError):
        sandbox_wecom.card_clicked("someone", "apv1-1-1-1", "approve")
    with pytest.raises(ValueError):
        sandbox_wecom.card_clicked("zhaozj", "apv1-1-1-1", "maybe")

    pressed = sandbox_wecom.card_clicked("zhaozj", "apv1-1-1-1", "approve")
    fields = pressed.fields
    assert (fields["Event"], fields["EventKey"], fields["TaskId"], fields["CardType"]) == (
        "template_card_event", "approve", "apv1-1-1-1", "button_interaction")
    code = fields["ResponseCode"]
    assert wecom_client.template_card.update_button(AGENT, ["zhaozj"], code, "已同意")["errcode"] == 0
    assert sandbox_wecom.template_cards["apv1-1-1-1"]["updates"][0]["replace_name"] == "已同意"
    with pytest.raises(WecomError) as exc:
        wecom_client.template_card.update_button(AGENT, ["zhaozj"], code, "已同意")
    assert exc.value.errcode == 40058
