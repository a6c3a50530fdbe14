"""The bot against the sandbox WeCom: commands typed to the app arrive as real encrypted callbacks and
are answered with app messages; notifications are batched into one digest per person per flush."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from scrm.assignment.events import CustomerAssigned
from scrm.bot import service as bot_service
from scrm.bot import tasks as bot_tasks
from scrm.bot.models import BotMessage, Notification
from scrm.core import events
from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.events import CustomerFollowEnded
from scrm.customers.models import FollowUp, Stage
from scrm.groups.models import CustomerTier
from scrm.org.models import Role
from scrm.sop import service as sop_service
from scrm.sop.events import SlaBreached
from scrm.tagging.models import CustomerProfile
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

CST = timezone(timedelta(hours=8))


@pytest.fixture
def team(db, sandbox_wecom, wecom_client, a_schedule):
    dept = make_department(db)
    people = {}
    for userid, name, role in [("zhangsan", "张三", Role.sales), ("lisi", "李四", Role.sales),
                               ("boss", "王主管", Role.supervisor)]:
        sandbox_wecom.seed_user(userid, name)
        people[userid] = make_employee(db, name, role=role, department=dept, wecom_userid=userid)
    return people


@pytest.fixture
def bot(team, live_service, sandbox_wecom):
    """Send a text to the app as ``userid`` and return the bot's replies to that user."""

    def say(userid: str, text: str) -> list[str]:
        before = len(sandbox_wecom.messages)
        sent = sandbox_wecom.app_message(userid, text)
        assert sent.delivery.ok
        return [m["text"]["content"] for m in sandbox_wecom.messages[before:] if m["touser"] == [userid]]

    return say


def customer_with_profile(db, owner, name, phone, **profile):
    customer = make_customer(db, owner, name, phone, stage=Stage.contacted)
    db.add(CustomerProfile(customer_id=customer.id, evidence={}, **{"intent": "high", "tags": [], **profile}))
    db.add(CustomerTier(customer_id=customer.id, tier="A", updated_at=utcnow()))
    db.flush()
    return customer


def test_help_and_unknown_commands(bot):
    (reply,) = bot("zhangsan", "帮助")
    assert "今日任务" in reply and "查客户" in reply and "跟进" in reply
    (reply,) = bot("zhangsan", "发工资了吗")
    assert reply.startswith("没看懂「发工资了吗」") and "可用命令" in reply


def test_today_tasks(db, bot, team):
    assert bot("zhangsan", "今日任务") == ["今天没有待办任务。"]
    customer = customer_with_profile(db, team["zhangsan"], "赵六", "13912345678")
    sop_service.generate(db)
    (reply,) = bot("zhangsan", "今日任务")
    assert reply.startswith("今日任务 1 项") and "赵六" in reply and customer.name in reply
    assert bot("lisi", "今日任务") == ["今天没有待办任务。"]


def test_lookup_by_name_and_phone_tail_masks_the_phone(db, bot, team):
    customer = customer_with_profile(db, team["zhangsan"], "赵六", "13912345678", amount_fen=50_000_000,
                                     tags=["有房产", "高意向"], product="房抵贷")
    customer_service.add_follow_up(db, customer, employee_id=team["zhangsan"].id, kind="call", content="约了周五面谈")
    (by_name,) = bot("zhangsan", "查客户 赵六")
    (by_tail,) = bot("zhangsan", "查客户 5678")
    assert by_name == by_tail
    assert "139****5678" in by_name and "13912345678" not in by_name
    assert "分层：A" in by_name and "房抵贷" in by_name and "有房产" in by_name and "金额 50 万" in by_name
    assert "约了周五面谈" in by_name


