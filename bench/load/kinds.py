"""Kinds of traffic. A kind is a weighted, endless stream of prepared requests, each with its own check.

Kinds: WeCom callbacks, staff API reads, mini-program calls (sign-in through the sandbox's code2session,
application submits, progress), console pages (a signed-in staff member's HTML pages) and bot commands
(text messages to the app through the callback URL, answered by the bot from the inbox job). To add one,
write a factory ``make(ctx, pool) -> Kind`` and register it in ``KINDS`` below; ``--kinds`` on the
command line picks which run. A factory gets a
``Context`` (the base URL, a signed-in staff token, the sandbox WeCom's controls, a database
connection string) and may prepare whatever it needs there (seed the sandbox, sign a customer in).
Callbacks of any sort reuse ``CallbackKind.envelope`` to encrypt and sign a plain WeCom XML.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator

import httpx
import psycopg
import xmltodict
from wechatpy.work.crypto import WeChatCrypto

from scrm.core.config import SANDBOX_WECOM
from scrm.wecom import callback


@dataclass
class Prepared:
    kind: str
    raw: bytes  # the whole HTTP/1.1 request
    check: Callable[[int, bytes], bool]
    key: str | None = None  # for callbacks: the dedupe key, so the run can check each accepted one was processed
    retry: bool = False  # resend on anything but an accepted answer (WeCom does, with callbacks)


@dataclass
class Kind:
    name: str
    weight: float
    stream: Iterator[Prepared]
    source: object = None  # the object behind the stream, for what the run checks afterwards


@dataclass
class Context:
    host: str
    port: int
    sandbox_url: str
    pg_conninfo: str
    staff_token: str
    wxa: object = None  # the sandbox mini-program API (in this process: it issues wx.login codes)
    callbacks: "CallbackKind | None" = None  # shared by the kinds that send callbacks
    rng: random.Random = field(default_factory=lambda: random.Random(11))


def http_get(ctx: Context, path: str, token: str | None = None, *, cookie: str | None = None,
             accept: str = "application/json") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    auth += f"Cookie: {cookie}\r\n" if cookie else ""
    return (f"GET {path} HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\n{auth}Accept: {accept}\r\n"
            f"Connection: keep-alive\r\n\r\n").encode()


def http_post(ctx: Context, path: str, body: bytes, content_type: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\n{auth}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode() + body


def ok_200(status: int, body: bytes) -> bool:
    return status == 200


def ok_json_200(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- WeCom callbacks

SALES = [f"load{i:02d}" for i in range(20)]


class CallbackKind:
    """WeCom's external-contact callbacks as WeCom sends them: AES-encrypted, signed, answered or
    retried (the driver resends the same bytes after 1, 2 and 4 s); besides, a share of exact
    duplicates (a retry whose first answer was lost) and of the same event in a fresh envelope.

    Adds name contacts seeded in the sandbox (the handler re-reads each one there); edits name
    contacts already added. When the pool is used up, adds start again from its beginning at a
    later CreateTime: a second add of a known contact, which must still leave one customer."""

    name = "callback"

    def __init__(self, ctx: Context, pool: int, duplicate_share: float = 0.08, reenvelope_share: float = 0.04):
        self.ctx = ctx
        self.crypto = WeChatCrypto(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"])
        self.duplicate_share = duplicate_share
        self.reenvelope_share = reenvelope_share
        self.contacts = seed_contacts(ctx.sandbox_url, pool)
        self.next_add = itertools.cycle(range(len(self.contacts)))
        self.added: list[int] = []
        self.add_keys: dict[str, str] = {}  # dedupe key of each add -> the contact's external_userid
        self.recent: deque[tuple[bytes, str, str]] = deque(maxlen=200)
        self.sent_events = 0

    def envelope(self, plain_xml: str) -> tuple[str, bytes]:
        """The query string and body WeCom POSTs for ``plain_xml``."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        reply = xmltodict.parse(self.crypto.encrypt_message(plain_xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><Encrypt><![CDATA["
                f"{reply['Encrypt']}]]></Encrypt><AgentID><![CDATA[{SANDBOX_WECOM['agent_id']}]]></AgentID></xml>")
        query = f"msg_signature={reply['MsgSignature']}&timestamp={timestamp}&nonce={nonce}"
        return query, body.encode()

    def prepared(self, plain_xml: str, key: str) -> Prepared:
        query, body = self.envelope(plain_xml)
        raw = http_post(self.ctx, f"/wecom/callback?{query}", body, "text/xml")
        self.recent.append((raw, plain_xml, key))
        return Prepared(self.name, raw, ok_200, key=key, retry=True)

    def event(self) -> tuple[str, str]:
        rng = self.ctx.rng
        if self.added and rng.random() < 0.35:
            index, change = rng.choice(self.added), "edit_external_contact"
        else:
            index, change = next(self.next_add), "add_external_contact"
            self.added.append(index)
        external_userid, userid = self.contacts[index]
        fields = {"ToUserName": SANDBOX_WECOM["corp_id"], "FromUserName": "sys", "CreateTime": str(int(time.time())),
                  "MsgType": "event", "Event": "change_external_contact", "ChangeType": change,
                  "UserID": userid, "ExternalUserID": external_userid}
        if change == "add_external_contact":
            fields["State"] = "load-bench"
        xml = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"
        key = callback.dedupe_key(fields)
        if change == "add_external_contact":
            self.add_keys[key] = external_userid
        return xml, key

    def stream(self) -> Iterator[Prepared]:
        rng = self.ctx.rng
        while True:
            roll = rng.random()
            if self.recent and roll < self.duplicate_share:
                raw, _, key = rng.choice(self.recent)
                yield Prepared(self.name, raw, ok_200, key=key, retry=True)
            elif self.recent and roll < self.duplicate_share + self.reenvelope_share:
                _, xml, key = rng.choice(self.recent)
                yield self.prepared(xml, key)
            else:
                self.sent_events += 1
                yield self.prepared(*self.event())


