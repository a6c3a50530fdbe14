"""Learning from staff: corrections are kept with their text and move the profile; `scrm tagging train` trains on
them, keeps every model as a versioned artefact with its figures, refuses a model that is worse on the held-out
set or on recent corrections, and an administrator can roll back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from scrm.tagging import dataset, learning
from scrm.tagging import model as tagger
from scrm.tagging import pipeline, service
from scrm.tagging.models import TaggingCorrection, TaggingModel
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_employee

SMALL = 300  # template examples per training run: enough to fit, quick to run


def test_a_corrected_tag_is_kept_with_its_text_and_the_profile_follows(db):
    c = make_customer(db)
    service.tag_text(db, c.id, "客户说名下有套房，想借三十万", source="follow_up", source_key="f1")
    ev_id = db.scalar(select(service.TagEvidence.id).where(service.TagEvidence.customer_id == c.id))
    row = learning.record_correction(db, field_name="tag", tag="有房产", value=False, evidence_id=ev_id,
                                    customer_id=c.id)
    assert row.text == "客户说名下有套房，想借三十万" and row.previous == {"v": True} and row.value == {"v": False}
    profile = service.get_profile(db, c.id)
    assert "有房产" not in profile.tags
    retracted = profile.evidence["retracted"]["有房产"]
    assert retracted["stated"]["source_key"] == "f1" and retracted["denied"]["phrase"] == learning.STAFF_PHRASE
    learning.record_correction(db, field_name="intent", value="high", text="客户说下周来签", customer_id=c.id)
    assert service.get_profile(db, c.id).intent == "high"


def test_corrections_api_checks_each_field(db, client):
    sales = make_employee(db, "张三")
    c = make_customer(db, owner=sales)
    ok = client.post("/api/tagging/corrections", headers=auth(sales),
                     json={"field": "product", "value": "车抵贷", "text": "车能借多少", "customer_id": c.id})
    assert ok.status_code == 201, ok.text
    assert ok.json()["value"] == {"v": "车抵贷"} and ok.json()["text"] == "车能借多少"
    for body, field in [({"field": "colour", "value": 1, "text": "x"}, "field"),
                        ({"field": "tag", "tag": "有飞机", "value": True, "text": "x"}, "tag"),
                        ({"field": "tag", "tag": "有房产", "value": "yes", "text": "x"}, "value"),
                        ({"field": "intent", "value": "urgent", "text": "x"}, "value"),
                        ({"field": "amount_yuan", "value": -5, "text": "x"}, "value"),
                        ({"field": "intent", "value": "high"}, "text")]:
        r = client.post("/api/tagging/corrections", headers=auth(sales), json=body)
        assert r.status_code == 422 and field in r.text, (body, r.text)
    assert db.scalar(select(TaggingCorrection.id).where(TaggingCorrection.field != "product")) is None
    # past what a row id, the profile's amount in fen or its term column holds: a 422 naming the field, nothing kept
    for body, field in [({"field": "intent", "value": "high", "text": "x", "customer_id": 2**63}, "customer_id"),
                        ({"field": "intent", "value": "high", "evidence_id": 2**64}, "evidence_id"),
                        ({"field": "amount_yuan", "value": 2**62, "text": "x", "customer_id": c.id}, "value"),
                        ({"field": "term_months", "value": 2**31, "text": "x", "customer_id": c.id}, "value")]:
        r = client.post("/api/tagging/corrections", headers=auth(sales), json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    assert db.scalar(select(TaggingCorrection.id).where(TaggingCorrection.field != "product")) is None
    ok = client.post("/api/tagging/corrections", headers=auth(sales),
                     json={"field": "amount_yuan", "value": 10**10, "text": "要一百亿", "customer_id": c.id})
    assert ok.status_code == 201, ok.text
    other = make_employee(db, "李四")
    r = client.post("/api/tagging/corrections", headers=auth(other),
                    json={"field": "intent", "value": "low", "text": "算了", "customer_id": c.id})
    assert r.status_code == 404


def test_corrections_train_the_next_model_which_is_activated_when_not_worse_and_rolled_back(db, tmp_path: Path):
    # the same unusual phrase corrected again and again: the model learns it
    for i in range(12):
        learning.record_correction(db, field_name="product", value="车抵贷", text=f"那台座驾{i}号能当多少")
    shipped = tagger.metadata()  # the same data set as the shipped model, plus the corrections
    first = learning.train_and_activate(db, models_dir=tmp_path, generated=shipped["generated"],
                                       seed=shipped["generator_seed"])
    assert first.model.metrics["report"]["corrections_trained"] == 12 - 12 // learning.RECENT_SHARE
    assert Path(first.model.path).exists() and first.model.version.startswith("tagger-1-")
    assert set(first.metrics["new"]) == {"heldout", "corrections"}
    assert first.metrics["new"]["heldout"]["n"] == len(dataset.labelled(dataset.HELD_OUT_SETS[0]))
    assert first.activated, first.reason
    assert first.reason == "activated: not worse than the shipped model"
    assert learning.active_model(db).id == first.model.id
    text = "那台座驾99号能当多少"
    assert pipeline.analyze(text, model_path=learning.active_model_path(db)).product == "车抵贷"

    second = learning.train_and_activate(db, models_dir=tmp_path, generated=shipped["generated"],
                                        seed=shipped["generator_seed"])
    assert second.activated, second.reason  # same data, same model: not worse
    assert learning.active_model(db).id == second.model.id
    back = learning.rollback_model(db)
    assert back.id == first.model.id and learning.active_model(db).id == first.model.id
    assert learning.rollback_model(db) is None and learning.active_model_path(db) is None  # the shipped model
    rows = db.scalars(select(TaggingModel).order_by(TaggingModel.id)).all()
    assert [r.retired_at is not None for r in rows] == [True, True]


def test_a_model_worse_on_recent_corrections_is_refused_and_the_command_says_why(db, tmp_path: Path):
    # older corrections teach a product for small talk; the newest ones say small talk names no product
    for i in range(20):
        learning.record_correction(db, field_name="product", value="经营贷", text=f"哈哈哈今天天气{i}真好呀")
    for i in range(5):
        learning.record_correction(db, field_name="product", value=None, text=f"哈哈哈今天天气{i + 50}真好呀")
    outcome = learning.train_and_activate(db, models_dir=tmp_path, generated=SMALL)
    assert not outcome.activated
    assert "recent corrections" in outcome.reason and outcome.reason.startswith("refused")
    assert learning.active_model(db) is None
    row = db.get(TaggingModel, outcome.model.id)
    assert row.note == outcome.reason and Path(row.path).exists()  # the artefact and its figures are kept
    assert row.metrics["new"]["corrections"]["agree"] < row.metrics["current"]["corrections"]["agree"]


def test_rollback_with_only_the_shipped_model_is_refused(db):
    try:
        learning.rollback_model(db)
    except service.ValidationFailed as exc:
        assert "回滚" in str(exc)
    else:
        raise AssertionError("a rollback with nothing to roll back must be refused")


def test_per_tag_precision_as_corrections_reveal_it(db, client):
    learning.record_correction(db, field_name="tag", tag="有房产", value=False, text="房子是租的，想借点钱")  # not read
    learning.record_correction(db, field_name="tag", tag="有房产", value=True, text="名下有套房")  # confirmed
    learning.record_correction(db, field_name="tag", tag="有房产", value=False, text="客户说名下有套房，其实是他爸的")
    learning.record_correction(db, field_name="intent", value="low", text="急用，今天就要")
    got = client.get("/api/tagging/precision", headers=auth(make_employee(db, "王经理")))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["有房产"] == {"confirmed": 1, "removed": 1, "added": 0, "precision": 0.5}
    assert body["高意向"]["removed"] == 1 and body["低意向"]["added"] == 1
