"""风控 pages over HTTP: the rules list and the structured editor (a preview writes nothing; errors sit on their row),
the scorecard's distribution preview and save, a customer's firings with their evidence and the facts form; who may
see and change what."""

from __future__ import annotations

from sqlalchemy import func, select

from scrm.org.models import Role
from scrm.risk import service as risk_service
from scrm.risk.models import RiskFact, RiskFiring, RiskMatch, RiskRule, RiskScorecard
from scrm.risk.schemas import FactsIn
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

FULL = ["id_card", "credit_report", "bank_statement"]


def _people(db):
    dept = make_department(db)
    manager = make_employee(db, "王经理", role=Role.manager, department=dept)
    sales = make_employee(db, "张三", department=dept)
    customers = {}
    for name, inquiries in (("查询多甲", 12), ("查询多乙", 15), ("查询少", 2)):
        customers[name] = make_customer(db, sales, name)
        risk_service.set_facts(db, sales, customers[name].id,
                               FactsIn(inquiries_3m=inquiries, materials=FULL, social_security_months=30))
    return manager, sales, customers


def _counts(db):
    db.expire_all()
    return [db.scalar(select(func.count()).select_from(t)) for t in (RiskRule, RiskMatch, RiskFiring, RiskScorecard)]


RULE_FORM = {"name": "征信查询过多", "position": "10", "active": "on", "match": "all",
             "c0_fact": "inquiries_3m", "c0_op": ">", "c0_value": "10", "do_add_tag": "on", "tag": "高风险",
             "do_alert": "on"}


def test_rule_editor_previews_without_writing_then_saves(client, db, sign_in):
    manager, sales, customers = _people(db)
    browser = sign_in(manager)
    page = browser.get("/console/risk")
    assert page.status_code == 200 and "资质评分卡" in page.text and "还没有风控规则" in page.text
    form = browser.get("/console/risk/rules/new")
    token = csrf_of(form.text)
    before = _counts(db)
    preview = browser.post("/console/risk/rules", data={**RULE_FORM, "csrf_token": token, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert 'id="preview-matching">2<' in preview.text and 'id="preview-evaluated">3<' in preview.text
    assert "查询多甲" in preview.text and "查询多乙" in preview.text and "查询少" not in preview.text
    assert _counts(db) == before  # nothing written

    bad = browser.post("/console/risk/rules", data={**RULE_FORM, "c1_fact": "worst_overdue", "c1_op": "in",
                                                    "c1_value": "M9", "csrf_token": token, "action": "preview"})
    assert bad.status_code == 422 and 'id="err-c1_value"' in bad.text and "未知的逾期等级" in bad.text

    saved = browser.post("/console/risk/rules", data={**RULE_FORM, "csrf_token": token, "action": "save"},
                         follow_redirects=False)
    assert saved.status_code == 303 and "risk_rule_saved" in saved.headers["location"]
    rule = db.scalars(select(RiskRule)).one()
    assert rule.condition == {"fact": "inquiries_3m", "op": ">", "value": 10}
    assert rule.actions == [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]
    edit = browser.get(f"/console/risk/rules/{rule.id}")
    assert 'value="10"' in edit.text and "高风险" in edit.text

    # the salesperson sees a customer's firings but may not write rules
    risk_service.evaluate(db)
    seller = sign_in(sales)
    assert seller.get("/console/risk/rules/new").status_code == 403
    mine = seller.get(f"/console/customers/{customers['查询多甲'].id}/risk")
    assert mine.status_code == 200 and "征信查询过多" in mine.text and "征信近3个月查询次数：12" in mine.text


def test_scorecard_preview_shows_the_distribution_and_save_rescores(client, db, sign_in):
    manager, sales, customers = _people(db)
    browser = sign_in(manager)
    page = browser.get("/console/risk/scorecard")
    assert page.status_code == 200 and "社保满 24 个月" in page.text
    data = {"csrf_token": csrf_of(page.text), "rows": "2", "base": "50", "b0_label": "社保满 24 个月",
            "b0_0fact": "social_security_months", "b0_0op": ">=", "b0_0value": "24", "b0_points": "15",
            "b1_label": "查询过多", "b1_0fact": "inquiries_3m", "b1_0op": ">", "b1_0value": "10", "b1_points": "-30"}
    before = _counts(db)
    preview = browser.post("/console/risk/scorecard", data={**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert 'id="below-60">2<' in preview.text and 'id="changed">3<' in preview.text  # 35, 35, 65 from 70, 70, 85
    assert _counts(db) == before
    wrong = browser.post("/console/risk/scorecard", data={**data, "b1_points": "abc", "action": "preview"})
    assert wrong.status_code == 422 and 'id="err-b1_points"' in wrong.text
    saved = browser.post("/console/risk/scorecard", data={**data, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(RiskFact, customers["查询多甲"].id).score == 35
    assert sign_in(sales).post("/console/risk/scorecard", data={**data, "action": "save"}).status_code == 403


def test_customer_facts_form_in_yuan(client, db, sign_in):
    manager, sales, customers = _people(db)
    browser = sign_in(sales)
    customer = customers["查询少"]
    page = browser.get(f"/console/customers/{customer.id}/risk")
    form = {"csrf_token": csrf_of(page.text), "inquiries_3m": "3", "total_debt_fen": "300000",
            "monthly_income_fen": "25000.50", "materials": FULL, "social_security_months": "30"}
    saved = browser.post(f"/console/customers/{customer.id}/risk/facts", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    db.expire_all()
    fact = db.get(RiskFact, customer.id)
    assert (fact.total_debt_fen, fact.monthly_income_fen, fact.inquiries_3m) == (30_000_000, 2_500_050, 3)
    bad = browser.post(f"/console/customers/{customer.id}/risk/facts", data={**form, "total_debt_fen": "1.234"})
    assert bad.status_code == 422 and 'id="err-total_debt_fen"' in bad.text
    other = make_employee(db, "李四", department=make_department(db))
    assert sign_in(other).get(f"/console/customers/{customer.id}/risk").status_code in (403, 404)