def seed_contacts(sandbox_url: str, count: int) -> list[tuple[str, str]]:
    """Sales staff and ``count`` external contacts in the sandbox WeCom; answers (external_userid, userid)."""
    out = []
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        for userid in SALES:
            http.post("/sandbox/seed/user", json={"userid": userid, "name": f"压测销售{userid[-2:]}"}).raise_for_status()
        for i in range(count):
            userid = SALES[i % len(SALES)]
            answer = http.post("/sandbox/seed/external_contact",
                               json={"name": f"压测客户{i}", "follow_users": [userid]})
            answer.raise_for_status()
            out.append((answer.json()["result"], userid))
    return out


# ---------------------------------------------------------------- staff API


class StaffApiKind:
    """A signed-in admin's GETs: customer list pages (sorted and filtered), customer details, channel stats."""

    name = "staff_api"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.ids: list[int] = []
        self.refreshed = 0.0

    def customer_ids(self) -> list[int]:
        if time.monotonic() - self.refreshed > 5:
            try:
                with psycopg.connect(self.ctx.pg_conninfo, connect_timeout=2) as conn:
                    self.ids = [r[0] for r in conn.execute("SELECT id FROM customer ORDER BY id DESC LIMIT 500")]
            except psycopg.Error:
                pass
            self.refreshed = time.monotonic()
        return self.ids

    def stream(self) -> Iterator[Prepared]:
        rng, token = self.ctx.rng, self.ctx.staff_token
        sorts = ["-created_at", "name", "-last_contact_at", "stage"]
        while True:
            roll, ids = rng.random(), self.customer_ids()
            if roll < 0.5 or not ids:
                path = f"/api/customers?page={rng.randint(1, 3)}&page_size=20&sort={rng.choice(sorts)}"
                yield Prepared("staff_api:list", http_get(self.ctx, path, token), ok_json_200)
            elif roll < 0.85:
                yield Prepared("staff_api:detail", http_get(self.ctx, f"/api/customers/{rng.choice(ids)}", token),
                               ok_json_200)
            else:
                yield Prepared("staff_api:channel_stats", http_get(self.ctx, "/api/channels/stats", token), ok_json_200)


# ---------------------------------------------------------------- mini-program


def ok_status(*statuses: int) -> Callable[[int, bytes], bool]:
    def check(status: int, body: bytes) -> bool:
        return status in statuses

    return check


APPLICATION = {"product_code": "credit", "amount": "200000", "term_months": 36, "purpose": "装修", "city": "上海",
               "fields": {"employer_type": "state_owned", "monthly_salary": "18000", "social_security_months": 48},
               "consent": {"accepted": True, "version": "2026-11"}}


class MiniProgramKind:
    """Customers in the mini-program: sign-in (wx.login's code through ``/mp/auth/login``, which calls the
    sandbox's code2session), an application submitted once per ``request_id`` (a share resent, as a
    mini-program on a flaky network does), and the progress page."""

    name = "mp"

    def __init__(self, ctx: Context, customers: int = 40):
        self.ctx = ctx
        seed_products(ctx.pg_conninfo)
        self.tokens: list[str] = []
        with httpx.Client(base_url=f"http://{ctx.host}:{ctx.port}", timeout=30) as http:
            for _ in range(customers):
                answer = http.post("/mp/auth/login", json={"code": ctx.wxa.login_code()})
                answer.raise_for_status()
                self.tokens.append(answer.json()["token"])
        self.sent: deque[tuple[str, bytes]] = deque(maxlen=100)

    def login(self) -> Prepared:
        body = json.dumps({"code": self.ctx.wxa.login_code()}).encode()
        return Prepared("mp:sign_in", http_post(self.ctx, "/mp/auth/login", body, "application/json"), ok_json_200)

    def apply(self) -> Prepared:
        rng = self.ctx.rng
        if self.sent and rng.random() < 0.1:
            token, body = rng.choice(self.sent)  # the same request_id again: answered, nothing new kept
        else:
            token = rng.choice(self.tokens)
            body = json.dumps({**APPLICATION, "request_id": secrets.token_hex(12),
                               "name": f"小程序客户{rng.randint(1, 9999)}"}, ensure_ascii=False).encode()
            self.sent.append((token, body))
        return Prepared("mp:apply", http_post(self.ctx, "/mp/applications", body, "application/json", token),
                        ok_status(200, 201))

    def stream(self) -> Iterator[Prepared]:
        rng = self.ctx.rng
        while True:
            roll = rng.random()
            if roll < 0.2:
                yield self.login()
            elif roll < 0.45:
                yield self.apply()
            else:
                yield Prepared("mp:progress", http_get(self.ctx, "/mp/progress", rng.choice(self.tokens)), ok_json_200)


