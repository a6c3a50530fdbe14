"""Manager pages over HTTP: handover from departure to a closed case, assignment-rule preview and save,
tagging-rule trial, dashboards."""

from __future__ import annotations

import re

from scrm.assignment.models import AssignmentRule
from scrm.customers.models import CustomerSource, Stage
from scrm.handover.models import HandoverCase
from scrm.org.models import DataScope, EmployeeStatus, Role
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.handover import build_world
from tests.factories.org import make_department, make_employee


def test_manager_marks_departed_previews_plans_runs_and_follows_to_the_end(db, client, sign_in, wecom_client,
                                                                           sandbox_wecom):
    w = build_world(db, sandbox_wecom, 4, 2, departed=False)
    sandbox_wecom.user_deleted("giver")  # gone from WeCom; our record still says active until the manager acts
    sign_in(w.manager)
    page = client.get("/console/handover")
    assert page.status_code == 200
    done = client.post("/console/handover/depart", data={"employee_id": w.giver.id, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "已标记离职" in done.text
    db.expire_all()
    assert w.giver.status == EmployeeStatus.departed
    case = db.query(HandoverCase).filter_by(employee_id=w.giver.id).one()
    url = f"/console/handover/{case.id}"

    body = {"strategy": "round_robin", "taker_ids": [], "action": "preview", "csrf_token": csrf_of(done.text)}
    bad = client.post(f"{url}/plan", data=body)
    assert bad.status_code == 422 and 'id="err-taker_ids"' in bad.text

    body.update(taker_ids=[t.id for t in w.takers], csrf_token=csrf_of(bad.text))
    preview = client.post(f"{url}/plan", data=body)
    assert "预览（未保存）：4 项" in preview.text and f"{w.takers[0].name}：2" in preview.text
    db.expire_all()
    assert case.status.value == "open"

    body.update(action="plan")
    planned = client.post(f"{url}/plan", data=body)
    assert "交接计划已保存" in planned.text
    ran = client.post(f"{url}/run", data={"csrf_token": csrf_of(planned.text)})
    assert "等待客户接受 4" in ran.text
    sandbox_wecom.complete_transfers(1)
    tracked = client.post(f"{url}/track", data={"csrf_token": csrf_of(ran.text)})
    assert "已接替 4" in tracked.text and "已完成" in tracked.text


def test_handover_pages_are_for_managers_in_scope(db, client, sign_in):
    dept = make_department(db)
    giver = make_employee(db, department=dept)
    giver.status = EmployeeStatus.departed
    case = HandoverCase(employee_id=giver.id, plan={})
    db.add(case)
    db.flush()
    other_manager = make_employee(db, role=Role.manager, department=make_department(db))
    sign_in(other_manager)
    assert client.get(f"/console/handover/{case.id}").status_code == 404
    sign_in(make_employee(db, role=Role.supervisor, department=dept))
    assert client.get(f"/console/handover/{case.id}").status_code == 403


def test_assignment_rule_edit_is_validated_previewed_without_saving_then_saved(db, client, sign_in, products):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    seller = make_employee(db, "小孙", department=dept)
    make_customer(db, None, "济南客户", city="济南", source=CustomerSource.manual)
    make_customer(db, None, "青岛客户", city="青岛", source=CustomerSource.manual)
    sign_in(manager)
    form = client.get("/console/rules/assignment/new")
    base = {"name": "济南电话线索", "priority": "10", "strategy": "round_robin", "cities": "济南", "active": "on",
            "csrf_token": csrf_of(form.text), "action": "preview"}
    bad = client.post("/console/rules/assignment", data=base)
    assert bad.status_code == 422 and 'id="err-team_employee_ids"' in bad.text and "至少需要一名成员" in bad.text

    preview = client.post("/console/rules/assignment", data={**base, "team_employee_ids": [seller.id],
                                                             "csrf_token": csrf_of(bad.text)})
    assert preview.status_code == 200
    assert re.search(r'id="matched">1<', preview.text) and "济南客户" in preview.text and "青岛客户" not in preview.text
    assert db.query(AssignmentRule).count() == 0

    saved = client.post("/console/rules/assignment", data={**base, "team_employee_ids": [seller.id], "action": "save",
                                                           "csrf_token": csrf_of(preview.text)})
    assert "分配规则已保存" in saved.text and "济南电话线索" in saved.text
    rule = db.query(AssignmentRule).one()
    assert rule.conditions == {"cities": ["济南"]} and rule.team_employee_ids == [seller.id]

    edit = client.get(f"/console/rules/assignment/{rule.id}")
    assert edit.status_code == 200 and "济南电话线索" in edit.text
    gone = client.post(f"/console/rules/assignment/{rule.id}/delete", data={"csrf_token": csrf_of(edit.text)})
    assert "分配规则已删除" in gone.text and db.query(AssignmentRule).count() == 0


def test_tagging_rule_trial_compares_an_edit_with_the_shipped_rules(db, client, sign_in):
    manager = make_employee(db, role=Role.manager, department=make_department(db))
    sign_in(manager)
    page = client.get("/console/rules/tagging")
    assert "product-house" in page.text
    answer = client.post("/console/rules/tagging/preview", data={
        "texts": "想用铺面做抵押", "rule_id": "product-house", "keywords": "铺面", "negative": "",
        "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200
    row = answer.text.split('id="results"')[1]
    assert row.count("房抵贷") >= 1 and "改写后" in row
    empty = client.post("/console/rules/tagging/preview", data={"texts": "", "csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422 and 'id="err-texts"' in empty.text


def test_dashboards_show_the_funnel_and_rankings_with_numbers(db, client, sign_in):
    dept = make_department(db, "济南一部")
    manager = make_employee(db, role=Role.manager, department=dept)
    seller = make_employee(db, "小周", department=dept)
    for stage in (Stage.lead, Stage.contacted, Stage.signed, Stage.disbursed):
        make_customer(db, seller, stage=stage)
    sign_in(manager)
    page = client.get("/console/dashboards", params={"since": "2000-01-01"})
    assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text.split("<svg")[1]
    funnel = page.text.split("客户漏斗")[1].split("</table>")[0]
    assert "<td>线索</td><td>1</td><td>4</td><td>100.0%</td>" in funnel
    assert "<td>已签约</td><td>1</td><td>2</td><td>50.0%</td>" in funnel
    ranking = page.text.split("员工排名")[1].split("</table>")[0]
    assert "<td>小周</td><td>济南一部</td><td>4</td><td>2</td>" in ranking
    bad = client.get("/console/dashboards", params={"since": "2026-13-01"})
    assert bad.status_code == 200 and 'id="err-since"' in bad.text


def test_supervisors_read_rules_but_only_managers_edit_them(db, client, sign_in):
    dept = make_department(db)
    sign_in(make_employee(db, role=Role.supervisor, department=dept))
    page = client.get("/console/rules")
    assert page.status_code == 200 and "新建规则" not in page.text
    denied = client.get("/console/rules/assignment/new")
    assert denied.status_code == 403 and "没有权限" in denied.text
    assert client.post("/console/rules/assignment", data={"csrf_token": "x", "name": "x"}).status_code == 403


def test_a_center_manager_cannot_mark_the_company_wide_manager_departed(db, client, sign_in):
    dept = make_department(db)
    company_manager = make_employee(db, role=Role.manager, department=dept)
    company_manager.scope = DataScope.all
    admin = make_employee(db, role=Role.admin, department=dept)
    sign_in(make_employee(db, role=Role.manager, department=dept))
    page = client.get("/console/handover")
    for target, why in ((company_manager, "wider than yours"), (admin, "only an admin")):
        refused = client.post("/console/handover/depart", data={"employee_id": target.id, "csrf_token": csrf_of(page.text)})
        assert refused.status_code == 422 and why in refused.text
        page = refused
    db.expire_all()
    assert company_manager.status == admin.status == EmployeeStatus.active
    assert db.query(HandoverCase).filter(HandoverCase.employee_id.in_([company_manager.id, admin.id])).count() == 0
