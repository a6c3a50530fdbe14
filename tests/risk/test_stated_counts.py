"""Counts a customer states in a chat ("近3个月征信查询了12次") become risk facts with the words that said them: the
seed rule 征信查询过多, written through the API, fires on them with that evidence; what staff enter wins; the newest
statement wins. On PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

import pytest

from scrm.tagging import counts
from scrm.tagging.text import normalize
from tests.factories.customers import make_customer
from tests.factories.org import auth
from tests.risk.conftest import FULL, make_staff, write_seed_rules


@pytest.mark.pure
@pytest.mark.parametrize("text, expected", [
    ("近3个月征信查询了12次", {"inquiries_3m": (12, "近3个月征信查询了12次")}),
    ("一个月查了八次", {"inquiries_1m": (8, "一个月查了八次")}),
    ("查询了十几次", {"inquiries_6m": (12, "查询了十几次")}),  # no window said: the last 6 months
    ("逾期3次", {"overdue_count": (3, "逾期3次")}),
    ("有5个网贷", {"online_loans": (5, "5个网贷")}),
    ("近三个月查了12次，逾期过2次，网贷有五六个", {"inquiries_3m": (12, "近三个月查了12次"),
                                         "overdue_count": (2, "逾期过2次"), "online_loans": (6, "网贷有五六个")}),
    ("3个月查了5次 半年查了9次", {"inquiries_3m": (5, "3个月查了5次"), "inquiries_6m": (9, "半年查了9次")}),
    ("我老公逾期3次", {}),  # someone else's
    ("近一年查了30次", {}),  # a window the facts do not keep
    ("逾期30天，贷30万3年", {}),  # a duration and a term are no counts
])
def test_counts_read_from_text(text, expected):
    got = counts.extract(normalize(text))
    assert {k: (v["value"], v["phrase"]) for k, v in got.items()} == expected


def _chat(client, staff, customer_id, text):
    answer = client.post(f"/api/customers/{customer_id}/follow-ups", json={"kind": "wechat", "content": text},
                         headers=auth(staff.sales))
    assert answer.status_code == 201, answer.text


def _risk(client, staff, customer_id):
    answer = client.get(f"/api/customers/{customer_id}/risk", headers=auth(staff.sales))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_chat_count_fires_the_seed_rule_with_the_words_as_evidence(committed_any, any_client):
    db, client = committed_any, any_client
    staff = make_staff(db)
    said, quiet = make_customer(db, staff.sales, "聊天客户"), make_customer(db, staff.sales, "少查客户")
    db.commit()
    write_seed_rules(client, staff)
    for customer in (said, quiet):  # materials and social security on file, so only the inquiries can fire
        client.patch(f"/api/customers/{customer.id}/risk/facts", json={"materials": FULL, "social_security_months": 30},
                     headers=auth(staff.sales)).raise_for_status()

    _chat(client, staff, said.id, "我近3个月征信查询了12次，能做吗")
    _chat(client, staff, quiet.id, "近3个月征信查了3次")

    risk = _risk(client, staff, said.id)
    assert risk["facts"]["inquiries_3m"] == 12
    assert risk["facts"]["from_text"]["inquiries_3m"]["phrase"] == "近3个月征信查询了12次"
    assert "查询过多" in risk["profile"]["tags"] and "高风险" in risk["profile"]["tags"]
    assert [f["rule_name"] for f in risk["firings"]] == ["征信查询过多"]
    evidence = risk["firings"][0]["evidence"]
    assert evidence["inquiries_3m"] == 12
    assert evidence["from_text"]["inquiries_3m"]["phrase"] == "近3个月征信查询了12次"
    assert evidence["from_text"]["inquiries_3m"]["source"] == "follow_up"
    quiet_risk = _risk(client, staff, quiet.id)
    assert quiet_risk["facts"]["inquiries_3m"] == 3 and quiet_risk["firings"] == []

    # staff enter the figure from the credit report: it wins over the chat, and the rule stops matching
    client.patch(f"/api/customers/{said.id}/risk/facts", json={"inquiries_3m": 4},
                 headers=auth(staff.sales)).raise_for_status()
    risk = _risk(client, staff, said.id)
    assert risk["facts"]["inquiries_3m"] == 4 and risk["facts"]["from_text"] == {}
    assert risk["matching_rules"] == []
    _chat(client, staff, said.id, "其实近3个月查了15次")  # a newer chat does not override what staff entered
    assert _risk(client, staff, said.id)["facts"]["inquiries_3m"] == 4

    # cleared, the chat's newest figure shows again, and the rule fires again with its words
    client.patch(f"/api/customers/{said.id}/risk/facts", json={"inquiries_3m": None},
                 headers=auth(staff.sales)).raise_for_status()
    risk = _risk(client, staff, said.id)
    assert risk["facts"]["inquiries_3m"] == 15
    assert risk["firings"][0]["evidence"]["from_text"]["inquiries_3m"]["phrase"] == "近3个月查了15次"
    assert len(risk["firings"]) == 2


def test_the_newest_chat_statement_wins(committed_any, any_client):
    db, client = committed_any, any_client
    staff = make_staff(db)
    customer = make_customer(db, staff.sales, "改口客户")
    db.commit()
    write_seed_rules(client, staff)
    _chat(client, staff, customer.id, "近3个月查询了12次")
    assert _risk(client, staff, customer.id)["matching_rules"][:1] == ["征信查询过多"]
    _chat(client, staff, customer.id, "说错了，近3个月只查了2次，逾期1次")
    risk = _risk(client, staff, customer.id)
    assert risk["facts"]["inquiries_3m"] == 2 and risk["facts"]["overdue_count"] == 1
    assert "征信查询过多" not in risk["matching_rules"]
