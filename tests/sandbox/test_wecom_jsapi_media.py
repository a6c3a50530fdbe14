"""The sandbox WeCom's JS-SDK tickets and temporary media, with the shapes and refusals WeCom documents."""

from __future__ import annotations

import pytest

from scrm.wecom.client import WecomError


def test_tickets_answer_the_same_ticket_while_it_lives(wecom_client, sandbox_wecom):
    # 获取企业的jsapi_ticket / 获取应用的jsapi_ticket (document 90506): {"errcode":0,"errmsg":"ok","ticket":…,"expires_in":7200}
    corp = wecom_client.get("get_jsapi_ticket")
    assert set(corp) == {"errcode", "errmsg", "ticket", "expires_in"} and corp["expires_in"] == 7200
    assert wecom_client.get("get_jsapi_ticket")["ticket"] == corp["ticket"]
    agent = wecom_client.get("ticket/get", params={"type": "agent_config"})
    assert agent["ticket"] != corp["ticket"]
    with pytest.raises(WecomError) as exc:
        wecom_client.get("ticket/get", params={"type": "jsapi"})
    assert exc.value.errcode == 40058


def test_media_upload_answers_like_wecom_and_refuses_what_wecom_refuses(wecom_client, sandbox_wecom):
    # 上传临时素材 (document 90253): multipart field "media"; {"type", "media_id", "created_at" as a string}
    answer = wecom_client.media.upload("file", ("价格表.pdf", b"%PDF-1.4 price sheet", "application/pdf"))
    assert answer["type"] == "file" and isinstance(answer["created_at"], str) and answer["media_id"]
    assert sandbox_wecom.media[answer["media_id"]]["filename"] == "价格表.pdf"
    for media_type, part, errcode in (("sticker", ("a.png", b"\x89PNG\r\n\x1a\n..", "image/png"), 40004),
                                      ("image", ("a.png", b"12345", "image/png"), 40006),
                                      ("image", ("a.gif", b"GIF89a......", "image/gif"), 40005)):
        with pytest.raises(WecomError) as exc:
            wecom_client.media.upload(media_type, part)
        assert exc.value.errcode == errcode
