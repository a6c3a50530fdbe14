"""``scrm tag`` over stdin/stdout in a real subprocess, and POST /api/tagging/preview."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.factories.customers import make_customer
from tests.factories.org import auth, make_employee

KEYS = {"text", "tags", "product", "intent", "amount_yuan", "term_months", "city"}


def run_tag(stdin: str) -> subprocess.CompletedProcess:
    # `scrm tag` is scrm.tagging.cli:tag_command mounted on the scrm app; the module runs the same function
    return subprocess.run([sys.executable, "-m", "scrm.tagging.cli", "tag"], input=stdin, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.pure
def test_scrm_tag_writes_one_line_per_input():
    lines = [{"text": "我在济南，名下有套房，想周转个五十万，急用"}, {"text": "你好"},
             {"text": "没有房，征信没问题，想借三万五，分24期，先了解一下"}]
    done = run_tag("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert done.returncode == 0, done.stderr
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(out) == 3 and all(set(o) == KEYS for o in out)
    assert out[0]["product"] == "房抵贷" and out[0]["intent"] == "high" and out[0]["amount_yuan"] == 500000
    assert out[0]["city"] == "济南" and "有房产" in out[0]["tags"]
    assert out[1]["amount_yuan"] is None and out[1]["term_months"] is None and out[1]["city"] is None
    assert out[2]["intent"] == "low" and out[2]["term_months"] == 24 and "有房产" not in out[2]["tags"]


@pytest.mark.pure
def test_scrm_tag_names_bad_lines_and_fails_at_the_end():
    done = run_tag('{"text": "想贷50万"}\n{not json\n["text"]\n{"text": "3年"}\n')
    assert done.returncode == 1
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["amount_yuan"] == 500000 and out[3]["term_months"] == 36
    assert out[1]["line"] == 2 and "line 2" in out[1]["error"]
    assert out[2]["line"] == 3 and "line 3" in out[2]["error"]
    assert "line 2" in done.stderr and "2 bad line(s)" in done.stderr


def test_preview_api(db, client):
    sales = make_employee(db, "张三")
    r = client.post("/api/tagging/preview", json={"texts": ["坐标杭州，公积金交了五年，想贷一百二十万，分十年"]},
                    headers=auth(sales))
    assert r.status_code == 200, r.text
    [res] = r.json()["results"]
    assert res["amount_yuan"] == 1200000 and res["term_months"] == 120 and res["city"] == "杭州"
    assert "有公积金" in res["tags"] and res["intent"] in ("high", "medium", "low")
    assert client.post("/api/tagging/preview", json={"texts": ["x"]}).status_code == 401
    assert client.post("/api/tagging/preview", json={"texts": []}, headers=auth(sales)).status_code == 422
    assert client.post("/api/tagging/preview", json={"texts": ["x"], "extra": 1},
                       headers=auth(sales)).status_code == 422


def test_profile_api_respects_scope(db, client):
    from scrm.tagging import service

    owner, other = make_employee(db, "张三"), make_employee(db, "李四")
    c = make_customer(db, owner=owner)
    assert client.get(f"/api/tagging/profiles/{c.id}", headers=auth(owner)).status_code == 404
    service.tag_text(db, c.id, "想做经营贷，300万", source="message", source_key="m")
    r = client.get(f"/api/tagging/profiles/{c.id}", headers=auth(owner))
    assert r.status_code == 200 and r.json()["product"] == "经营贷" and r.json()["amount_fen"] == 300000000
    assert r.json()["evidence"]["product"]["source_key"] == "m"
    assert client.get(f"/api/tagging/profiles/{c.id}", headers=auth(other)).status_code == 404
