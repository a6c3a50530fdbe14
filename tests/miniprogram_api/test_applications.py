"""Applications: per-product form validation, privacy consent, the lead they make, tagging, progress."""

from __future__ import annotations

from sqlalchemy import func, select

from scrm.assignment import service as assignment_service
from scrm.assignment.schemas import RuleCreate
from scrm.customers.models import Customer
from scrm.miniprogram_api.models import LoanApplication
from scrm.tagging.models import TagEvidence
from tests.factories.org import make_employee
from tests.miniprogram_api.helpers import application, emit, login, settle


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_products_come_with_their_forms(db, client, sandbox_wxa, products):
    headers, _ = login(client, sandbox_wxa)
    listed = {p["code"]: p for p in client.get("/mp/products", headers=headers).json()}
    assert set(listed) == set(products)
    assert "property_value" in {f["key"] for f in listed["house_mortgage"]["form_fields"]}


def test_each_wrong_field_is_named_for_the_chosen_product(db, client, sandbox_wxa, products):
    headers, _ = login(client, sandbox_wxa)
    r = client.post("/mp/applications", headers=headers, json=application(
        product_code="house_mortgage", amount="-5", fields={"property_city": "杭州", "property_type": "castle",
                                                            "property_area": "9", "colour": "red"}))
    assert r.status_code == 422
    named = {e["field"] for e in r.json()["errors"]}
    assert named == {"amount", "custom_fields.property_type", "custom_fields.property_area",
                     "custom_fields.property_value", "custom_fields.mortgage_status", "custom_fields.colour"}
    # the credit form asks other things: a house form's fields are unknown there
    r = client.post("/mp/applications", headers=headers, json=application(fields={"property_city": "杭州"}))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {
        "custom_fields.property_city", "custom_fields.employer_type", "custom_fields.monthly_salary",
        "custom_fields.social_security_months"}
    r = client.post("/mp/applications", headers=headers, json=application(product_code="yacht"))
    assert r.status_code == 422 and r.json()["field"] == "product_code"
    assert _count(db, LoanApplication) == 0


def test_without_consent_nothing_is_kept(db, client, sandbox_wxa, products):
    headers, me = login(client, sandbox_wxa)
    r = client.post("/mp/applications", headers=headers, json=application(consent={"accepted": False,
                                                                                    "version": "2026-11"}))
    assert r.status_code == 422 and r.json()["field"] == "consent.accepted"
    r = client.post("/mp/applications", headers=headers, json=application(consent={"accepted": True,
                                                                                    "version": "2025-01"}))
    assert r.status_code == 422 and r.json()["field"] == "consent.version"
    assert r.json()["current_version"] == "2026-11"
    r = client.post("/mp/applications", headers=headers, json={**application(), "consent": None})
    assert r.status_code == 422
    assert _count(db, LoanApplication) == 0
    customer = db.get(Customer, me["customer"]["id"])
    assert customer.product_id is None and customer.amount_fen is None and customer.name == ""


def test_an_application_records_consent_becomes_an_assigned_lead_and_feeds_tagging(db, client, sandbox_wxa,
                                                                                     products):
    sales = make_employee(db)
    assignment_service.create_rule(db, None, RuleCreate(
        name="小程序", strategy="round_robin", team_employee_ids=[sales.id],
        conditions={"sources": ["miniprogram"], "product_codes": ["house_mortgage"]}))
    db.commit()
    headers, me = login(client, sandbox_wxa)
    body = application(product_code="house_mortgage", amount="800000", purpose="经营周转", fields={
        "property_city": "杭州", "property_type": "residential", "property_area": "120",
        "property_value": "3000000", "mortgage_status": "first"})
    r = client.post("/mp/applications", headers=headers, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["consent_version"] == "2026-11" and got["consent_at"]
    assert got["fields"]["property_value"] == "3000000.00" and got["amount"] == "800000.00"
    db.expire_all()
    customer = db.get(Customer, me["customer"]["id"])
    assert customer.owner_id == sales.id and customer.name == body["name"]
    assert customer.custom_fields["property_value"] == 300000000
    evidence = db.scalars(select(TagEvidence).where(TagEvidence.customer_id == customer.id)).all()
    assert {e.source for e in evidence} == {"form", "behaviour"}
    assert "房抵贷" in next(e.excerpt for e in evidence if e.source == "form")
    # resending the same request changes nothing
    again = client.post("/mp/applications", headers=headers, json=body)
    assert again.status_code == 200 and again.json()["id"] == got["id"]
    assert _count(db, LoanApplication) == 1


def test_progress_follows_the_stage_and_shows_the_settlement_statement(db, client, sandbox_wxa, products):
    headers, me = login(client, sandbox_wxa)
    assert client.get("/mp/progress", headers=headers).json()["stage"] == "not_applied"
    client.post("/mp/applications", headers=headers, json=application())
    assert client.get("/mp/progress", headers=headers).json()["stage"] == "submitted"
    from scrm.customers import service as customer_service
    from scrm.customers.models import Stage

    customer_service.set_stage(db, me["customer"]["id"], Stage.disbursed)
    db.commit()
    progress = client.get("/mp/progress", headers=headers).json()
    assert progress["stage"] == "disbursed" and progress["statement"] is None
    payload = settle(db, me["customer"]["id"], fee_fen=600000, disbursed_fen=20000000)
    progress = client.get("/mp/progress", headers=headers).json()
    assert progress["stage"] == "settled"
    assert progress["statement"]["service_fee_collected"] == "6000.00"
    assert progress["statement"]["disbursed_amount"] == "200000.00"
    emit(db, "settlement.closed", payload)  # replayed: still one statement
    emit(db, "settlement.voided", {"settlement_id": payload["settlement_id"], "order_id": payload["order_id"],
                                   "customer_id": me["customer"]["id"]})
    progress = client.get("/mp/progress", headers=headers).json()
    assert progress["stage"] == "disbursed" and progress["statement"] is None