def test_lookup_hides_customers_outside_the_salespersons_scope(db, bot, team):
    customer_with_profile(db, team["lisi"], "钱七", "13800001111")
    assert bot("zhangsan", "查客户 钱七") == ["在你能查看的客户里没有找到「钱七」。"]
    assert bot("zhangsan", "查客户 1111") == ["在你能查看的客户里没有找到「1111」。"]
    assert "钱七" in bot("boss", "查客户 钱七")[0]
    assert bot("zhangsan", "查客户") == ["请在「查客户」后写客户姓名或手机尾号，例如：查客户 张三"]


def test_follow_up_records_and_feeds_tagging(db, bot, team):
    customer = customer_with_profile(db, team["zhangsan"], "孙八", "13700002222")
    (reply,) = bot("zhangsan", "跟进 孙八 客户说名下有两套房，想贷 80 万")
    assert reply.startswith("已记录对「孙八」的跟进")
    (follow_up,) = db.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)).all()
    assert follow_up.employee_id == team["zhangsan"].id and "两套房" in follow_up.content
    assert [e["customer_id"] for e in events_named(db, "customer.follow_up_added")][-1] == customer.id
    assert bot("lisi", "跟进 孙八 抢单") == ["在你能查看的客户里没有找到「孙八」，跟进没有记录。"]
    assert db.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.customer_id == customer.id)) == 1
    assert bot("zhangsan", "跟进 孙八") == ["格式：跟进 <客户姓名或手机尾号> <跟进内容>，例如：跟进 张三 已电话沟通，下周面签"]


def test_follow_up_asks_which_customer_when_the_name_is_ambiguous(db, bot, team):
    customer_with_profile(db, team["zhangsan"], "周九甲", "13600003333")
    customer_with_profile(db, team["zhangsan"], "周九乙", "13600004444")
    (reply,) = bot("zhangsan", "跟进 周九 回访")
    assert "对应多位客户" in reply and "3333" in reply and "4444" in reply
    assert bot("zhangsan", "跟进 4444 回访")[0].startswith("已记录对「周九乙」的跟进")


def test_a_repeated_callback_is_answered_once(db, team, live_service, sandbox_wecom):
    sent = sandbox_wecom.app_message("zhangsan", "帮助")
    assert sandbox_wecom.send(sent.fields).ok
    assert len([m for m in sandbox_wecom.messages if m["touser"] == ["zhangsan"]]) == 1
    assert db.scalar(select(func.count()).select_from(BotMessage).where(BotMessage.kind == "reply")) == 1


def test_notifications_are_batched_into_one_digest_per_person(db, team, sandbox_wecom, settings_env):
    hook = sandbox_wecom.add_webhook()
    settings_env(SCRM_BOT_TEAM_WEBHOOK_URL=hook)
    for i in range(30):
        bot_service.notify(db, team["zhangsan"].id, "new_lead", f"新线索分配给你：客户{i}", dedupe_key=f"t:{i}")
    bot_service.notify(db, team["zhangsan"].id, "new_lead", "重复", dedupe_key="t:0")
    bot_service.notify(db, team["lisi"].id, "deleted_by_customer", "客户「甲」已将你删除")
    bot_service.notify(db, None, "sla_breach", "线索「乙」超时未联系")
    assert bot_tasks.flush() == 3
    assert bot_tasks.flush() == 0
    by_user = {m["touser"][0]: m for m in sandbox_wecom.messages}
    assert set(by_user) == {"zhangsan", "lisi"} and len(sandbox_wecom.messages) == 2
    digest = by_user["zhangsan"]["markdown"]["content"]
    assert "新提醒（30 条）" in digest and "客户0" in digest and len(digest.encode()) <= 2048
    (team_msg,) = sandbox_wecom.webhook_messages(hook)
    assert "超时未联系" in team_msg["markdown"]["content"]
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.message_id.is_(None))) == 0


