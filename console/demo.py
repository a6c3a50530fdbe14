"""The console's part of the demo: a salesperson who can sign in, and where to go."""

from __future__ import annotations

import httpx

SALES_USERNAME = "lina"
SALES_PASSWORD = "Demo-sales-2026"


def prepare(api: httpx.Client, admin: dict[str, str], employees: dict[str, dict]) -> dict[str, str]:
    """Give the salesperson 李娜 a console password through the API (managers already have one)."""
    employee_id = employees[SALES_USERNAME]["id"]
    for answer in (api.patch(f"/api/org/employees/{employee_id}", json={"username": SALES_USERNAME}, headers=admin),
                   api.post(f"/api/org/employees/{employee_id}/password", json={"password": SALES_PASSWORD},
                            headers=admin)):
        if answer.status_code >= 400:
            raise SystemExit(f"demo step failed: {answer.request.url.path} -> {answer.status_code} {answer.text}")
    return {SALES_USERNAME: SALES_PASSWORD}


def summary_line(base: str, logins: dict[str, str]) -> str:
    names = ", ".join(f"{u} / {p}" for u, p in logins.items())
    return f"console (控制台)               : {base}/console/  — sign in as admin or zhoujing (above), or {names} (营销专员)"
