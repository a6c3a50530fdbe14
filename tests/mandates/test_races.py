"""Card bindings and SMS codes sent at once, through the served app, on PostgreSQL and on the embedded
default (issue 15, item 7: twelve parallel bindings sent twelve SMS against a limit of five a day)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from scrm.mandates import service as mandate_service
from scrm.mandates.models import Mandate
from tests.conftest import race
from tests.factories.customers import make_customer
from tests.factories.mandates import CARD, ID_NO, PHONE, customer_auth

# valid (Luhn) test cards, one per parallel binding: the same card twice is refused for another reason
CARDS = [f"62220212345678{i:04d}" for i in range(200)]


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0



def test_parallel_card_bindings_send_at_most_the_days_limit_of_sms(committed_any, pay_live, sandbox_wechatpay):
    db = committed_any
    customer = make_customer(db, name="李丽", mp_openid="oRace00000000000000000000001")
    db.commit()
    cards = [c for c in CARDS if _luhn_ok(c)][:12]
    headers = customer_auth(customer)

    answers = race(12, lambda i: httpx.post(f"{pay_live.url}/mp/mandates/bank-card", headers=headers, timeout=60, json={
        "holder_name": "李丽", "id_no": ID_NO, "card_no": cards[i], "phone": PHONE}))

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * mandate_service.BINDS_PER_DAY + [429] * (12 - mandate_service.BINDS_PER_DAY), \
        [(a.status_code, a.text[:120]) if isinstance(a, httpx.Response) else a for a in answers]
    assert len([m for m in sandbox_wechatpay.sms if m["phone"] == PHONE]) == mandate_service.BINDS_PER_DAY
    db.expire_all()
    assert len(db.scalars(select(Mandate.id).where(Mandate.customer_id == customer.id)).all()) == \
        mandate_service.BINDS_PER_DAY


def test_parallel_wrong_codes_are_checked_at_most_the_allowed_times(committed_any, pay_live, sandbox_wechatpay):
    db = committed_any
    customer = make_customer(db, name="李丽", mp_openid="oRace00000000000000000000002")
    db.commit()
    headers = customer_auth(customer)
    bound = httpx.post(f"{pay_live.url}/mp/mandates/bank-card", headers=headers, json={
        "holder_name": "李丽", "id_no": ID_NO, "card_no": CARD, "phone": PHONE})
    assert bound.status_code == 201, bound.text
    mandate_id = bound.json()["id"]

    answers = race(15, lambda i: httpx.post(f"{pay_live.url}/mp/mandates/{mandate_id}/sms-confirm", headers=headers,
                                            timeout=60, json={"code": f"{i:06d}"[::-1].replace("0", "9")}))

    assert all(isinstance(a, httpx.Response) and a.status_code in (409, 422) for a in answers), answers
    # the bank was asked at most SMS_MAX_ATTEMPTS times, whatever the number of guesses sent at once
    assert sandbox_wechatpay.call_count("bank/agreement/confirm") <= mandate_service.SMS_MAX_ATTEMPTS
    db.expire_all()
    mandate = db.get(Mandate, mandate_id)
    assert mandate.sms_attempts <= mandate_service.SMS_MAX_ATTEMPTS
    assert mandate.status.value == "failed"
    right = httpx.post(f"{pay_live.url}/mp/mandates/{mandate_id}/sms-confirm", headers=headers,
                       json={"code": sandbox_wechatpay.last_sms_code(PHONE)})
    assert right.status_code == 409
