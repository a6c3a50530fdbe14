"""Tiering, commission and SOP schedule pages over HTTP: field errors at 422 beside the field, previews that
show numbers and keep nothing, saving, and supervisors reading but not editing."""

from __future__ import annotations

import re
from datetime import timedelta

from scrm.core.db import utcnow
from scrm.customers.models import Stage
from scrm.groups import service as group_service
from scrm.groups.models import TierRule
from scrm.org.models import Role
from scrm.referral.models import CommissionRule
from scrm.sop import service as sop_service
from scrm.sop.models import SopSchedule, SopTask
from scrm.sop.schemas import ScheduleIn
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def test_tier_rule_is_validated_previewed_saved_and_retiered(db, client, sign_in):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    seller = make_employee(db, "小王", department=dept)
    make_customer(db, seller, "签约客户甲", stage=Stage.signed)
    make_customer(db, seller, "签约客户乙", stage=Stage.signed)
    make_customer(db, seller, "新线索丙", stage=Stage.lead)
    sign_in(manager)
    form = client.get("/console/rules/tiers/new")
    assert form.status_code == 200
    base = {"name": "已签约为 A", "tier": "A", "position": "10", "active": "on", "stages_in": ["signed"],
            "csrf_token": csrf_of(form.text), "action": "preview"}

    bad = client.post("/console/rules/tiers", data={**base, "amount_min_yuan": "5000", "amount_max_yuan": "100"})
    assert bad.status_code == 422
    assert re.search(r'id="err-amount_min_yuan" role="alert">最低金额大于最高金额<', bad.text)
    typo = client.post("/console/rules/tiers", data={**base, "position": "十"})
    assert typo.status_code == 422 and 'id="err-position"' in typo.text

    preview = client.post("/console/rules/tiers", data=base)
    assert preview.status_code == 200
    assert re.search(r'id="total-moving">3<', preview.text)
    to_a = re.search(r'<td>未分层</td><td>A 类</td><td class="move-count">(\d+)</td>\s*<td>(.*?)</td>', preview.text)
    assert to_a and to_a.group(1) == "2" and "签约客户甲" in to_a.group(2) and "新线索丙" not in to_a.group(2)
    assert db.query(TierRule).count() == 0 and group_service.tier_counts(db) == {}

    saved = client.post("/console/rules/tiers", data={**base, "action": "save"})
    assert saved.status_code == 200 and "分层规则已保存" in saved.text and "已签约为 A" in saved.text
    rule = db.query(TierRule).one()
    assert rule.tier == "A" and rule.conditions == {"stages_in": ["signed"]}

    clash = client.post(f"/console/rules/tiers/{rule.id}", data={**base, "action": "save", "tags_any": "房产",
                                                                "tags_none": "房产"})
    assert clash.status_code == 422 and re.search(r'id="err-tags_none"', clash.text)

    retier = client.post("/console/rules/tiers-retier", data={"csrf_token": csrf_of(saved.text)})
    assert retier.status_code == 200 and "已按现行规则重新分层" in retier.text
    assert re.search(r'data-tier="A">2<', retier.text)
    assert group_service.tier_counts(db) == {"A": 2, "C": 1}

    gone = client.post(f"/console/rules/tiers/{rule.id}/delete", data={"csrf_token": csrf_of(retier.text)})
    assert "分层规则已删除" in gone.text and db.query(TierRule).count() == 0


def test_commission_rule_preview_uses_the_settlement_arithmetic_then_saves_and_deactivates(db, client, sign_in):
    manager = make_employee(db, role=Role.manager, department=make_department(db))
    sign_in(manager)
    form = client.get("/console/rules/commission/new")
    base = {"name": "通用一级", "level": "1", "product_code": "", "funder_type": "", "kind": "percent",
            "rate_percent": "5", "cap_amount": "300", "sample_fee": "12345.67", "csrf_token": csrf_of(form.text),
            "action": "preview"}

    bad = client.post("/console/rules/commission", data={**base, "rate_percent": "150"})
    assert bad.status_code == 422 and re.search(r'id="err-rate_percent" role="alert">比例应在 0 到 100', bad.text)
    not_number = client.post("/console/rules/commission", data={**base, "cap_amount": "三百"})
    assert not_number.status_code == 422 and 'id="err-cap_amount"' in not_number.text

    uncapped = client.post("/console/rules/commission", data={**base, "cap_amount": ""})
    # 5% of 12,345.67 yuan is 617.2835 yuan: 617.28 after rounding to the fen
    assert uncapped.status_code == 200 and 'data-level="1">617.28<' in uncapped.text
    capped = client.post("/console/rules/commission", data=base)
    assert 'data-level="1">300.00<' in capped.text
    assert db.query(CommissionRule).count() == 0

    saved = client.post("/console/rules/commission", data={**base, "action": "save"})
    assert "佣金规则已保存" in saved.text and "通用一级" in saved.text
    rule = db.query(CommissionRule).one()
    assert rule.rate_percent == 5 and rule.cap_fen == 30000 and rule.active

    edit = client.get(f"/console/rules/commission/{rule.id}")
    assert edit.status_code == 200 and 'value="300.00"' in edit.text
    off = client.post(f"/console/rules/commission/{rule.id}/deactivate", data={"csrf_token": csrf_of(edit.text)})
    assert "佣金规则已停用" in off.text
    db.refresh(rule)
    assert not rule.active


