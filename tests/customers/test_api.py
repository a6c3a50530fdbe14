"""The customer endpoints: create, scope, masking and the audited full view, follow-ups, attachments, search."""

from __future__ import annotations

from sqlalchemy import select

from scrm.customers.models import Customer, CustomerStatus, Stage
from scrm.org.models import Role
from scrm.privacy.models import PiiView
from tests.factories.customers import make_customer, phone
from tests.factories.org import auth, make_department, make_employee


def create_body(**extra):
    body = {"name": "王大锤", "phone": "13800138000", "city": "上海", "product_code": "house_mortgage",
            "amount": "1500000.00", "term_months": 120, "purpose": "经营周转",
            "custom_fields": {"property_city": "上海", "property_type": "residential", "property_area": 120,
                              "property_value": "6000000", "mortgage_status": "none"}}
    body.update(extra)
    return body


def test_salesperson_creates_a_customer_and_owns_it(db, client, products):
    sales = make_employee(db, "张三")
    r = client.post("/api/customers", json=create_body(), headers=auth(sales))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["owner"] == {"id": sales.id, "name": "张三"}
    assert body["phone"] == "138****8000"
    assert body["amount"] == "1500000.00" and body["product_code"] == "house_mortgage"
    assert body["custom_fields"]["property_value"] == "6000000.00"
    stored = db.get(Customer, body["id"])
    assert stored.amount_fen == 150000000
    r = client.get(f"/api/customers/{body['id']}/timeline", headers=auth(sales))
    assert [e["kind"] for e in r.json()] == ["created"]


def test_same_phone_again_is_409_naming_the_salesperson(db, client, products):
    first, second = make_employee(db, "张三"), make_employee(db, "李四")
    assert client.post("/api/customers", json=create_body(), headers=auth(first)).status_code == 201
    r = client.post("/api/customers", json=create_body(phone="+86 138 0013 8000", name="另一个"),
                    headers=auth(second))
    assert r.status_code == 409
    assert r.json()["message"] == "该客户已由 张三 跟进"
    assert r.json()["field"] == "phone"


def test_custom_field_errors_come_back_per_field(db, client, products):
    sales = make_employee(db)
    body = create_body(custom_fields={"property_city": "上海", "property_type": "castle", "property_area": 120,
                                      "property_value": "6000000", "mortgage_status": "none"})
    r = client.post("/api/customers", json=body, headers=auth(sales))
    assert r.status_code == 422
    assert r.json()["field"] == "custom_fields.property_type"
    assert r.json()["errors"][0]["field"] == "custom_fields.property_type"


def test_bad_phone_and_extra_fields_are_refused(db, client, products):
    sales = make_employee(db)
    r = client.post("/api/customers", json=create_body(phone="12345"), headers=auth(sales))
    assert r.status_code == 422 and r.json()["field"] == "phone"
    r = client.post("/api/customers", json=create_body(owner_name="x"), headers=auth(sales))
    assert r.status_code == 422


def test_owner_channel_and_page_numbers_no_column_holds_are_a_422_naming_them(db, client, products):
    """Past 2^63 an owner or channel id was refused by the database naming no field (a 500 on SQLite), and a page
    number whose offset passes 2^63 the same."""
    manager = make_employee(db, role=Role.manager)
    for field, value in (("owner_id", 2**64), ("channel_id", 2**63), ("owner_id", 0)):
        r = client.post("/api/customers", json=create_body(**{field: value}), headers=auth(manager))
        assert r.status_code == 422 and r.json()["field"] == field, r.text
        for answer in (client.get(f"/api/customers?{field}={value}", headers=auth(manager)),
                       client.post("/api/customers/search", json={field: value}, headers=auth(manager))):
            assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert db.scalar(select(Customer.id)) is None
    for answer in (client.get(f"/api/customers?page={2**62}&page_size=100", headers=auth(manager)),
                   client.post("/api/customers/search", json={"page": 2**62}, headers=auth(manager))):
        assert answer.status_code == 422 and answer.json()["field"] == "page", answer.text
    assert client.get(f"/api/customers?page={2**31 - 1}&page_size=200", headers=auth(manager)).json()["items"] == []


def test_finance_may_not_create_customers(db, client, products):
    finance = make_employee(db, role=Role.finance)
    assert client.post("/api/customers", json=create_body(), headers=auth(finance)).status_code == 403


