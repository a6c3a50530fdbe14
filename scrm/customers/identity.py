"""The customer behind a mini-program request (its bearer token, ``scrm.auth.issue_customer_token``), and
the errors the customer-facing endpoints answer with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from scrm.auth import SessionDep, read_customer_token
from scrm.core.errors import ERROR_RESPONSES, Unauthorized
from scrm.customers.models import Customer, CustomerStatus

MP_ERRORS: dict = {
    **{code: ERROR_RESPONSES[code] for code in (400, 401, 404, 409)},
    422: {"description": "A field is missing or wrong; `errors` names each one",
          "content": {"application/json": {"example": {
              "error": "invalid", "message": "请填写税后月收入", "field": "custom_fields.monthly_salary",
              "errors": [{"field": "custom_fields.monthly_salary", "message": "请填写税后月收入"},
                         {"field": "amount", "message": "贷款金额应在 0 到 1000000000 元之间"}]}}}},
}


def current_customer(request: Request, session: SessionDep) -> Customer:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthorized("sign in through the mini-program first")
    customer = session.get(Customer, read_customer_token(header[7:].strip()))
    if customer is None or customer.status == CustomerStatus.merged:
        raise Unauthorized("this session no longer belongs to a customer, sign in again")
    return customer


CurrentCustomer = Annotated[Customer, Depends(current_customer)]
