"""Every GET endpoint with a date or date-time query parameter, given dates a hostile caller would try (year 1,
year 9999, an instant without a time zone): a 4xx, never a 5xx, and where it is refused, the answer names the
parameter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loan_scrm.app import create_app
from scrm.org.models import Role
from tests.factories.org import auth, make_employee

EXTREMES = ("0001-01-01", "9999-12-31", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
            "2026-01-01T00:00:00")


def _kind(param: dict) -> str:
    schema = param.get("schema", {})
    formats = {schema.get("format")} | {s.get("format") for s in schema.get("anyOf", [])}
    return "date-time" if "date-time" in formats else "date" if "date" in formats else ""


def test_extreme_dates_in_query_parameters_are_refused_naming_them(db):
    admin = make_employee(db, role=Role.admin)
    client = TestClient(create_app(), raise_server_exceptions=False)
    spec = client.get("/openapi.json").json()
    tried, failures = 0, []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if "{" in path or get is None:
            continue
        dated = [p for p in get.get("parameters", []) if p.get("in") == "query" and _kind(p)]
        for value in EXTREMES:
            query = {p["name"]: value if _kind(p) == "date-time" else value[:10] for p in dated}
            if not query:
                continue
            r = client.get(path, params=query, headers=auth(admin))
            tried += 1
            named = r.headers.get("content-type", "").startswith("application/json") and r.json().get("field")
            if r.status_code >= 500 or (r.status_code == 422 and named not in query):
                failures.append((path, query, r.status_code, r.text[:200]))
    assert tried > 40
    assert failures == []


def test_a_month_outside_2000_to_2099_is_refused_naming_it(db):
    admin = make_employee(db, role=Role.admin)
    client = TestClient(create_app(), raise_server_exceptions=False)
    r = client.get("/api/backoffice/expenses?month_from=0000-01&month_to=2026-11", headers=auth(admin))
    assert r.status_code == 422 and r.json()["field"] == "month_from", r.text
    r = client.put("/api/backoffice/budgets", json={"center_id": 1, "month": "9999-12", "amount": "100"},
                   headers=auth(admin))
    assert r.status_code == 422 and r.json()["field"] == "month", r.text
