"""Access rules that hold for every endpoint, read from the OpenAPI document so that a new endpoint is
covered the day it is added: staff endpoints refuse anonymous callers and customer tokens, and every
JSON body model refuses fields it does not know."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from loan_scrm.app import create_app
from scrm.auth import issue_customer_token

APP = create_app()
OPENAPI = APP.openapi()
# endpoints anyone may call: signing in, and the callback URLs that carry their own signatures
PUBLIC = {("post", "/api/auth/login"), ("get", "/api/auth/wecom/authorize-url"), ("post", "/api/auth/wecom"),
          ("get", "/wecom/callback"), ("post", "/wecom/callback")}
PUBLIC_PREFIXES = ("/pay/notify/", "/mp/auth/")


def operations(prefix: str) -> list[tuple[str, str]]:
    out = []
    for path, item in OPENAPI["paths"].items():
        for method in item:
            if path.startswith(prefix) and (method, path) not in PUBLIC and not path.startswith(PUBLIC_PREFIXES):
                out.append((method, path))
    return sorted(out)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture(scope="module")
def client():
    with TestClient(APP) as c:
        yield c


@pytest.mark.parametrize("method, path", operations("/api/"))
def test_staff_endpoints_refuse_anonymous_callers_and_customer_tokens(db, client, method, path):
    anonymous = client.request(method.upper(), concrete(path), json={})
    assert anonymous.status_code == 401, f"{method.upper()} {path} answered {anonymous.status_code} without a token"
    as_customer = client.request(method.upper(), concrete(path), json={},
                                 headers={"Authorization": f"Bearer {issue_customer_token(1)}"})
    assert as_customer.status_code == 401


def _body_schemas() -> list[tuple[str, str, dict]]:
    out = []
    for path, item in OPENAPI["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema:
                out.append((method, path, schema))
    return out


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    return OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


@pytest.mark.pure
@pytest.mark.parametrize("method, path, schema", _body_schemas(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_json_body_refuses_unknown_fields(method, path, schema):
    resolved = _resolve(schema)
    if resolved.get("type") == "array":
        resolved = _resolve(resolved["items"])
    assert resolved.get("additionalProperties") is False, f"{method.upper()} {path} accepts fields it does not know"
