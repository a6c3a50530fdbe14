"""``scrm demo``: the product on the embedded default (SQLite, inline jobs, sandbox WeCom), a realistic
working day replayed through the real HTTP endpoints, a summary, and then the service keeps serving.

Everything the demo does goes through the same doors production traffic does: WeCom's signed,
encrypted callbacks to ``/wecom/callback`` (sent by the sandbox), and staff calls to ``/api``.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import socket
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import func, select

from backoffice import demo as backoffice_demo
from backoffice.direct_debit import demo as debit_demo_module
from console import demo as console_demo_module
from loan_scrm import miniprogram_demo as mp_demo
from loan_scrm import approvals_demo, risk_demo, tiers_demo
from loan_scrm.app import create_app
from scrm.core import db
from scrm.core.config import SANDBOX_WECOM, get_settings, reset_settings
from scrm.core.db import session_scope
from scrm.core.logging import configure_logging
from scrm.customers.models import Customer, CustomerStatus, DuplicateContact
from scrm.groups.models import CustomerGroup
from scrm.ingress.models import InboxEvent
from scrm.migrations import upgrade
from scrm.org import service as org_service
from scrm.org.models import Employee, EmployeeStatus, Role
from scrm.sandbox.wecom import SandboxWecom
from scrm.tagging.models import CustomerProfile
from scrm.wecom.models import WecomCall

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美佳平刚桂兰志红霞建国海燕鹏飞宇浩然晓东雪梅欣怡子涵"

DEPARTMENTS = [(2, "济南中心", 1), (3, "济南营销一部", 2), (4, "济南营销二部", 2), (5, "青岛中心", 1),
               (6, "青岛营销一部", 5), (7, "做单部", 1), (8, "财务部", 1)]
STAFF = [
    # userid, name, department, role, mobile
    ("zhoujing", "周静", 2, "manager", "13905310001"),
    ("wanglei", "王磊", 3, "supervisor", "13905310002"),
    ("lina", "李娜", 3, "sales", "13905310003"), ("zhangwei", "张伟", 3, "sales", "13905310004"),
    ("liuyang", "刘洋", 3, "sales", "13905310005"),
    ("chenfang", "陈芳", 4, "supervisor", "13905310006"),
    ("yangfan", "杨帆", 4, "sales", "13905310007"), ("huangmin", "黄敏", 4, "sales", "13905310008"),
    ("zhaoqiang", "赵强", 6, "sales", "13905320001"), ("sunli", "孙丽", 6, "sales", "13905320002"),
    ("maojun", "毛军", 6, "supervisor", "13905320003"),
    ("hejie", "何杰", 7, "processor", "13905310009"), ("gaoyan", "高燕", 7, "processor", "13905310010"),
    ("luoxia", "罗霞", 8, "finance", "13905310011"),
]
SALES = ["lina", "zhangwei", "liuyang", "yangfan", "huangmin", "zhaoqiang", "sunli"]
CHANNELS = [
    ("地铁站海报", "poster", ["lina", "zhangwei", "liuyang"], "您好！感谢扫码，我是您的专属贷款顾问，房抵、信贷、车抵都能帮您对比方案。"),
    ("朋友圈广告", "moments", ["yangfan", "huangmin"], "您好，看到您对低息贷款感兴趣，发我您的资金需求，10分钟出方案。"),
    ("老客户微信群", "wechat_group", ["lina", "yangfan"], "欢迎加入！群里每周分享银行最新政策，有问题随时私聊我。"),
    ("周末房抵讲座", "event", ["zhaoqiang", "sunli"], "感谢参加房产抵押贷款讲座，讲义稍后发您，欢迎预约一对一评估。"),
    ("老客户转介绍", "referral", ["zhangwei", "sunli"], "您好，您的朋友推荐了我们，我会优先为您安排评估。"),
]
MANAGER_PASSWORD = "Demo-manager-2026"
FOLLOW_UPS = ["电话沟通，客户在济南有套全款房，想做房抵贷80万，分5年", "客户公积金交了4年，想贷20万，比较急",
              "客户是企业主，年流水两千万，需要经营贷300万", "客户征信有逾期，查询过多，先观望",
              "车是2021年的，想办车抵贷10万，押证不押车", "客户暂时不急，下个月再联系"]
NEEDS = ["想办个房抵贷，大概50万", "车抵贷能贷多少？车是2020年的", "公积金贷款利率多少", "经营贷，年流水800万",
         "信用贷30万左右，社保交了3年", "急用钱，征信有点花", "想把高息网贷置换掉"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class _Server:
    def __init__(self, port: int):


        self.server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="scrm-http")
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise SystemExit(f"the service did not start on port {port}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _configure(data_dir: Path, sandbox_base: str) -> None:

    os.environ.update({
        "SCRM_DATA_DIR": str(data_dir),
        "SCRM_WECOM_CORP_ID": SANDBOX_WECOM["corp_id"], "SCRM_WECOM_SECRET": SANDBOX_WECOM["secret"],
        "SCRM_WECOM_TOKEN": SANDBOX_WECOM["token"], "SCRM_WECOM_AES_KEY": SANDBOX_WECOM["aes_key"],
        "SCRM_WECOM_AGENT_ID": str(SANDBOX_WECOM["agent_id"]), "SCRM_WECOM_API_BASE": sandbox_base,
    })
    for key in ("SCRM_DATABASE_URL", "SCRM_REDIS_URL"):
        os.environ.pop(key, None)
    reset_settings()


class Day:
    """What happens in a loan broker's WeCom on an ordinary day, as the sandbox's user actions."""
    def __init__(self, sandbox, staff: dict[str, dict], rng: random.Random, customers: int):
        self.sandbox, self.staff, self.rng, self.customers = sandbox, staff, rng, customers
        self.added: list[tuple[str, str]] = []  # (userid, external_userid)
        self.delivered = Counter()

    def _sent(self, sent) -> None:
        delivery = sent.delivery
        self.delivered["callbacks"] += 1
        self.delivered["attempts"] += delivery.attempts if delivery else 0
        if not (delivery and delivery.ok):
            self.delivered["failed"] += 1

    def run(self, channels: list[dict]) -> None:
        rng, sb = self.rng, self.sandbox
        phones: list[str] = []
        for i in range(self.customers):
            channel = rng.choice(channels + [None, None])
            phone = _phone(rng)
            if phones and rng.random() < 0.04:  # the same person, found by another salesperson
                phone = rng.choice(phones)
            phones.append(phone)
            mobiles = [phone] if rng.random() < 0.7 else []
            if channel:
                team = [u for u, e in self.staff.items() if e["id"] in channel["team_employee_ids"]]
                sent = sb.contact_added(rng.choice(team), config_id=channel["wecom_config_id"], name=_name(rng),
                                        remark_mobiles=mobiles, unionid=f"o6_demo{i:05d}")
            else:
                sent = sb.contact_added(rng.choice(SALES), name=_name(rng), remark_mobiles=mobiles,
                                        unionid=f"o6_demo{i:05d}")
            self._sent(sent)
            self.added.append((sent.fields["UserID"], sent.fields["ExternalUserID"]))
            if rng.random() < 0.05:  # the customer also adds a second salesperson
                other = rng.choice([s for s in SALES if s != sent.fields["UserID"]])
                self._sent(sb.contact_added(other, external_userid=sent.fields["ExternalUserID"], welcome_code=False))
                self.added.append((other, sent.fields["ExternalUserID"]))
        for userid, ext in rng.sample(self.added, len(self.added) // 5):
            self._sent(sb.contact_edited(userid, ext, description=rng.choice(NEEDS),
                                         add_tags=rng.sample(["有房产", "有车辆", "有社保", "有公积金", "企业主"], 2)))
        for userid, ext in rng.sample(self.added, len(self.added) // 15):
            self._sent(sb.follow_user_deleted(userid, ext))
        for userid, ext in rng.sample(self.added, len(self.added) // 30):
            self._sent(sb.contact_deleted(userid, ext))
        chats = []
        for n in range(6):
            owner = SALES[n % len(SALES)]
            members = [ext for u, ext in self.added if u == owner][:8]
            sent = sb.group_created(owner, f"{['A', 'B', 'C'][n % 3]}类客户服务{n + 1}群", members=members)
            self._sent(sent)
            chats.append(sent.fields["ChatId"])
        for chat_id in chats[:4]:
            joiners = [ext for _, ext in rng.sample(self.added, 3)]
            self._sent(sb.group_members_joined(chat_id, joiners))
        self._sent(sb.group_dismissed(chats[-1]))
        self._sent(sb.tag_created("意向", "高意向"))
        for userid in rng.sample(SALES, 4):
            self._sent(sb.app_message(userid, rng.choice(["今日任务", "帮助", "查客户 1234"])))
        self._sent(sb.user_created("xuming", "徐明", department=[4], mobile="13905310012"))


def run(serve: bool = True, port: int = 8000, customers: int = 300, seed: int = 20261122,
        data_dir: Path = Path(".scrm/demo")) -> dict:

    if not _port_free(port):
        raise SystemExit(f"port {port} is in use; choose another with --port")
    started = time.monotonic()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    rng = random.Random(seed)

    sandbox = SandboxWecom(**SANDBOX_WECOM, callback_url=f"http://127.0.0.1:{port}/wecom/callback")
    sandbox_base = sandbox.start()
    _configure(data_dir, sandbox_base)

    wxa_sandbox = mp_demo.start_sandbox()
    debit_demo = debit_demo_module
    pay_sandbox = debit_demo.start_sandbox(port)


    configure_logging()
    db.set_engine(None)
    upgrade(get_settings().effective_database_url)
    admin_password = secrets.token_urlsafe(9)
    with db.session_scope() as session:
        org_service.create_employee(session, name="系统管理员", role=Role.admin, username="admin",
                                    password=admin_password)

    for dept_id, name, parent in DEPARTMENTS:
        sandbox.seed_department(dept_id, name, parent)
    for userid, name, dept, _role, mobile in STAFF:
        sandbox.seed_user(userid, name, [dept], mobile=mobile, customer_contact=True)
    sandbox.seed_tag_group("资产资质", ["有房产", "有车辆", "有社保", "有公积金", "企业主"])

    server = _Server(port)
    base = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=base, timeout=30)
    try:
        summary = _replay(sandbox, api, rng, customers, admin_password)
        summary["miniprogram"] = mp_demo.replay(api, wxa_sandbox, admin=summary.pop("admin"),
                                                manager=summary.pop("manager"), employees=summary.pop("staff"))
        finance = _login(api, "admin", admin_password)
        summary["payments"] = debit_demo.replay(api, finance, pay_sandbox, summary["backoffice"].pop("to_debit"))
        summary["backoffice"]["trial_balance"] = backoffice_demo.trial_balance(api, finance)
    except BaseException:
        server.stop()
        sandbox.stop()
        wxa_sandbox.stop()
        pay_sandbox.stop()
        raise
    summary["elapsed_s"] = round(time.monotonic() - started, 1)
    _print_summary(summary, base, admin_password)
    if serve:
        print(f"\nServing at {base} (OpenAPI docs: {base}/docs). Press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    server.stop()
    sandbox.stop()
    wxa_sandbox.stop()
    pay_sandbox.stop()
    return summary


def _login(api: httpx.Client, username: str, password: str) -> dict:
    answer = api.post("/api/auth/login", json={"username": username, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _ok(answer: httpx.Response) -> dict | list:
    if answer.status_code >= 400:
        raise SystemExit(f"demo step failed: {answer.request.method} {answer.request.url.path} -> "
                         f"{answer.status_code} {answer.text}")
    return answer.json() if answer.content else {}


def _replay(sandbox, api: httpx.Client, rng: random.Random, customers: int, admin_password: str) -> dict:
    admin = _login(api, "admin", admin_password)
    assert sandbox.verify_url(), "the callback URL handshake failed"
    _ok(api.post("/api/org/wecom-sync", headers=admin))
    employees = {e["wecom_userid"]: e for e in _ok(api.get("/api/org/employees", params={"page_size": 100},
                                                           headers=admin))["items"] if e["wecom_userid"]}
    for userid, _name_, _dept, role, _mobile in STAFF:
        if role != "sales":
            body = {"role": role, "scope": "all"} if userid == "zhoujing" else {"role": role}  # 总经理 sees both centers
            _ok(api.put(f"/api/org/employees/{employees[userid]['id']}/role", json=body, headers=admin))
    manager_id = employees["zhoujing"]["id"]
    _ok(api.patch(f"/api/org/employees/{manager_id}", json={"username": "zhoujing"}, headers=admin))
    _ok(api.post(f"/api/org/employees/{manager_id}/password", json={"password": MANAGER_PASSWORD}, headers=admin))
    manager = _login(api, "zhoujing", MANAGER_PASSWORD)

    channels = []
    for name, kind, team, welcome in CHANNELS:
        channel = _ok(api.post("/api/channels", headers=manager, json={
            "name": name, "kind": kind, "team_employee_ids": [employees[u]["id"] for u in team],
            "welcome": {"text": {"content": welcome}}}))
        channels.append(_ok(api.get(f"/api/channels/{channel['id']}", headers=manager)))

    day = Day(sandbox, employees, rng, customers)
    day.run(channels)

    # follow-ups recorded through the API feed the customers' profiles (画像)
    leads = _ok(api.get("/api/customers", params={"page_size": 40, "status": "active"}, headers=manager))["items"]
    for lead in leads:
        _ok(api.post(f"/api/customers/{lead['id']}/follow-ups", headers=manager,
                     json={"kind": "call", "content": rng.choice(FOLLOW_UPS)}))

    # phone-in leads with no owner yet: the assignment rule deals them round-robin to 济南营销一部
    _ok(api.post("/api/assignment/rules", headers=manager, json={
        "name": "电话咨询-济南一部轮询", "priority": 10, "strategy": "round_robin",
        "conditions": {"sources": ["manual"]},
        "team_employee_ids": [employees[u]["id"] for u in ("lina", "zhangwei", "liuyang")]}))
    assigned = Counter()
    for _ in range(9):
        lead = _ok(api.post("/api/customers", headers=manager, json={
            "name": _name(rng), "phone": _phone(rng), "city": "济南", "product_code": "credit",
            "amount": str(Decimal(rng.randrange(5, 50)) * 10000), "term_months": 36,
            "custom_fields": {"employer_type": "private", "monthly_salary": "12000", "social_security_months": 36}}))
        assigned[(lead.get("owner") or {}).get("name", "pool")] += 1

    # a salesperson leaves: WeCom's change_contact delete_user marks them departed (handover starts later)
    day._sent(sandbox.user_deleted("huangmin"))

    stats = _ok(api.get("/api/channels/stats", headers=manager))
    page = _ok(api.get("/api/customers", params={"page_size": 1}, headers=admin))

    tiers = tiers_demo.run(sandbox, api, manager, rng)
    backoffice = backoffice_demo.run(api, employees, rng)
    approvals = approvals_demo.run(sandbox, api, manager, employees)
    console_demo = console_demo_module
    return {"delivered": day.delivered, "channels": stats, "customers_total": page["total"],
            "assigned": assigned, "sandbox": sandbox, "employees": len(employees), "tiers": tiers,
            "admin": admin, "manager": manager, "staff": employees, "backoffice": backoffice, "approvals": approvals,
            "console": console_demo.prepare(api, admin, employees), "risk": risk_demo.run(api, manager, employees)}


def _print_summary(s: dict, base: str, admin_password: str) -> None:


    sandbox = s.pop("sandbox")
    with session_scope() as db:
        def n(stmt):
            return db.scalar(stmt)

        active = n(select(func.count()).select_from(Customer).where(Customer.status == CustomerStatus.active))
        gone = n(select(func.count()).select_from(Customer).where(Customer.status == CustomerStatus.gone))
        dups = n(select(func.count()).select_from(DuplicateContact))
        inbox = dict(db.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())
        calls = db.execute(select(WecomCall.endpoint, func.count(), func.sum(WecomCall.attempts))
                           .group_by(WecomCall.endpoint).order_by(func.count().desc())).all()
        errors = n(select(func.count()).select_from(WecomCall).where(WecomCall.errcode.is_not(None),
                                                                    WecomCall.errcode != 0))
        owners = db.execute(select(Employee.name, func.count(Customer.id)).join(Customer, Customer.owner_id == Employee.id)
                            .group_by(Employee.name).order_by(func.count(Customer.id).desc()).limit(5)).all()
        groups = n(select(func.count()).select_from(CustomerGroup).where(CustomerGroup.dismissed.is_(False)))
        departed = db.scalars(select(Employee.name).where(Employee.status == EmployeeStatus.departed)).all()
        profiled = n(select(func.count()).select_from(CustomerProfile))
        products = db.execute(select(CustomerProfile.product, func.count()).where(CustomerProfile.product.is_not(None))
                              .group_by(CustomerProfile.product).order_by(func.count().desc())).all()
        intents = dict(db.execute(select(CustomerProfile.intent, func.count()).group_by(CustomerProfile.intent)).all())

    d = s["delivered"]
    print("\n=== 演示完成 / demo summary ===")
    print(f"staff synced from WeCom      : {s['employees']} (departed today: {', '.join(departed) or 'none'})")
    print(f"callbacks delivered          : {d['callbacks']} in {d['attempts']} attempts, {d['failed']} undelivered")
    print("inbox                        : " + ", ".join(f"{k.value if hasattr(k, 'value') else k} {v}"
                                                        for k, v in sorted(inbox.items(), key=lambda kv: str(kv[0]))))
    print(f"customers                    : {s['customers_total']} ({active} active, {gone} gone), "
          f"{dups} duplicate phones caught")
    print("top owners                   : " + ", ".join(f"{name} {count}" for name, count in owners))
    print("channel codes                :")
    for c in s["channels"]:
        print(f"  {c['name']:<10} adds {c['adds']:>3}  deletions {c['deletions']:>3}  conversions {c['conversions']:>3}")
    print("phone-in leads by rule       : " + ", ".join(f"{k} {v}" for k, v in s["assigned"].items()))
    print(f"profiles (画像)               : {profiled} customers; products "
          + ", ".join(f"{p} {c}" for p, c in products) + "; intent "
          + ", ".join(f"{k} {intents.get(k, 0)}" for k in ("high", "medium", "low")))
    print(f"welcome messages sent        : {len(sandbox.welcome_messages)}; bot notices: {len(sandbox.messages)}")
    print(f"customer groups              : {groups} live")
    print("WeCom API calls              : " + ", ".join(f"{ep} {count}" for ep, count, _ in calls[:8])
          + f"; errors {errors}")

    mp_demo.print_summary(s["miniprogram"])


    for line in tiers_demo.summary_lines(s["tiers"]):
        print(line)
    orders_line, *ledger_lines = backoffice_demo.summary_lines(s["backoffice"])
    print(orders_line)
    print(approvals_demo.summary_line(s["approvals"]))
    print("\n".join(risk_demo.summary_lines(s["risk"])))
    debit_demo_module.print_summary(s["payments"])
    print("\n".join(ledger_lines))
    print(f"elapsed                      : {s['elapsed_s']} s")
    print(f"\nsign in: admin / {admin_password}   manager: zhoujing / {MANAGER_PASSWORD}")
    print(console_demo_module.summary_line(base, s["console"]))
