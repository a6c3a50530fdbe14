"""Importing and reconciling the customers a company already has on WeCom, against the sandbox WeCom's
company (scrm.sandbox.wecom.company), whose batch/get_by_user answers in the shape WeCom documents
(批量获取客户详情, https://developer.work.weixin.qq.com/document/path/92994: ``external_contact_list`` of
``external_contact`` + one member's ``follow_info``, ``next_cursor``, at most 100 a page)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from loan_scrm.cli import app as cli_app
from loan_scrm import scheduler
from loan_scrm.scheduler import PERIODIC
from scrm.bot.models import Notification
from scrm.core import events, jobs
from scrm.customers.models import Customer, CustomerFollow, FollowStatus, TimelineEntry
from scrm.ingress import importer
from scrm.ingress import tasks as ingress_tasks
from scrm.ingress.models import ImportKind, ImportStatus, WecomImportCursor, WecomImportRun
from scrm.org.models import Employee
from scrm.sandbox.wecom.company import external_userid, follower_userid, seed_company
from scrm.sop import service as sop_service
from scrm.sop.models import SopTask
from scrm.tagging.models import CustomerTag, Tag, TagEvidence
from scrm.wecom.client import flush_call_log

BATCH = "externalcontact/batch/get_by_user"


@pytest.fixture
def unpaced(settings_env):
    settings_env(SCRM_WECOM_IMPORT_PAGES_PER_MINUTE="0")


def count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def state(db) -> dict:
    """What a second run must leave as it is."""
    return {"customers": count(db, Customer), "follows": count(db, CustomerFollow),
            "active": count(db, CustomerFollow, CustomerFollow.status == FollowStatus.active),
            "timeline": count(db, TimelineEntry), "tags": count(db, CustomerTag),
            "evidence": count(db, TagEvidence), "events": count(db, events.OutboxEvent)}


def assert_company_imported(db, company) -> None:
    assert count(db, Customer) == company.customers
    assert count(db, Customer, Customer.wecom_external_userid.is_not(None)) == company.customers
    assert count(db, CustomerFollow, CustomerFollow.status == FollowStatus.active) == company.follows
    owned = dict(db.execute(select(Customer.wecom_external_userid, Employee.wecom_userid)
                            .join(Employee, Employee.id == Customer.owner_id)).all())
    # every customer owned by the member who added it first (the sandbox's first follower of customer i)
    for i in range(0, company.customers, max(1, company.customers // 200)):
        assert owned[external_userid(i)] == follower_userid(i % company.followers)


# Tests whose customers have texts use committed data: the tag sync the pipeline queues calls mark_tag from
# several threads at once, which one rolled-back connection cannot serve.


def test_import_of_20000_customers_creates_each_once(committed_db, sandbox_wecom, unpaced):
    db = committed_db
    # remarks and descriptions are left out here: read inline, the pipeline would take most of the time (the
    # tagged test below covers them)
    company = seed_company(sandbox_wecom, 20_000, 50, text_every=0)

    figures = ingress_tasks.run_import(ImportKind.import_)

    assert figures["status"] == "done"
    assert figures["customers_added"] == 20_000
    assert figures["rows_read"] == company.follows
    assert figures["followers_done"] == figures["followers"] == 50
    assert_company_imported(db, company)
    assert count(db, CustomerTag) == 20_000 // 10  # the customers' corp tags
    assert sandbox_wecom.call_count(BATCH) == figures["pages"]


def test_interrupted_import_resumes_from_its_checkpoints(committed_db, sandbox_wecom, unpaced):
    db = committed_db
    company = seed_company(sandbox_wecom, 3000, 6)
    pages_seen = []

    def fail_halfway(figures):
        pages_seen.append(figures["pages"])
        if figures["pages"] == 16:  # the sandbox fails the next page: WeCom's answer to a bad request
            sandbox_wecom.inject(BATCH, errcode=40058, errmsg="invalid Request Parameter")

    with pytest.raises(Exception, match="40058"):
        ingress_tasks.run_import(ImportKind.import_, on_page=fail_halfway)
    run = db.scalars(select(WecomImportRun)).one()
    assert run.status == ImportStatus.failed and "40058" in run.error
    assert 0 < count(db, Customer) < company.customers
    calls_before = sandbox_wecom.call_count(BATCH)

    figures = ingress_tasks.run_import(ImportKind.import_)

    assert figures["run_id"] == run.id and figures["status"] == "done"
    assert_company_imported(db, company)
    # carried on from the checkpoint: the pages read before the failure were not read again
    expected_pages = sum(-(-n // importer.PAGE_SIZE) for n in (
        count(db, CustomerFollow, CustomerFollow.employee_id == e.id) for e in db.scalars(select(Employee))) if n)
    assert figures["pages"] == expected_pages
    assert sandbox_wecom.call_count(BATCH) - calls_before == expected_pages - 16


def test_stopped_import_finishes_on_the_next_run_and_a_third_changes_nothing(db, sandbox_wecom, unpaced):
    company = seed_company(sandbox_wecom, 2000, 5, text_every=0)
    pages = []
    stopped = ingress_tasks.run_import(ImportKind.import_, should_stop=lambda: len(pages) >= 7,
                                       on_page=lambda f: pages.append(f))
    assert stopped["status"] == "stopped" and stopped["pages"] == 7
    assert count(db, WecomImportCursor, WecomImportCursor.done.is_(False)) > 0

    done = ingress_tasks.run_import(ImportKind.import_)
    assert done["run_id"] == stopped["run_id"] and done["status"] == "done"
    assert_company_imported(db, company)
    before = state(db)

    again = ingress_tasks.run_import(ImportKind.import_)

    assert again["run_id"] != done["run_id"] and again["status"] == "done"
    assert again["customers_added"] == again["customers_updated"] == again["owners_changed"] == 0
    assert again["rows_read"] == company.follows
    assert state(db) == before


def test_nightly_run_repairs_what_lost_callbacks_left(db, sandbox_wecom, unpaced):
    company = seed_company(sandbox_wecom, 300, 3, text_every=0)
    ingress_tasks.run_import(ImportKind.import_)
    corp = sandbox_wecom.corp
    # while callbacks were lost: a single-follower customer deleted by their salesperson, a shared customer's
    # owner deleted (the next follower takes over), and a customer added
    lone, shared = external_userid(1), external_userid(0)
    assert len(corp.contacts[shared].follows) > 1 and len(corp.contacts[lone].follows) == 1
    with corp.lock:
        del corp.contacts[lone].follows[follower_userid(1)]
        del corp.contacts[shared].follows[follower_userid(0)]
    added = sandbox_wecom.seed_external_contact("新客户", [{"userid": follower_userid(2), "createtime": 1700000000}])

    figures = ingress_tasks.reconcile_nightly()

    assert figures["status"] == "done" and figures["kind"] == "reconcile"
    assert (figures["customers_added"], figures["follows_ended"], figures["owners_changed"]) == (1, 2, 1)
    db.expire_all()
    staff = {e.wecom_userid: e.id for e in db.scalars(select(Employee))}
    lone_customer = db.scalars(select(Customer).where(Customer.wecom_external_userid == lone)).one()
    assert lone_customer.status.value == "gone"
    ended = db.scalars(select(CustomerFollow).where(CustomerFollow.customer_id == lone_customer.id)).one()
    assert ended.status == FollowStatus.deleted_by_staff
    assert "每日核对" in db.scalars(select(TimelineEntry.summary).where(
        TimelineEntry.customer_id == lone_customer.id, TimelineEntry.kind == "follow_ended")).one()
    shared_customer = db.scalars(select(Customer).where(Customer.wecom_external_userid == shared)).one()
    assert shared_customer.owner_id == staff[follower_userid(1)]
    assert db.scalars(select(Customer).where(Customer.wecom_external_userid == added)).one().owner_id == \
        staff[follower_userid(2)]
    assert count(db, Customer) == company.customers + 1
    run = db.get(WecomImportRun, figures["run_id"])
    assert (run.customers_added, run.follows_ended, run.owners_changed) == (1, 2, 1)

    assert ingress_tasks.reconcile_nightly()["follows_ended"] == 0


def test_imported_customers_get_no_welcome_assignment_or_notice_and_are_tagged(committed_db, sandbox_wecom, unpaced):
    db = committed_db
    company = seed_company(sandbox_wecom, 40, 2, text_every=4, tag_every=4, shared_every=0)

    ingress_tasks.run_import(ImportKind.import_)

    assert count(db, Customer) == company.customers
    assert sandbox_wecom.welcome_messages == []
    assert count(db, Notification) == 0
    assert count(db, events.OutboxEvent, events.OutboxEvent.name.in_(["customer.created", "customer.assigned"])) == 0
    imported = db.scalars(select(TimelineEntry).where(TimelineEntry.kind == "imported")).all()
    assert len(imported) == company.customers
    # no first-contact deadline: the last contact is when the salesperson added them on WeCom
    assert count(db, Customer, Customer.last_contact_at.is_(None)) == 0
    sop_service.generate(db, now=datetime.now(timezone.utc) + timedelta(days=3))
    assert count(db, SopTask, SopTask.kind == "sla_escalation") == 0
    # the salespeople's corp tags, and their remarks and descriptions read by the pipeline
    tagged = db.scalars(select(Customer).where(Customer.wecom_external_userid == external_userid(4))).one()
    assert db.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                      .where(CustomerTag.customer_id == tagged.id)).all()
    sources = set(db.scalars(select(TagEvidence.source).where(TagEvidence.customer_id == tagged.id)))
    assert {"remark", "description"} <= sources


def test_a_callback_for_an_imported_customer_updates_the_same_record(db, sandbox_wecom, live_service, unpaced):
    seed_company(sandbox_wecom, 30, 2, shared_every=0, text_every=0)
    ingress_tasks.run_import(ImportKind.import_)
    ext = external_userid(3)
    customer_id = db.scalars(select(Customer.id).where(Customer.wecom_external_userid == ext)).one()

    sandbox_wecom.contact_edited(follower_userid(1), ext, remark="陈总-房抵")
    sandbox_wecom.contact_added(follower_userid(0), ext)

    db.expire_all()
    assert count(db, Customer) == 30
    follows = db.scalars(select(CustomerFollow).where(CustomerFollow.customer_id == customer_id)).all()
    assert sorted(f.remark or "" for f in follows) == ["", "陈总-房抵"]
    assert count(db, CustomerFollow, CustomerFollow.customer_id == customer_id,
                 CustomerFollow.status == FollowStatus.active) == 2


def test_import_on_the_embedded_default(committed_any, sandbox_wecom, unpaced):
    company = seed_company(sandbox_wecom, 500, 4)
    first = ingress_tasks.run_import(ImportKind.import_)
    assert first["customers_added"] == 500
    assert_company_imported(committed_any, company)
    again = ingress_tasks.run_import(ImportKind.import_)
    assert again["customers_added"] == again["customers_updated"] == 0
    with sandbox_wecom.corp.lock:
        del sandbox_wecom.corp.contacts[external_userid(1)].follows[follower_userid(1)]
    nightly = ingress_tasks.reconcile_nightly()
    assert (nightly["status"], nightly["follows_ended"], nightly["customers_added"]) == ("done", 1, 0)
    flush_call_log()  # SQLite's call records are written by a thread: none may reach the next test's database


def test_scrm_wecom_import_prints_its_figures_and_a_second_run_adds_nothing(committed_db, sandbox_wecom, unpaced):
    company = seed_company(sandbox_wecom, 250, 3, text_every=0)

    first = CliRunner().invoke(cli_app, ["wecom", "import"])
    again = CliRunner().invoke(cli_app, ["wecom", "import"])

    assert first.exit_code == 0, first.output
    assert (f"done: {company.follows} customer relationships read from 3/3 members; 250 customers added"
            in first.output)
    assert again.exit_code == 0 and "0 customers added, 0 updated" in again.output
    assert count(committed_db, Customer) == 250


@pytest.mark.pure
def test_the_nightly_reconcile_is_scheduled_at_two_in_the_morning_beijing_time():
    nightly = next(p for p in PERIODIC if p.job == "wecom.reconcile_nightly")
    assert jobs.registered(nightly.job) is ingress_tasks.reconcile_nightly
    # 18:00 UTC is 02:00 in Beijing: the slot turns then, not at midnight UTC
    day = 1_765_000_000 // 86400 * 86400
    slot = lambda t: int((t - nightly.offset_s) // nightly.every_s)  # noqa: E731
    assert slot(day + 18 * 3600 - 1) != slot(day + 18 * 3600) == slot(day + 86400 + 18 * 3600 - 1)


@pytest.mark.pure
def test_without_redis_a_restart_waits_for_the_next_night(monkeypatch):
    """On the embedded default the slots are claimed in the process: a restart must not read all of WeCom again."""
    monkeypatch.setattr(jobs, "get_redis", lambda: None)
    nightly = next(p for p in PERIODIC if p.job == "wecom.reconcile_nightly")
    start = 1_765_000_000 // 86400 * 86400 + 12 * 3600
    assert not scheduler.due(nightly, start)
    assert not scheduler.due(nightly, start + 3600)
    assert scheduler.due(nightly, start + 6 * 3600)  # 02:00 Beijing time
    assert not scheduler.due(nightly, start + 6 * 3600 + 60)


def test_the_sandbox_cursor_points_past_the_last_customer_returned(sandbox_wecom, wecom_client):
    """batch/get_by_user's ``next_cursor`` is opaque (document 92994: "用于分页查询的游标，字符串类型，由上一次调用返回"):
    customers deleted between two pages neither shift the rest nor make any repeat."""
    seed_company(sandbox_wecom, 250, 1, shared_every=0)
    first = wecom_client.customers.batch_get_by_user([follower_userid(0)], limit=100)
    seen = [item["external_contact"]["external_userid"] for item in first["external_contact_list"]]
    assert seen == [external_userid(i) for i in range(100)] and first["next_cursor"]
    with sandbox_wecom.corp.lock:
        for i in (3, 50, 150):
            del sandbox_wecom.corp.contacts[external_userid(i)].follows[follower_userid(0)]

    second = wecom_client.customers.batch_get_by_user([follower_userid(0)], cursor=first["next_cursor"], limit=100)

    rest = [item["external_contact"]["external_userid"] for item in second["external_contact_list"]]
    assert rest == [external_userid(i) for i in range(100, 201) if i != 150]


def test_the_nightly_run_ends_nothing_of_a_member_whose_customers_wecom_withholds(db, sandbox_wecom, unpaced):
    """batch/get_by_user names members without an interface licence in ``fail_info.unlicensed_userid_list``
    (document 92994) and lists none of their customers: that is no deletion."""
    seed_company(sandbox_wecom, 60, 2, text_every=0)
    ingress_tasks.run_import(ImportKind.import_)
    active = count(db, CustomerFollow, CustomerFollow.status == FollowStatus.active)
    sandbox_wecom.corp.users[follower_userid(1)].licensed = False

    figures = ingress_tasks.reconcile_nightly()

    assert figures["status"] == "done" and figures["follows_ended"] == 0
    assert count(db, CustomerFollow, CustomerFollow.status == FollowStatus.active) == active
    assert db.scalars(select(WecomImportCursor.unlicensed).where(
        WecomImportCursor.run_id == figures["run_id"], WecomImportCursor.userid == follower_userid(1))).one()