def test_sop_schedule_preview_lists_the_tasks_of_the_slot_without_making_them(db, client, sign_in):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    seller = make_employee(db, "小陈", department=dept)
    for i in range(3):
        make_customer(db, seller, f"B 类客户{i}", stage=Stage.signed)
    make_customer(db, None, "无人跟进", stage=Stage.signed)
    db.add(TierRule(name="签约为 B", tier="B", position=1, conditions={"stages_in": ["signed"]}, active=True))
    db.flush()
    group_service.retier(db)
    sign_in(manager)
    form = client.get("/console/rules/sop/new")
    base = {"name": "B 类每周回访", "tier": "B", "every_days": "7", "hour": "10", "title": "B 类客户每周回访",
            "csrf_token": csrf_of(form.text), "action": "preview"}

    bad = client.post("/console/rules/sop", data={**base, "every_days": "400"})
    assert bad.status_code == 422 and 'id="err-every_days"' in bad.text
    preview = client.post("/console/rules/sop", data=base)
    assert preview.status_code == 200 and re.search(r'id="task-count">3<', preview.text)
    assert "B 类客户0" in preview.text and "无人跟进" not in preview.text
    assert db.query(SopSchedule).filter_by(name="B 类每周回访").count() == 0

    saved = client.post("/console/rules/sop", data={**base, "action": "save"})
    assert "跟进计划已保存" in saved.text and "B 类每周回访" in saved.text
    schedule = db.query(SopSchedule).filter_by(name="B 类每周回访").one()
    edit = client.get(f"/console/rules/sop/{schedule.id}")
    changed = client.post(f"/console/rules/sop/{schedule.id}", data={
        "every_days": "14", "hour": "25", "title": "x", "active": "on", "csrf_token": csrf_of(edit.text),
        "action": "save"})
    assert changed.status_code == 422 and 'id="err-hour"' in changed.text
    db.refresh(schedule)
    assert schedule.every_days == 7


def test_preview_schedule_leaves_out_tasks_already_made(db):
    seller = make_employee(db, "小林", department=make_department(db))
    for i in range(2):
        make_customer(db, seller, f"A 类客户{i}", stage=Stage.signed)
    db.add(TierRule(name="签约为 A", tier="A", position=1, conditions={"stages_in": ["signed"]}, active=True))
    db.flush()
    group_service.retier(db)
    schedule = sop_service.create_schedule(db, ScheduleIn(name="A 每两天", tier="A", every_days=2, hour=9, title="回访"))
    now = utcnow()
    before = sop_service.preview_schedule(db, tier="A", every_days=2, hour=9, title="回访", schedule_id=schedule.id,
                                          now=now)
    assert before["tasks"] == 2 and {r["name"] for r in before["sample"]} == {"A 类客户0", "A 类客户1"}
    assert db.query(SopTask).filter(SopTask.kind == "call_reminder").count() == 0
    sop_service.generate(db, now=now)
    after = sop_service.preview_schedule(db, tier="A", every_days=2, hour=9, title="回访", schedule_id=schedule.id,
                                         now=now)
    assert after["tasks"] == 0
    later = sop_service.preview_schedule(db, tier="A", every_days=2, hour=9, title="回访", schedule_id=schedule.id,
                                         now=now + timedelta(days=2))
    assert later["tasks"] == 2


def test_supervisors_read_these_rules_but_cannot_edit_them(db, client, sign_in):
    sign_in(make_employee(db, role=Role.supervisor, department=make_department(db)))
    for path in ("/console/rules/tiers", "/console/rules/commission", "/console/rules/sop"):
        page = client.get(path)
        assert page.status_code == 200 and "新建" not in page.text and "立即重新分层" not in page.text
    index = client.get("/console/rules")
    assert "/console/rules/tiers" in index.text
    for path in ("/console/rules/tiers/new", "/console/rules/commission/new", "/console/rules/sop/new"):
        assert client.get(path).status_code == 403
    for path in ("/console/rules/tiers", "/console/rules/commission", "/console/rules/sop", "/console/rules/tiers-retier"):
        denied = client.post(path, data={"csrf_token": csrf_of(index.text), "name": "x", "action": "save"})
        assert denied.status_code == 403 and "没有权限" in denied.text
