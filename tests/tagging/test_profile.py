"""Evidence into the profile: newer statements win, behaviour moves the intent, changes reach the timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from scrm.core.db import utcnow
from scrm.core.events import OutboxEvent
from scrm.customers.models import CustomerStatus, TimelineEntry
from scrm.tagging import pipeline, service, tasks
from scrm.tagging.models import CustomerProfile, CustomerTag, Tag
from tests.factories.customers import make_customer


def test_conflicting_statements_over_time_newer_wins(db):
    c = make_customer(db)
    t0 = utcnow() - timedelta(days=2)
    # told out of order: the later statement is read first
    service.tag_text(db, c.id, "房子卖了，想借30万，分3年，我在济南", source="message", source_key="m2",
                     at=t0 + timedelta(hours=5))
    p = service.tag_text(db, c.id, "我有套房，想贷50万，急用", source="message", source_key="m1", at=t0)
    assert "有房产" not in p.tags
    assert p.amount_fen == 300000 * 100 and p.term_months == 36 and p.city == "济南"
    assert p.evidence["amount_yuan"]["source_key"] == "m2"
    p = service.tag_text(db, c.id, "现在又有一套房了，额度要80万", source="follow_up", source_key="f1", at=t0 + timedelta(days=1))
    assert "有房产" in p.tags and p.amount_fen == 80000000 and p.term_months == 36
    assert p.evidence["有房产"]["source_key"] == "f1" and p.evidence["有房产"]["phrase"]


def test_replayed_text_changes_nothing_and_changes_are_timeline_entries_and_events(db):
    c = make_customer(db)
    assert service.tag_text(db, c.id, "征信有逾期，想贷20万", source="message", source_key="k1") is not None
    assert service.tag_text(db, c.id, "征信有逾期，想贷20万", source="message", source_key="k1") is None
    service.tag_text(db, c.id, "征信没问题了，已经结清", source="message", source_key="k2")
    entries = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == c.id,
                                                     TimelineEntry.kind == "profile_changed")
                         .order_by(TimelineEntry.id)).all()
    assert len(entries) == 2
    assert "新增标签" in entries[0].summary and "征信逾期" in entries[0].summary
    assert "移除标签 征信逾期" in entries[1].summary
    payloads = [e.payload for e in db.scalars(select(OutboxEvent).where(OutboxEvent.name == "profile.changed")
                                              .order_by(OutboxEvent.id))]
    assert [p["customer_id"] for p in payloads] == [c.id, c.id]
    assert "征信逾期" not in payloads[-1]["tags"]


def test_intent_follows_behaviour(db):
    c = make_customer(db)
    now = utcnow()
    p = service.tag_text(db, c.id, "先了解一下", source="message", source_key="a", at=now - timedelta(days=3))
    assert p.intent == "low"
    p = service.record_behaviour(db, c.id, "application_submitted", source_key="app-1", at=now - timedelta(days=1))
    assert p.intent == "high" and p.evidence["intent"]["phrase"] == "application_submitted"
    p = service.record_behaviour(db, c.id, "deleted_salesperson", source_key="del-1", at=now)
    assert p.intent == "low"
    quiet = make_customer(db)
    service.tag_text(db, quiet.id, "想做信用贷", source="message", source_key="q", at=now - timedelta(days=45))
    assert service.get_profile(db, quiet.id).intent == "low"  # medium, a step down after 30 days of silence
    busy = make_customer(db)
    for i in range(3):
        service.record_behaviour(db, busy.id, "replied", source_key=f"r{i}", at=now - timedelta(hours=i))
    assert service.get_profile(db, busy.id).intent == "high"


def test_gone_customer_is_low_intent_on_reprofile(db):
    c = make_customer(db)
    service.tag_text(db, c.id, "很急，要50万", source="message", source_key="x")
    c.status = CustomerStatus.gone
    counts = service.reprofile_all(db, batch_size=1)
    assert counts["changed"] >= 1
    assert service.get_profile(db, c.id).intent == "low"
    assert service.reprofile_all(db)["changed"] == 0  # nothing new: nothing changes


def test_tag_text_job_is_idempotent_and_keeps_local_pipeline_tags(committed_db):
    c = make_customer(committed_db)
    committed_db.commit()
    assert tasks.tag_text(c.id, "我有车，想做车抵贷，借8万", "message", "job-1") is True
    assert tasks.tag_text(c.id, "我有车，想做车抵贷，借8万", "message", "job-1") is False
    committed_db.expire_all()
    names = committed_db.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                                 .where(CustomerTag.customer_id == c.id, CustomerTag.source == "pipeline")).all()
    # no WeCom configured: the sync job keeps the local record only
    assert set(names) == {"车抵贷", "有车辆", "中意向"}
    profile = committed_db.scalars(select(CustomerProfile).where(CustomerProfile.customer_id == c.id)).one()
    assert profile.amount_fen == 8000000


def test_reprofile_rebuilds_missing_profiles_in_batches_without_duplicating_history(db):
    customers = [make_customer(db) for _ in range(5)]
    for i, c in enumerate(customers):
        service.tag_text(db, c.id, f"我有套房，想做房抵贷，贷{i + 1}0万", source="message", source_key=f"m{i}")
    ids = [c.id for c in customers]
    db.execute(delete(CustomerProfile).where(CustomerProfile.customer_id.in_(ids)))
    before = db.scalar(select(func.count()).select_from(TimelineEntry).where(TimelineEntry.customer_id.in_(ids),
                                                                             TimelineEntry.kind == "profile_changed"))
    counts = service.reprofile_all(db, batch_size=2)
    assert counts["changed"] >= 5
    for i, c in enumerate(customers):
        profile = service.get_profile(db, c.id)
        assert profile.product == "房抵贷" and profile.amount_fen == (i + 1) * 10 * 10000 * 100
        assert "有房产" in profile.tags and profile.evidence["有房产"]["phrase"]
    after = db.scalar(select(func.count()).select_from(TimelineEntry).where(TimelineEntry.customer_id.in_(ids),
                                                                            TimelineEntry.kind == "profile_changed"))
    assert after == before == 5  # the same profile from the same evidence: history is not written twice
    assert service.reprofile_all(db)["changed"] == 0


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_two_jobs_reading_one_customer_at_once_leave_a_profile_with_both(committed_db):
    """A text and a behaviour for one customer, processed by two workers at the same moment: the
    stored profile reflects both, whichever commits last."""
    import threading

    from sqlalchemy import text as sql

    from scrm.core.db import new_session, session_scope

    c = make_customer(committed_db)
    committed_db.commit()
    assert tasks.tag_text(c.id, "想咨询一下贷款", "message", "earlier") is True

    first = new_session()
    service.tag_text(first, c.id, "我有车，想做车抵贷，借8万", source="message", source_key="first")
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            with session_scope() as s:
                service.record_behaviour(s, c.id, "visit", source_key="second")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    second = threading.Thread(target=second_worker)
    second.start()

    def second_waits_for_a_lock() -> bool:
        with session_scope() as s:
            return bool(s.scalar(sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND wait_event_type = 'Lock'")))

    _wait_for(lambda: not second.is_alive() or second_waits_for_a_lock())
    first.commit()
    first.close()
    second.join(30)
    assert not second.is_alive() and errors == []

    with session_scope() as s:
        profile, changes = service.recompute_profile(s, c.id)
        assert changes == {}, "the stored profile missed evidence one of the jobs wrote"
        assert profile.amount_fen == 8000000 and profile.intent == "high"


def test_many_profiles_recomputed_at_once_match_one_at_a_time_on_both_databases(committed_any):
    """A risk rule tagging its matches recomputes their profiles together; each must come out as the one-customer
    recompute makes it, and a profile already loaded in the session must show the new values."""
    db = committed_any
    fresh, grown, lost, untouched = (make_customer(db) for _ in range(4))
    for c in (grown, lost, untouched):
        service.tag_text(db, c.id, "我有套房，想贷30万", source="message", source_key=f"start-{c.id}")
    loaded = service.get_profile(db, grown.id)
    later = utcnow() + timedelta(minutes=1)
    analyzed = {c.id: pipeline.analyze(text).to_evidence() for c, text in (
        (fresh, "征信有逾期，想做车抵贷，借8万"), (grown, "额度改成50万，分3年，人在济南"), (lost, "房子上个月卖了"))}
    for customer_id, evidence in analyzed.items():
        service.add_evidence(db, customer_id, "message", f"later-{customer_id}", later, "…", evidence)
    db.execute(delete(CustomerProfile).where(CustomerProfile.customer_id == lost.id))  # and its profile gone
    db.commit()
    assert loaded.amount_fen == 300000 * 100  # loaded again after the commit, as the session holds it now
    ids = [c.id for c in (fresh, grown, lost, untouched)]
    entries_before = _profile_entries(db, ids)

    assert service.recompute_profiles(db, ids) == 3
    assert loaded.amount_fen == 500000 * 100 and loaded.term_months == 36 and loaded.city == "济南"
    db.commit()

    assert "征信逾期" in service.get_profile(db, fresh.id).tags
    assert "有房产" not in service.get_profile(db, lost.id).tags
    assert _profile_entries(db, ids) - entries_before == 3  # untouched had nothing new
    for customer_id in ids:  # one at a time now finds nothing left to change
        assert service.recompute_profile(db, customer_id)[1] == {}
    assert service.recompute_profiles(db, ids) == 0


def _profile_entries(db, ids) -> int:
    return db.scalar(select(func.count()).select_from(TimelineEntry).where(TimelineEntry.customer_id.in_(ids),
                                                                           TimelineEntry.kind == "profile_changed"))