def test_long_digest_is_cut_to_wecoms_limit_with_a_pointer(db, team, sandbox_wecom):
    for i in range(80):
        bot_service.notify(db, team["zhangsan"].id, "new_lead", f"新线索分配给你：一个名字很长的客户编号{i:03d}，请尽快联系")
    assert bot_tasks.flush() == 1
    content = sandbox_wecom.messages[0]["markdown"]["content"]
    assert len(content.encode()) <= 2048 and "另有" in content and "80 条" in content


def test_a_failed_send_is_retried_by_the_next_flush(db, team, sandbox_wecom):
    bot_service.notify(db, team["zhangsan"].id, "new_lead", "新线索")
    sandbox_wecom.inject("message/send", errcode=60020, errmsg="not allow to access from your ip", times=10)
    assert bot_tasks.flush() == 0
    sandbox_wecom.clear_faults()
    assert bot_tasks.flush() == 1
    assert len(sandbox_wecom.messages) == 1


def test_events_become_notifications(db, team):
    customer = make_customer(db, team["zhangsan"], "新客户", "13500005555", assigned_at=utcnow())
    bot_service.on_customer_assigned(db, CustomerAssigned(customer_id=customer.id, employee_id=team["zhangsan"].id,
                                                          rule_id=None))
    bot_service.on_follow_ended(db, CustomerFollowEnded(customer_id=customer.id, employee_id=team["zhangsan"].id,
                                                        by_customer=True, by_transfer=False, remaining=0))
    bot_service.on_follow_ended(db, CustomerFollowEnded(customer_id=customer.id, employee_id=team["lisi"].id,
                                                        by_customer=False, by_transfer=False, remaining=0))
    texts = db.scalars(select(Notification.text).where(Notification.employee_id == team["zhangsan"].id)
                       .order_by(Notification.id)).all()
    assert texts == ["新线索分配给你：新客户（135****5555），请尽快联系", "客户「新客户」已将你删除"]
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.employee_id == team["lisi"].id)) == 0


def test_sla_breach_reaches_owner_and_supervisor(db, team):
    make_customer(db, team["zhangsan"], "晾着的线索", assigned_at=utcnow() - timedelta(days=2))
    sop_service.generate(db)
    (event,) = db.scalars(select(events.OutboxEvent).where(events.OutboxEvent.name == "sop.sla_breached")).all()
    breached = SlaBreached.model_validate(event.payload, strict=False)
    bot_service.on_sla_breached(db, breached)
    bot_service.on_sla_breached(db, breached)
    rows = db.scalars(select(Notification.employee_id).where(Notification.kind == "sla_breach")).all()
    assert sorted(rows) == sorted([team["zhangsan"].id, team["boss"].id])


def test_morning_list_from_nine_once_a_day(db, team, sandbox_wecom):
    customer_with_profile(db, team["zhangsan"], "早安客户", "13400006666")
    day = datetime(2026, 3, 4, tzinfo=CST)
    sop_service.generate(db, day.replace(hour=8))
    assert bot_service.queue_morning(db, day.replace(hour=8, minute=59)) == 0
    assert bot_service.queue_morning(db, day.replace(hour=9, minute=1)) == 1
    assert bot_service.queue_morning(db, day.replace(hour=11)) == 0
    (line,) = db.scalars(select(Notification.text).where(Notification.kind == "today_tasks")).all()
    assert line.startswith("今日待办 1 项：早安客户")


def test_a_webhook_the_robot_refuses_is_recorded_not_retried(db, team, sandbox_wecom, settings_env):
    settings_env(SCRM_BOT_TEAM_WEBHOOK_URL=f"{sandbox_wecom.base_url}webhook/send?key=removed-robot")
    bot_service.notify(db, None, "sla_breach", "线索「丙」超时未联系")
    assert bot_tasks.flush() == 0
    (message,) = db.scalars(select(BotMessage).where(BotMessage.channel == "webhook")).all()
    assert message.sent_at is None and message.error.startswith("93000")
    assert bot_tasks.flush() == 0
    assert len(sandbox_wecom.request_log("webhook/send")) == 1
