"""A customer's deletion request: their personal data goes, the record and what refers to it stay."""

from __future__ import annotations

from sqlalchemy import String, select, type_coerce

from scrm.customers import service as customer_service
from scrm.customers.events import CustomerErased
from scrm.customers.models import Customer, CustomerStatus, FollowUp, TimelineEntry
from scrm.org.models import Role
from scrm.tagging import service as tagging_service
from scrm.tagging.models import TagEvidence
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee


def test_manager_erases_a_customer_at_their_request(db, client):
    team = make_department(db)
    manager = make_employee(db, role=Role.manager, department=team)
    sales = make_employee(db, department=team)
    customer = make_customer(db, owner=sales, name="李秀英", phone="13912340000", id_no="11010519491231002X",
                             id_no_hash=customer_service.id_no_hash("11010519491231002X"), amount_fen=50_000_000)
    customer_service.add_follow_up(db, customer, employee_id=sales.id, kind="call", content="李秀英说房子在历下区，想贷50万")
    tagging_service.tag_text(db, customer.id, "我有套房，想贷50万", source="message", source_key="m1")

    refused = client.post(f"/api/customers/{customer.id}/erase", json={"reason": "客户申请 #88"}, headers=auth(sales))
    assert refused.status_code == 403
    answer = client.post(f"/api/customers/{customer.id}/erase", json={"reason": "客户申请 #88"}, headers=auth(manager))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == f"已注销客户{customer.id}" and answer.json()["phone"] is None
    assert answer.json()["amount"] == "500000.00"  # the loan need is business data, not personal data

    db.expire_all()
    row = db.get(Customer, customer.id)
    assert row.status == CustomerStatus.erased and row.phone_hash is None and row.id_no is None
    assert customer_service.find_by_phone(db, "13912340000") is None
    raw_columns = db.execute(select(type_coerce(Customer.__table__.c.phone, String),
                                    type_coerce(Customer.__table__.c.id_no, String)).where(Customer.id == customer.id)).one()
    assert raw_columns == (None, None)
    texts = db.scalars(select(FollowUp.content).where(FollowUp.customer_id == customer.id)).all()
    assert texts and all("李秀英" not in t for t in texts)
    summaries = db.scalars(select(TimelineEntry.summary).where(TimelineEntry.customer_id == customer.id)).all()
    assert all("李秀英" not in s and "历下" not in s for s in summaries)
    assert events_named(db, "customer.erased") == [{"customer_id": customer.id, "external_ids": [], "files": []}]

    tagging_service.on_customer_erased(db, CustomerErased(customer_id=customer.id, external_ids=[], files=[]))  # what the event's delivery runs
    excerpts = db.scalars(select(TagEvidence.excerpt).where(TagEvidence.customer_id == customer.id)).all()
    assert excerpts and set(excerpts) == {""}
    profile = tagging_service.get_profile(db, customer.id)
    assert "有房产" in profile.tags and all("excerpt" not in why for why in profile.evidence.values())

    again = client.post(f"/api/customers/{customer.id}/erase", json={"reason": "再来一次"}, headers=auth(manager))
    assert again.status_code == 409
    no_reason = client.post(f"/api/customers/{customer.id}/erase", json={"reason": ""}, headers=auth(manager))
    assert no_reason.status_code == 422
