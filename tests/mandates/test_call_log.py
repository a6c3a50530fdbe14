"""The payment call log keeps what was asked and answered, but never an SMS code, a full card, ID or phone
number (issue 15, item 10)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from scrm.wechatpay.models import PayCall
from tests.factories.mandates import CARD, ID_NO, PHONE, customer_auth


def test_binding_a_card_leaves_no_sms_code_or_full_number_in_the_call_log(pay_client, sandbox_wechatpay, people, db):
    headers = customer_auth(people.alice)
    bound = pay_client.post("/mp/mandates/bank-card", headers=headers,
                            json={"holder_name": "张三", "id_no": ID_NO, "card_no": CARD, "phone": PHONE})
    assert bound.status_code == 201, bound.text
    code = sandbox_wechatpay.last_sms_code(PHONE)
    wrong = "975310" if code != "975310" else "975311"
    mandate_id = bound.json()["id"]
    assert pay_client.post(f"/mp/mandates/{mandate_id}/sms-confirm", headers=headers,
                           json={"code": wrong}).status_code == 422
    assert pay_client.post(f"/mp/mandates/{mandate_id}/sms-confirm", headers=headers,
                           json={"code": code}).status_code == 200

    calls = db.scalars(select(PayCall).order_by(PayCall.id)).all()
    assert [c.endpoint for c in calls] == ["agreement/sign-request", "agreement/confirm", "agreement/confirm"]
    logged = json.dumps([[c.request, c.response, c.errmsg] for c in calls], ensure_ascii=False)
    for secret in (code, wrong, CARD, ID_NO, PHONE, "张三"):
        assert not re.search(rf"(?<![0-9]){secret}(?![0-9])", logged), (secret, logged)  # not within a longer id
    assert calls[0].request["card_no"].endswith(CARD[-4:]) and calls[0].request["phone"].endswith(PHONE[-4:])
    assert calls[1].request["sign_request_id"] == calls[2].request["sign_request_id"]  # the rest stays readable
