"""Mini-program helpers shared by the mini-program and referral tests: sign in through the sandbox,
apply, and announce the back-office's settlement events."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

from scrm.core import events

_seq = itertools.count(1)
SETTLEMENT_IDS = itertools.count(9000)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client, sandbox, *, openid: str | None = None, unionid: str | None = None, scene: str | None = None):
    """Sign in as the mini-program would; returns (headers, answer)."""
    body = {"code": sandbox.login_code(openid=openid, unionid=unionid)}
    if scene is not None:
        body["scene"] = scene
    r = client.post("/mp/auth/login", json=body)
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"]), r.json()


def bind_phone(client, sandbox, headers, phone: str):
    r = client.post("/mp/auth/phone", json={"code": sandbox.phone_code(phone)}, headers=headers)
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"]), r.json()


CREDIT_FIELDS = {"employer_type": "state_owned", "monthly_salary": "18000", "social_security_months": 48}


def application(**overrides) -> dict:
    body = {"request_id": str(uuid.uuid4()), "product_code": "credit", "amount": "200000", "term_months": 36,
            "purpose": "装修", "name": f"客户{next(_seq)}", "city": "上海", "fields": dict(CREDIT_FIELDS),
            "consent": {"accepted": True, "version": "2026-11"}}
    body.update(overrides)
    return body


def settle(db, customer_id: int, *, fee_fen: int, order_id: int | None = None, product_code: str = "credit",
           funder_type: str = "bank", settlement_id: int | None = None, disbursed_fen: int = 20_000_000) -> dict:
    """The back-office's ``settlement.closed`` for a customer, emitted and delivered (committed in the test's
    transaction)."""
    settlement_id = settlement_id or next(SETTLEMENT_IDS)
    payload = {"settlement_id": settlement_id, "order_id": order_id or settlement_id + 100000,
               "customer_id": customer_id, "product_code": product_code, "funder_type": funder_type,
               "service_fee_collected_fen": fee_fen, "disbursed_amount_fen": disbursed_fen,
               "salesperson_employee_id": None, "closed_at": datetime.now(timezone.utc).isoformat()}
    emit(db, "settlement.closed", payload)
    return payload


def emit(db, name: str, payload: dict) -> None:
    """Emit the event declared as ``name`` from its JSON payload, as the outbox would hand it on."""
    events.emit(db, events.declared(name).model_validate(payload, strict=False))
    db.commit()
