"""Customers with authorisations, made through the mini-program API against the sandbox WeChat Pay and bank."""

from __future__ import annotations

import httpx

from scrm.auth import issue_customer_token
from scrm.customers.models import Customer
from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.org import make_employee

ID_NO = "110101199003074477"
CARD = "6222021234567890128"
PHONE = "13800138000"
SCOPE = {"scope_ref": "HT-2026-0001", "max_amount": "5000.00", "valid_until": "2030-12-31T23:59:59+08:00"}


def customer_auth(customer: Customer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_customer_token(customer.id)}"}


def bind_card(client, sandbox, customer: Customer, *, card: str = CARD, phone: str = PHONE, scope: dict | None = None) -> dict:
    """Bind, confirm with the code the bank "texted", and sign: an active bank-card authorisation."""
    headers = customer_auth(customer)
    bound = client.post("/mp/mandates/bank-card", headers=headers,
                        json={"holder_name": "张三", "id_no": ID_NO, "card_no": card, "phone": phone})
    assert bound.status_code == 201, bound.text
    mandate_id = bound.json()["id"]
    confirmed = client.post(f"/mp/mandates/{mandate_id}/sms-confirm", headers=headers,
                            json={"code": sandbox.last_sms_code(phone)})
    assert confirmed.status_code == 200, confirmed.text
    signed = client.post(f"/mp/mandates/{mandate_id}/sign", headers=headers, json=scope or SCOPE)
    assert signed.status_code == 200, signed.text
    return signed.json()


def sign_papay(client, customer: Customer, scope: dict | None = None) -> dict:
    """Start a papay contract, "open" the signing page (the sandbox signs and notifies us), read it back."""
    headers = customer_auth(customer)
    started = client.post("/mp/mandates/papay", headers=headers, json=scope or SCOPE)
    assert started.status_code == 201, started.text
    page = started.json()
    opened = httpx.get(page["signing_url"], params=page["params"])
    assert opened.status_code == 200, opened.text
    mine = client.get("/mp/mandates", headers=headers).json()
    return next(m for m in mine if m["id"] == page["mandate"]["id"])


class People:
    """Finance, a salesperson, and two of the salesperson's customers (Alice binds a card, Bob signs papay)."""

    def __init__(self, session):
        self.finance = make_employee(session, role=Role.finance)
        self.sales = make_employee(session, role=Role.sales)
        self.alice = make_customer(session, owner=self.sales, name="李丽", mp_openid="oAlice000000000000000000001")
        self.bob = make_customer(session, owner=self.sales, name="王强", mp_openid="oBob00000000000000000000001")
