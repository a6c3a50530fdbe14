"""WeChat Pay's notifications carry their signature inside the XML, so the XML is read first: by a parse
that takes no DTD and no entity, UTF-8 only, bounded in size (issue 15, item 9).

WeChat Pay v2 (pay.weixin.qq.com, 委托代扣 notifications): the body is ``<xml>`` with flat fields and
``sign`` over them with the merchant key; it is UTF-8.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backoffice.direct_debit.models import DebitNotification, PaymentAlert
from loan_scrm.app import create_app
from scrm.core.config import SANDBOX_WECHATPAY
from scrm.wechatpay import signing

LAUGHS = ('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
NOTICE = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": SANDBOX_WECHATPAY["appid"],
          "mch_id": SANDBOX_WECHATPAY["mch_id"], "out_trade_no": "D000000001A1", "transaction_id": "4200000001",
          "total_fee": "320000", "trade_state": "SUCCESS", "contract_id": "C1", "nonce_str": "n1"}


@pytest.fixture
def client(db, settings_env):
    settings_env(SCRM_WECHATPAY_API_KEY=SANDBOX_WECHATPAY["api_key"], SCRM_WECHATPAY_MCH_ID=SANDBOX_WECHATPAY["mch_id"])
    return TestClient(create_app())


def stored(db) -> int:
    return sum(db.scalar(select(func.count()).select_from(m)) for m in (DebitNotification, PaymentAlert))


def signed(**extra) -> str:
    return signing.to_xml(dict(NOTICE, **extra), SANDBOX_WECHATPAY["api_key"])


@pytest.mark.parametrize("url", ["/pay/notify/papay", "/pay/notify/papay/contract"])
@pytest.mark.parametrize("body", [
    ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS + "<xml><attach>&c;</attach></xml>").encode("utf-16"),
    (LAUGHS + "<xml><attach>&c;</attach></xml>").encode("utf-16-le"),
    (LAUGHS + "<xml><attach>&c;</attach></xml>").encode(),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><xml><return_code>SUCCESS</return_code></xml>').encode(),
], ids=["utf-16", "utf-16-le-no-bom", "utf-8-dtd", "latin-1-declared"])
def test_unsafe_xml_is_refused_with_400_and_nothing_stored(client, db, url, body):
    answer = client.post(url, content=body, headers={"content-type": "text/xml"})
    assert answer.status_code == 400
    assert "<return_code><![CDATA[FAIL]]></return_code>" in answer.text
    assert stored(db) == 0


def test_a_correctly_signed_notification_with_a_dtd_is_still_refused(client, db):
    body = signed().replace("<xml>", LAUGHS + "<xml>", 1)
    answer = client.post("/pay/notify/papay", content=body.encode(), headers={"content-type": "text/xml"})
    assert answer.status_code == 400
    assert stored(db) == 0


@pytest.mark.pure
def test_nested_or_repeated_fields_are_not_wechat_pay_xml():
    for body in ("<xml><a><b>1</b></a></xml>", "<xml><a>1</a><a>2</a></xml>", "<notxml/>"):
        with pytest.raises(signing.BadSignature):
            signing.parse_xml(body.encode())


def test_a_signed_notification_reads_back_its_fields(client):
    fields = signing.parse_signed(signed().encode(), SANDBOX_WECHATPAY["api_key"])
    assert fields["out_trade_no"] == "D000000001A1" and fields["total_fee"] == "320000"
