"""The sandbox mini-program API through wechatpy's ``WeChatWxa`` (``scrm.miniprogram_api.wxa``): the wire
formats and errcodes, the token shared through Redis, and the call log."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from scrm.core.config import SANDBOX_WXA
from scrm.miniprogram_api.wxa import WxaClient, get_wxa_client
from scrm.wecom import client as wecom_client
from scrm.wecom.client import WecomError
from scrm.wecom.models import WecomCall


def test_token_and_code2session_in_wechats_formats(sandbox_wxa):
    http = httpx.Client(base_url=sandbox_wxa.base_url)
    bad = http.get("cgi-bin/token", params={"grant_type": "client_credential", "appid": SANDBOX_WXA["appid"],
                                            "secret": "wrong"}).json()
    assert bad["errcode"] == 40125
    token = http.get("cgi-bin/token", params={"grant_type": "client_credential", "appid": SANDBOX_WXA["appid"],
                                              "secret": SANDBOX_WXA["secret"]}).json()
    assert set(token) == {"access_token", "expires_in"} and token["expires_in"] == 7200
    params = {"appid": SANDBOX_WXA["appid"], "secret": SANDBOX_WXA["secret"], "grant_type": "authorization_code"}
    code = sandbox_wxa.login_code(openid="o_1", unionid="u_1")
    session = http.get("sns/jscode2session", params={**params, "js_code": code}).json()
    assert session["openid"] == "o_1" and session["unionid"] == "u_1" and session["session_key"]
    assert http.get("sns/jscode2session", params={**params, "js_code": code}).json()["errcode"] == 40163
    assert "unionid" not in http.get("sns/jscode2session",
                                     params={**params, "js_code": sandbox_wxa.login_code()}).json()
    phone = http.post("wxa/business/getuserphonenumber", params={"access_token": "nope"},
                      json={"code": sandbox_wxa.phone_code("13800138000")}).json()
    assert phone["errcode"] == 40001


def test_the_client_fetches_codes_phones_and_refreshes_a_stale_token(db, sandbox_wxa):
    client = get_wxa_client()
    assert client.wxa.code_to_session(sandbox_wxa.login_code(openid="o_2"))["openid"] == "o_2"
    assert "access_token" not in sandbox_wxa.request_log("sns/jscode2session")[0]["query"]
    info = client.wxa.get_phone_number(sandbox_wxa.phone_code("13900139000"))["phone_info"]
    assert info["purePhoneNumber"] == "13900139000" and info["countryCode"] == "86"
    sandbox_wxa.expire_tokens()
    client.wxa.get_phone_number(sandbox_wxa.phone_code("13900139001"))
    assert [e["errcode"] for e in sandbox_wxa.request_log("wxa/business/getuserphonenumber")] == [0, 42001, 0]
    assert sandbox_wxa.call_count("cgi-bin/token") == 2
    image = client.wxa.get_wxa_code_unlimited("r=ABCD2345", page="pages/referral/landing")
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    for scene, errcode in (("x" * 33, 40169), ("中文", 40129)):
        with pytest.raises(WecomError) as exc:
            client.wxa.get_wxa_code_unlimited(scene)
        assert exc.value.errcode == errcode
    with pytest.raises(WecomError) as exc:
        client.wxa.get_wxa_code_unlimited("r=1", page="pages/nowhere")
    assert exc.value.errcode == 41030
    # every call is recorded, without the secret, the session_key or the phone number in clear
    logged = db.scalars(select(WecomCall).where(WecomCall.endpoint == "sns/jscode2session")).all()
    assert logged and logged[0].response["session_key"] == "***" and "secret" not in logged[0].request["query"]
    phone_log = db.scalars(select(WecomCall).where(WecomCall.endpoint == "wxa/business/getuserphonenumber",
                                                   WecomCall.errcode == 0)).first()
    assert phone_log.response["phone_info"]["purePhoneNumber"] == "139****9000"


def test_processes_share_one_token_through_redis(db, sandbox_wxa, redis_url):
    from scrm.wecom.client import REDIS_PREFIX
    from wechatpy.session.redisstorage import RedisStorage

    from scrm.core.jobs import get_redis

    wecom_client.reset()
    first = get_wxa_client()
    first.wxa.get_phone_number(sandbox_wxa.phone_code("13700137000"))
    # another process: its own client object, the same Redis
    other = WxaClient(SANDBOX_WXA["appid"], SANDBOX_WXA["secret"], api_base=sandbox_wxa.base_url,
                      storage=RedisStorage(get_redis(), prefix=REDIS_PREFIX), redis=get_redis())
    other.wxa.get_phone_number(sandbox_wxa.phone_code("13700137001"))
    assert sandbox_wxa.call_count("cgi-bin/token") == 1
