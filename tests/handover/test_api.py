"""The managers' console: roles, scope, preview, plan, run, progress, failures, 409s."""

from __future__ import annotations

from scrm.org.models import Role
from tests.factories.handover import build_world
from tests.factories.org import auth, make_department, make_employee


def test_manager_previews_plans_runs_and_follows_a_case(db, client, wecom_client, sandbox_wecom):
    w = build_world(db, sandbox_wecom, 5, 2)
    h = auth(w.manager)
    r = client.post("/api/handover/cases", json={"employee_id": w.giver.id}, headers=h)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    assert r.json()["progress"] == {"pending": 5}

    sales = make_employee(db, role=Role.sales)
    assert client.get("/api/handover/cases", headers=auth(sales)).status_code == 403
    other = make_employee(db, role=Role.manager, department=make_department(db))
    assert client.get(f"/api/handover/cases/{case_id}", headers=auth(other)).status_code == 404
    assert client.get("/api/handover/cases", headers=auth(other)).json() == []
    outsider = make_employee(db, department=make_department(db), wecom_userid="outsider")
    body = {"strategy": "round_robin", "taker_ids": [outsider.id]}
    r = client.post(f"/api/handover/cases/{case_id}/preview", json=body, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "taker_ids"
    assert client.post(f"/api/handover/cases/{case_id}/run", headers=h).status_code == 409  # no plan yet

    body = {"strategy": "round_robin", "taker_ids": [t.id for t in w.takers]}
    r = client.post(f"/api/handover/cases/{case_id}/preview", json=body, headers=h)
    assert r.status_code == 200 and r.json()["per_taker"] == {str(w.takers[0].id): 3, str(w.takers[1].id): 2}
    assert client.get(f"/api/handover/cases/{case_id}", headers=h).json()["status"] == "open"
    assert client.post(f"/api/handover/cases/{case_id}/plan", json=body, headers=h).status_code == 200
    r = client.post(f"/api/handover/cases/{case_id}/run", headers=h)
    assert r.status_code == 202
    assert client.get(f"/api/handover/cases/{case_id}", headers=h).json()["progress"] == {"waiting": 5}

    sandbox_wecom.complete_transfers(3, external_userids=w.externals[:1])
    sandbox_wecom.complete_transfers(1)
    assert client.post(f"/api/handover/cases/{case_id}/track", headers=h).status_code == 202
    case = client.get(f"/api/handover/cases/{case_id}", headers=h).json()
    assert case["status"] == "closed" and case["progress"] == {"accepted": 4, "lost": 1}
    failures = client.get(f"/api/handover/cases/{case_id}/items?failures=true", headers=h).json()
    assert [i["external_id"] for i in failures["items"]] == w.externals[:1]
    assert client.get("/api/handover/cases", headers=h).json() == []  # open ones only
    assert len(client.get("/api/handover/cases?open_only=false", headers=h).json()) == 1
    assert client.post(f"/api/handover/cases/{case_id}/replan", json=body, headers=h).status_code == 409


def test_taker_and_giver_ids_no_row_can_have_are_a_422_naming_them_and_plan_nothing(db, client, wecom_client,
                                                                                   sandbox_wecom):
    """Found by API fuzzing: a taker id past 2^63 was a 500 on SQLite (a 404 or a 422 naming nothing since)."""
    w = build_world(db, sandbox_wecom, 3, 2)
    h = auth(w.manager)
    case_id = client.post("/api/handover/cases", json={"employee_id": w.giver.id}, headers=h).json()["id"]
    takers = [t.id for t in w.takers]
    for body, field in (({"strategy": "one", "taker_ids": [takers[0], 2**63]}, "taker_ids.1"),
                        ({"strategy": "by_tier", "tier_takers": {"A": [9223372036854775808]}}, "tier_takers.A.0"),
                        ({"strategy": "round_robin", "taker_ids": takers, "department_id": 2**64}, "department_id"),
                        ({"strategy": "least_loaded", "taker_ids": [-87597909986]}, "taker_ids.0")):
        for step in ("preview", "plan"):
            r = client.post(f"/api/handover/cases/{case_id}/{step}", json=body, headers=h)
            assert r.status_code == 422 and r.json()["field"] == field, (step, body, r.text)
    case = client.get(f"/api/handover/cases/{case_id}", headers=h).json()
    assert case["status"] == "open" and case["progress"] == {"pending": 3}
    r = client.post("/api/handover/cases", json={"employee_id": 2**63}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "employee_id"
    r = client.post("/api/handover/cases", json={"employee_id": w.giver.id, "kind": "onjob", "customer_ids": [2**70]},
                    headers=h)
    assert r.status_code == 422 and r.json()["field"] == "customer_ids.0"


def test_an_items_page_whose_offset_no_database_holds_is_a_422_naming_the_page(db, client, wecom_client,
                                                                             sandbox_wecom):
    w = build_world(db, sandbox_wecom, 2, 1)
    h = auth(w.manager)
    case_id = client.post("/api/handover/cases", json={"employee_id": w.giver.id}, headers=h).json()["id"]
    answer = client.get(f"/api/handover/cases/{case_id}/items?page={2**62}&page_size=500", headers=h)
    assert answer.status_code == 422 and answer.json()["field"] == "page", answer.text
    last = client.get(f"/api/handover/cases/{case_id}/items?page={2**31 - 1}&page_size=500", headers=h)
    assert last.status_code == 200 and last.json()["items"] == []
