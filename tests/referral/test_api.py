"""The staff referral API: roles, rules with validation, commissions, leaderboard and cost per channel."""

from __future__ import annotations

from decimal import Decimal

from scrm.channels.models import Channel, ChannelKind
from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_employee
from tests.factories.referral import refer
from tests.miniprogram_api.helpers import settle


def test_rules_are_for_managers_and_validated(db, client, products):
    manager = auth(make_employee(db, role=Role.manager))
    assert client.get("/api/referral/rules", headers=auth(make_employee(db))).status_code == 403
    assert client.get("/api/referral/rules", headers=auth(make_employee(db, role=Role.finance))).status_code == 403
    r = client.post("/api/referral/rules", headers=manager, json={
        "name": "", "kind": "percent", "rate_percent": "120", "level": 3, "product_code": "yacht"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"name", "level", "product_code", "rate_percent"}
    r = client.post("/api/referral/rules", headers=manager, json={"name": "固定", "kind": "fixed"})
    assert r.status_code == 422 and r.json()["field"] == "fixed_amount"
    r = client.post("/api/referral/rules", headers=manager, json={
        "name": "信用贷", "kind": "percent", "rate_percent": "5", "product_code": "credit", "cap_amount": "800"})
    assert r.status_code == 201, r.text
    rule = r.json()
    assert Decimal(rule["rate_percent"]) == 5
    assert rule["cap_amount"] == "800.00"
    dup = client.post("/api/referral/rules", headers=manager, json={
        "name": "重复", "kind": "fixed", "fixed_amount": "50", "product_code": "credit"})
    assert dup.status_code == 409
    r = client.patch(f"/api/referral/rules/{rule['id']}", headers=manager, json={"kind": "fixed", "fixed_amount": "66.6"})
    assert r.status_code == 200 and r.json()["fixed_amount"] == "66.60" and r.json()["rate_percent"] is None
    assert client.delete(f"/api/referral/rules/{rule['id']}", headers=manager).json()["active"] is False
    assert client.get("/api/referral/rules", headers=manager).json() == []
    assert client.patch("/api/referral/rules/999999", headers=manager, json={"name": "x"}).status_code == 404


def test_finance_sees_commissions_and_managers_the_figures(db, client, products):
    manager = auth(make_employee(db, role=Role.manager))
    finance = auth(make_employee(db, role=Role.finance))
    client.post("/api/referral/rules", headers=manager, json={"name": "全部", "kind": "percent", "rate_percent": "10"})
    channel = Channel(name="朋友圈海报", kind=ChannelKind.poster, state="ch_poster", welcome={}, auto_tags=[],
                      team_employee_ids=[])
    db.add(channel)
    db.flush()
    top, second = make_customer(db, name="大王"), make_customer(db, name="小李")
    friends = [refer(db, top, channel_id=channel.id), refer(db, top), refer(db, second)]
    db.commit()
    for friend, fee in zip(friends, [300_000, 100_000, 50_000]):
        settle(db, friend.id, fee_fen=fee)
    rows = client.get("/api/referral/commissions?state=confirmed", headers=finance).json()
    assert sorted(Decimal(r["amount"]) for r in rows) == [Decimal("50.00"), Decimal("100.00"), Decimal("300.00")]
    assert client.get("/api/referral/commissions", headers=auth(make_employee(db))).status_code == 403
    history = client.get(f"/api/referral/commissions/{rows[0]['id']}/history", headers=finance).json()
    assert [h["to_state"] for h in history] == ["pending", "confirmed"]
    board = client.get("/api/referral/leaderboard", headers=manager).json()
    assert [(b["name"], b["referred"], b["earned"]) for b in board] == [("大王", 2, "400.00"), ("小李", 1, "50.00")]
    assert client.get("/api/referral/leaderboard", headers=finance).status_code == 403
    cost = {r["channel"]: r for r in client.get("/api/referral/cost-by-channel", headers=manager).json()}
    assert cost["朋友圈海报"]["cost"] == "300.00" and cost["小程序/无渠道"]["cost"] == "150.00"