def test_scope_salesperson_sees_own_supervisor_sees_department(db, client):
    dept, other_dept = make_department(db), make_department(db)
    mine_sales, peer_sales = make_employee(db, department=dept), make_employee(db, department=dept)
    far_sales = make_employee(db, department=other_dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    mine = make_customer(db, mine_sales, phone=phone(1))
    peers = make_customer(db, peer_sales, phone=phone(2))
    far = make_customer(db, far_sales, phone=phone(3))
    pooled = make_customer(db, None, phone=phone(4))

    assert client.get(f"/api/customers/{mine.id}", headers=auth(mine_sales)).status_code == 200
    r = client.get(f"/api/customers/{peers.id}", headers=auth(mine_sales))
    assert r.status_code == 404
    missing = client.get("/api/customers/999999", headers=auth(mine_sales)).json()
    assert r.json()["message"].replace(str(peers.id), "N") == missing["message"].replace("999999", "N")
    assert client.get(f"/api/customers/{pooled.id}", headers=auth(mine_sales)).status_code == 404
    listed = client.get("/api/customers", headers=auth(mine_sales)).json()
    assert [c["id"] for c in listed["items"]] == [mine.id] and listed["total"] == 1

    listed = client.get("/api/customers", headers=auth(supervisor)).json()
    assert {c["id"] for c in listed["items"]} == {mine.id, peers.id, pooled.id}
    assert client.get(f"/api/customers/{far.id}", headers=auth(supervisor)).status_code == 404
    # writes are scoped the same way
    r = client.post(f"/api/customers/{peers.id}/follow-ups", json={"content": "hi"}, headers=auth(mine_sales))
    assert r.status_code == 404


def test_answers_mask_phone_and_id_number(db, client):
    sales = make_employee(db)
    customer = make_customer(db, sales, phone="13912345678", id_no="11010519491231002X")
    body = client.get(f"/api/customers/{customer.id}", headers=auth(sales)).json()
    assert body["phone"] == "139****5678"
    assert body["id_no"] == "1101**********002X"
    listed = client.get("/api/customers", headers=auth(sales)).json()
    assert "13912345678" not in str(listed)


def test_full_view_is_for_managers_finance_admins_and_the_owner_and_is_audited(db, client):
    dept = make_department(db)
    owner = make_employee(db, department=dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    manager = make_employee(db, role=Role.manager, department=dept)
    customer = make_customer(db, owner, phone="13912345678", id_no="11010519491231002X")
    url = f"/api/customers/{customer.id}/pii"

    r = client.get(url, params={"reason": "核对放款信息"}, headers=auth(manager))
    assert r.status_code == 200
    assert r.json() == {"customer_id": customer.id, "phone": "13912345678", "id_no": "11010519491231002X"}
    r = client.get(url, params={"reason": "回拨电话", "fields": "phone"}, headers=auth(owner))
    assert r.json() == {"customer_id": customer.id, "phone": "13912345678", "id_no": None}
    assert client.get(url, params={"reason": "想看看"}, headers=auth(supervisor)).status_code == 403
    assert client.get(url, headers=auth(manager)).status_code == 422  # a reason is required

    views = db.scalars(select(PiiView).where(PiiView.customer_id == customer.id).order_by(PiiView.id)).all()
    assert [(v.employee_id, v.fields, v.reason) for v in views] == [
        (manager.id, ["id_no", "phone"], "核对放款信息"), (owner.id, ["phone"], "回拨电话")]


def test_follow_ups_attachments_and_timeline(db, client, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path))
    sales = make_employee(db)
    customer = make_customer(db, sales, phone=phone(5))
    h = auth(sales)
    r = client.post(f"/api/customers/{customer.id}/follow-ups",
                    json={"kind": "call", "content": "客户想贷 50 万", "next_at": "2025-03-02T10:00:00+08:00"},
                    headers=h)
    assert r.status_code == 201, r.text
    client.post(f"/api/customers/{customer.id}/follow-ups", json={"kind": "note", "content": "第二条"}, headers=h)
    listed = client.get(f"/api/customers/{customer.id}/follow-ups", headers=h).json()
    assert [f["content"] for f in listed] == ["第二条", "客户想贷 50 万"]
    db.expire_all()
    assert db.get(Customer, customer.id).stage == Stage.contacted

    deed = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF"
    r = client.post(f"/api/customers/{customer.id}/attachments", data={"kind": "property_deed"},
                    files={"file": ("房产证.pdf", deed, "application/pdf")}, headers=h)
    assert r.status_code == 201, r.text
    for data, kind, field in [(b"MZ\x90\x00" + deed, "property_deed", "file"), (deed, "selfie", "kind")]:
        r = client.post(f"/api/customers/{customer.id}/attachments", data={"kind": kind},
                        files={"file": ("房产证.pdf", data, "application/pdf")}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == field, (kind, r.text)
    assert [a["filename"] for a in client.get(f"/api/customers/{customer.id}/attachments", headers=h).json()] == [
        "房产证.pdf"]

    timeline = client.get(f"/api/customers/{customer.id}/timeline", headers=h).json()
    # the follow-ups also feed the tagging pipeline, whose profile changes (and the tier changes they
    # cause) are timeline entries of their own
    kinds = [e["kind"] for e in timeline if e["kind"] not in ("profile_changed", "tier_changed")]
    assert kinds == ["attachment_added", "follow_up", "follow_up"]
    assert any(e["kind"] == "profile_changed" and "50" in e["summary"] for e in timeline)


def test_update_changes_only_what_is_sent_and_guards_the_stage(db, client, products):
    sales = make_employee(db)
    customer = make_customer(db, sales, phone=phone(6), city="上海")
    h = auth(sales)
    r = client.patch(f"/api/customers/{customer.id}", json={"stage": "appointment", "amount": "200000"}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["stage"], r.json()["amount"], r.json()["city"]) == ("appointment", "200000.00", "上海")
    r = client.patch(f"/api/customers/{customer.id}", json={"stage": "disbursed"}, headers=h)
    assert r.status_code == 409
    other = make_customer(db, make_employee(db, "王五"), phone=phone(7))
    r = client.patch(f"/api/customers/{customer.id}", json={"phone": other.phone}, headers=h)
    assert r.status_code == 409 and "王五" in r.json()["message"]


def test_search_by_phone_tail_full_phone_name_and_sorting(db, client):
    dept = make_department(db)
    a, b = make_employee(db, "Ann", department=dept), make_employee(db, "Bob", department=dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    c1 = make_customer(db, a, "刘一", phone="13900001111", stage=Stage.signed)
    c2 = make_customer(db, b, "陈二", phone="13900002222", stage=Stage.lead)
    c3 = make_customer(db, a, "刘三", phone="13700001111", stage=Stage.contacted)
    h = auth(supervisor)

    def ids(**params):
        r = client.get("/api/customers", params=params, headers=h)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert set(ids(phone_tail="1111")) == {c1.id, c3.id}
    assert ids(phone="139-0000-2222") == [c2.id]
    assert set(ids(q="刘")) == {c1.id, c3.id}
    assert ids(sort="stage") == [c2.id, c3.id, c1.id]
    assert ids(sort="-stage") == [c1.id, c3.id, c2.id]
    assert ids(sort="owner")[-1] == c2.id  # Ann < Bob
    assert ids(owner_id=b.id) == [c2.id]
    assert len(ids(sort="-channel")) == 3 and len(ids(sort="amount")) == 3
    page = client.get("/api/customers", params={"page_size": 2, "page": 2, "sort": "name"}, headers=h).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert client.get("/api/customers", params={"sort": "password"}, headers=h).status_code == 422
    assert client.get("/api/customers", params={"phone_tail": "12"}, headers=h).status_code == 422


def test_products_list_the_form_fields(db, client, products):
    sales = make_employee(db)
    r = client.get("/api/customers/products", headers=auth(sales))
    assert {p["code"] for p in r.json()} == set(products)
    house = next(p for p in r.json() if p["code"] == "house_mortgage")
    assert any(f["key"] == "mortgage_status" and f["required"] for f in house["form_fields"])


def test_search_by_full_phone_in_the_body_keeps_it_out_of_the_url(db, client):
    sales = make_employee(db)
    wanted = make_customer(db, sales, phone="13912345678", name="要找的")
    make_customer(db, sales, phone="13912340000", name="别的")
    gone = make_customer(db, sales, phone=phone(9), status=CustomerStatus.gone)

    r = client.post("/api/customers/search", json={"phone": "139 1234 5678"}, headers=auth(sales))
    assert r.status_code == 200 and "13912345678" not in str(r.request.url)
    assert [c["id"] for c in r.json()["items"]] == [wanted.id] and r.json()["items"][0]["phone"] == "139****5678"
    by_query = client.get("/api/customers", params={"phone": "13912345678"}, headers=auth(sales)).json()
    assert by_query == r.json()

    r = client.post("/api/customers/search", json={"status": "gone", "page_size": 5}, headers=auth(sales))
    assert [c["id"] for c in r.json()["items"]] == [gone.id] and r.json()["page_size"] == 5
    assert client.get("/api/customers", params={"status": "gone"}, headers=auth(sales)).json() == r.json() | {"page_size": 20}

    r = client.post("/api/customers/search", json={"phone": "12345"}, headers=auth(sales))
    assert r.status_code == 422 and r.json()["field"] == "phone"
    r = client.post("/api/customers/search", json={"mobile": "13912345678"}, headers=auth(sales))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mobile"]
    r = client.post("/api/customers/search", json={"phone_tail": "12a4"}, headers=auth(sales))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "phone_tail"]