def seed_products(conninfo: str) -> None:
    """The loan products and their forms, as ``scrm demo`` seeds them (applications name one)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from scrm.customers import service as customer_service

    engine = create_engine(conninfo.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        customer_service.seed_products(session)
        session.commit()
    engine.dispose()


# ---------------------------------------------------------------- console pages


def ok_html_200(status: int, body: bytes) -> bool:
    return status == 200 and b"</html>" in body[-200:]


class ConsoleKind:
    """A signed-in admin's console pages (the session cookie a browser carries): the customer list (sorted,
    filtered, paged), a customer's page, the home page and the dashboards."""

    name = "console"

    def __init__(self, ctx: Context, staff: StaffApiKind):
        self.ctx = ctx
        self.staff = staff  # shares its refreshed list of customer ids
        self.cookie = f"scrm_session={ctx.staff_token}"

    def page(self, path: str, label: str) -> Prepared:
        return Prepared(f"console:{label}", http_get(self.ctx, path, cookie=self.cookie, accept="text/html"),
                        ok_html_200)

    def stream(self) -> Iterator[Prepared]:
        rng = self.ctx.rng
        sorts = ["-created_at", "name", "-last_contact_at", "stage"]
        while True:
            roll, ids = rng.random(), self.staff.customer_ids()
            if roll < 0.45 or not ids:
                yield self.page(f"/console/customers?page={rng.randint(1, 3)}&sort={rng.choice(sorts)}", "customers")
            elif roll < 0.8:
                yield self.page(f"/console/customers/{rng.choice(ids)}", "customer")
            elif roll < 0.9:
                yield self.page("/console/", "home")
            else:
                yield self.page("/console/dashboards", "dashboards")


# ---------------------------------------------------------------- bot commands


class BotKind:
    """Salespeople typing commands to the WeCom app: text messages through the callback URL (encrypted,
    retried like any callback), each answered once by the bot from its inbox job."""

    name = "bot"

    def __init__(self, ctx: Context, callbacks: CallbackKind):
        self.ctx = ctx
        self.callbacks = callbacks
        self.keys: set[str] = set()

    def command(self) -> str:
        rng = self.ctx.rng
        roll = rng.random()
        if roll < 0.45:
            return "今日任务"
        if roll < 0.9:
            return f"查客户 压测客户{rng.randrange(max(1, len(self.callbacks.contacts)))}"
        return "帮助"

    def stream(self) -> Iterator[Prepared]:
        rng = self.ctx.rng
        while True:
            msg_id = str(10**18 + secrets.randbelow(9 * 10**18))
            fields = {"ToUserName": SANDBOX_WECOM["corp_id"], "FromUserName": rng.choice(SALES),
                      "CreateTime": str(int(time.time())), "MsgType": "text", "Content": self.command(),
                      "MsgId": msg_id, "AgentID": str(SANDBOX_WECOM["agent_id"])}
            xml = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"
            key = callback.dedupe_key(fields)
            self.keys.add(key)
            query, body = self.callbacks.envelope(xml)
            yield Prepared(self.name, http_post(self.ctx, f"/wecom/callback?{query}", body, "text/xml"), ok_200,
                           key=key, retry=True)


# ---------------------------------------------------------------- registry


def _callbacks(ctx: Context, pool: int) -> CallbackKind:
    if ctx.callbacks is None:
        ctx.callbacks = CallbackKind(ctx, pool)
    return ctx.callbacks


def _callback(ctx: Context, pool: int) -> Kind:
    kind = _callbacks(ctx, pool)
    return Kind(kind.name, 0.45, kind.stream(), kind)


def _staff_api(ctx: Context, pool: int) -> Kind:
    kind = StaffApiKind(ctx)
    return Kind(kind.name, 0.2, kind.stream(), kind)


def _mp(ctx: Context, pool: int) -> Kind:
    kind = MiniProgramKind(ctx)
    return Kind(kind.name, 0.15, kind.stream(), kind)


def _console(ctx: Context, pool: int) -> Kind:
    kind = ConsoleKind(ctx, StaffApiKind(ctx))
    return Kind(kind.name, 0.1, kind.stream(), kind)


def _bot(ctx: Context, pool: int) -> Kind:
    kind = BotKind(ctx, _callbacks(ctx, pool))
    return Kind(kind.name, 0.1, kind.stream(), kind)


# name -> factory(ctx, contact_pool) -> Kind; weights are shares of the mix
KINDS: dict[str, Callable[[Context, int], Kind]] = {
    "callback": _callback,
    "staff_api": _staff_api,
    "mp": _mp,
    "console": _console,
    "bot": _bot,
}
