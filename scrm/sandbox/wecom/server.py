"""``SandboxWecom``: the sandbox's HTTP server, tokens, limits, fault injection and request log."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Iterable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scrm.core.config import SANDBOX_WECOM
from scrm.sandbox.loopback import LoopbackSandbox, take_fault
from scrm.sandbox.wecom.callbacks import CallbackSender, Delivery, SentEvent, render_xml
from scrm.sandbox.wecom.endpoints import ENDPOINTS, webhook_send
from scrm.sandbox.wecom.events import SIMULATIONS, EventsMixin
from scrm.sandbox.wecom.state import FOLLOW_USER_PAGE, Corp, WecomApiError

CONCURRENCY_LIMITED = {"externalcontact/mark_tag"}
HIDDEN_QUERY = {"access_token"}


@dataclass
class Fault:
    errcode: int | None = None
    errmsg: str | None = None
    http_status: int | None = None
    delay_s: float | None = None
    remaining: int = 1


def _normalize(path: str) -> str:
    path = path.strip().lstrip("/")
    return path[len("cgi-bin/"):] if path.startswith("cgi-bin/") else path


class SandboxWecom(EventsMixin, LoopbackSandbox):
    """A WeCom corp on loopback speaking WeCom's wire formats.

    ``start()`` returns the API base (``http://127.0.0.1:PORT/cgi-bin/``) to use as ``SCRM_WECOM_API_BASE``.
    Tokens live ``token_ttl_s`` on the sandbox clock (``advance()`` moves it); the corp may make
    ``calls_per_minute`` API calls a minute (45009 beyond) and ``mark_tag_concurrency`` concurrent
    mark_tag calls (45033 beyond), each taking ``mark_tag_latency_s``. externalcontact/get lists at most
    ``follow_user_page_size`` followers a page (500, as WeCom documents; a test may lower it).

    Two switches of the app's configuration in the admin console, answered with WeCom's global errcodes:
    ``trusted_ips`` (企业可信IP; None trusts every address) makes every call but ``gettoken`` from another
    address answer 60020, as WeCom does for apps created since 2022-06-20; ``customer_contact_api=False``
    (the app is not among 客户联系 → API → 可调用接口的应用) makes every ``externalcontact/`` call answer 48002.
    """

    name = "sandbox WeCom"

    def __init__(self, corp_id: str | None = None, secret: str | None = None, token: str | None = None,
                 aes_key: str | None = None, agent_id: int | None = None, callback_url: str | None = None, *,
                 token_ttl_s: int = 7200, calls_per_minute: int = 10000, mark_tag_concurrency: int = 5,
                 mark_tag_latency_s: float = 0.0, welcome_code_ttl_s: float = 20.0, callback_timeout_s: float = 5.0,
                 callback_retries: int = 3, callback_retry_interval_s: float = 0.0,
                 trusted_ips: Iterable[str] | None = None, customer_contact_api: bool = True,
                 follow_user_page_size: int = FOLLOW_USER_PAGE):
        self.corp_id = corp_id or SANDBOX_WECOM["corp_id"]
        self.secret = secret or SANDBOX_WECOM["secret"]
        self.token = token or SANDBOX_WECOM["token"]
        self.aes_key = aes_key or SANDBOX_WECOM["aes_key"]
        self.agent_id = int(agent_id or SANDBOX_WECOM["agent_id"])
        self.callback_url = callback_url
        self.token_ttl_s = token_ttl_s
        self.calls_per_minute = calls_per_minute
        self.mark_tag_concurrency = mark_tag_concurrency
        self.mark_tag_latency_s = mark_tag_latency_s
        self.trusted_ips = None if trusted_ips is None else set(trusted_ips)
        self.customer_contact_api = customer_contact_api
        self.corp = Corp(self.corp_id, self.agent_id, welcome_code_ttl_s)
        self.corp.follow_user_page_size = follow_user_page_size
        self.sender = CallbackSender(self.corp_id, self.token, self.aes_key, self.agent_id,
                                     timeout_s=callback_timeout_s, retries=callback_retries,
                                     retry_interval_s=callback_retry_interval_s)
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._log: list[dict] = []
        self._window = (-1, 0)
        self._inflight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self.events: list[SentEvent] = []
        self.app = self._build_app()

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str | None:
        """The API base, ``http://127.0.0.1:PORT/cgi-bin/``."""
        return f"http://127.0.0.1:{self.port}/cgi-bin/" if self.port else None

    @property
    def control_url(self) -> str | None:
        """Where the ``/sandbox/...`` controls live: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}" if self.port else None

    # ------------------------------------------------------------------ test controls

    def inject(self, path: str, *, errcode: int | None = None, errmsg: str | None = None,
               http_status: int | None = None, delay_s: float | None = None, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` (``"*"`` for any) wait ``delay_s``, then answer ``http_status``
        or ``errcode`` instead of the real answer (a delay alone still gives the real answer)."""
        fault = Fault(errcode, errmsg, http_status, delay_s, times)
        with self._lock:
            self._faults.setdefault(_normalize(path), []).append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def request_log(self, path: str | None = None) -> list[dict]:
        """Requests as received: path, method, query without access_token, JSON body, errcode, http_status, time."""
        with self._lock:
            return [dict(e) for e in self._log if path is None or e["path"] == _normalize(path)]

    def call_count(self, path: str) -> int:
        return len(self.request_log(path))

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._peak.clear()

    def peak_concurrency(self, path: str) -> int:
        """The most calls to ``path`` that were in flight at once (mark_tag only)."""
        with self._lock:
            return self._peak.get(_normalize(path), 0)

    def expire_tokens(self) -> None:
        """Every issued access_token now answers 42001; gettoken issues a new one."""
        with self._lock:
            past = self.corp.now() - 1
            self._tokens = {t: min(exp, past) for t, exp in self._tokens.items()}

    def revoke_tokens(self) -> None:
        """Forget every issued access_token: they answer 40014."""
        with self._lock:
            self._tokens.clear()

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (token and welcome-code expiry, rate windows, timestamps) forward."""
        self.corp.clock_offset += seconds

    def reset(self) -> None:
        """Forget all data, tokens, faults, the log and sent events."""
        self.corp.reset()
        with self._lock:
            self._tokens.clear()
            self._faults.clear()
            self._log.clear()
            self._peak.clear()
            self.events.clear()
            self._window = (-1, 0)

    # ------------------------------------------------------------------ seeding (no callbacks)

    def seed_department(self, id: int, name: str, parent_id: int = 1, order: int = 0) -> dict:
        return self.corp.add_department(id, name, parent_id, order).to_api()

    def seed_user(self, userid: str, name: str, department: Iterable[int] = (1,), **attrs: Any) -> dict:
        """``attrs``: position, mobile, gender ("1"/"2"), email, alias, status, customer_contact (bool)."""
        return self.corp.add_user(userid, name, department, **attrs).to_api()

    def seed_external_contact(self, name: str, follow_users: Iterable[str | dict], *,
                              external_userid: str | None = None, type: int = 1, gender: int = 0,
                              unionid: str = "", corp_name: str = "") -> str:
        """A customer and the members following them. A follow user is a userid or a dict with ``userid``
        and any of remark, description, remark_mobiles, state, tags (ids or names), createtime, add_way,
        remark_corp_name, oper_userid. Returns the external_userid."""
        return self.corp.add_contact(name, follow_users, external_userid=external_userid, type=type,
                                     gender=gender, unionid=unionid, corp_name=corp_name).external_userid

    def seed_tag_group(self, group_name: str, tag_names: Iterable[str], *, order: int = 0,
                       created_by_app: bool = False) -> dict:
        """Corp tags made in the admin console (or by this app, which may then edit them).
        Returns ``{"group_id": ..., "tags": {name: tag_id}}``."""
        with self.corp.lock:
            group = self.corp.add_tag_group(group_name, tag_names, order=order,
                                            created_by=self.agent_id if created_by_app else None)
            return {"group_id": group.group_id, "tags": {t.name: t.id for t in group.tags.values()}}

    def seed_group(self, owner: str, name: str = "", members: Iterable[str] = (), *, notice: str = "",
                   chat_id: str | None = None) -> str:
        """A customer group; members are userids or external_userids. Returns the chat_id."""
        return self.corp.add_chat(owner, name, members, notice=notice, chat_id=chat_id).chat_id

    def add_webhook(self, key: str | None = None) -> str:
        """A group robot in a team group; returns its webhook URL (``.../cgi-bin/webhook/send?key=...``)."""
        key = key or secrets.token_hex(16)
        with self.corp.lock:
            self.corp.webhooks.setdefault(key, [])
        return f"{self.base_url}webhook/send?key={key}"

    def webhook_messages(self, key_or_url: str) -> list[dict]:
        key = key_or_url.rsplit("key=", 1)[-1]
        with self.corp.lock:
            return list(self.corp.webhooks.get(key, []))

    @property
    def join_ways(self) -> dict[str, dict]:
        with self.corp.lock:
            return {k: dict(v) for k, v in self.corp.join_ways.items()}

    def oauth_code(self, userid: str) -> str:
        """The ``code`` WeCom's OAuth redirect would carry for ``userid`` (single use, 5 minutes)."""
        return self.corp.issue_oauth_code(userid)

    def tag_id(self, name: str, group_name: str | None = None) -> str:
        with self.corp.lock:
            return self.corp.tag_id(name, group_name)

    def confirm_group_msg(self, msgid: str, status: int = 1) -> None:
        """The sender confirms a mass message (add_msg_template): recipients move to ``status``
        (1 sent, 2 not a friend, 3 already got one today)."""
        with self.corp.lock:
            for row in self.corp.msg_templates[msgid]["recipients"]:
                row["status"], row["send_time"] = status, int(self.corp.now()) if status == 1 else 0

    # ------------------------------------------------------------------ reading state

    def state(self) -> dict:
        return self.corp.summary()

    def contact(self, external_userid: str) -> dict:
        with self.corp.lock:
            c = self.corp.contact(external_userid)
            return {"external_contact": c.to_api(), "follow_user": [self.corp.follow_to_api(f)
                                                                    for f in c.follows.values()]}

    @property
    def messages(self) -> list[dict]:
        return list(self.corp.messages)

    @property
    def template_cards(self) -> dict[str, dict]:
        """task_id -> the template card sent, ``touser``, ``clicks`` and ``updates`` (update_template_card)."""
        with self.corp.lock:
            return {k: dict(v) for k, v in self.corp.template_cards.items()}

    @property
    def welcome_messages(self) -> list[dict]:
        return list(self.corp.welcome_messages)

    @property
    def msg_templates(self) -> dict[str, dict]:
        return dict(self.corp.msg_templates)

    @property
    def jsapi_tickets(self) -> dict[str, str]:
        """The live JS-SDK tickets by kind ("corp", "agent_config")."""
        with self.corp.lock:
            now = self.corp.now()
            return {k: t for k, (t, exp) in self.corp.jsapi_tickets.items() if exp > now}

    @property
    def media(self) -> dict[str, dict]:
        """Temporary media uploaded (media/upload), by media_id."""
        with self.corp.lock:
            return {k: dict(v) for k, v in self.corp.media.items()}

    @property
    def transfers(self) -> list[dict]:
        return [dict(t.__dict__) for t in self.corp.transfers]

    # ------------------------------------------------------------------ callbacks

    def send(self, event: dict | str) -> Delivery:
        """Deliver one callback (fields or plain XML) now; returns attempts and the final status."""
        xml = event if isinstance(event, str) else render_xml(event)
        if not self.callback_url:
            raise RuntimeError("the sandbox has no callback_url")
        return self.sender.deliver(self.callback_url, xml)

    def send_async(self, event: dict | str) -> Future:
        """Deliver one callback in the background; the future yields the ``Delivery``."""
        xml = event if isinstance(event, str) else render_xml(event)
        if not self.callback_url:
            raise RuntimeError("the sandbox has no callback_url")
        return self._pool().submit(self.sender.deliver, self.callback_url, xml)

    def verify_url(self, url: str | None = None) -> bool:
        """WeCom's GET handshake against the callback URL: True when it echoes the decrypted echostr."""
        return self.sender.verify_url(url or self.callback_url)

    def _emit(self, fields: dict[str, Any], wait: bool) -> SentEvent:
        event = SentEvent(fields=fields, xml=render_xml(fields))
        self.events.append(event)
        if self.callback_url:
            if wait:
                event.delivery = self.sender.deliver(self.callback_url, event.xml)
            else:
                event.future = self._pool().submit(self.sender.deliver, self.callback_url, event.xml)
                event.future.add_done_callback(lambda f: setattr(event, "delivery", f.result())
                                               if not f.cancelled() and f.exception() is None else None)
        return event

    # ------------------------------------------------------------------ the API

    def _take_fault(self, path: str) -> Fault | None:
        return take_fault(self._lock, self._faults, path)

    def _record(self, request: Request, path: str, query: dict, body: Any, errcode: int | None,
                http_status: int) -> None:
        shown = {k: ("***" if k == "corpsecret" else v) for k, v in query.items() if k not in HIDDEN_QUERY}
        with self._lock:
            self._log.append({"path": path, "method": request.method, "query": shown, "body": body,
                              "errcode": errcode, "http_status": http_status, "time": time.time()})

    def _gettoken(self, query: dict) -> dict:
        if query.get("corpid") != self.corp_id:
            raise WecomApiError(40013)
        if query.get("corpsecret") != self.secret:
            raise WecomApiError(40001)
        now = self.corp.now()
        with self._lock:
            live = [(t, exp) for t, exp in self._tokens.items() if exp > now]
            if live:  # WeCom answers the same token while it is valid
                token, expires_at = live[-1]
            else:
                token, expires_at = secrets.token_urlsafe(48), now + self.token_ttl_s
                self._tokens[token] = expires_at
        return {"access_token": token, "expires_in": max(int(expires_at - now), 1)}

    def _check_token(self, query: dict) -> None:
        token = query.get("access_token")
        if not token:
            raise WecomApiError(41001)
        with self._lock:
            expires_at = self._tokens.get(token)
        if expires_at is None:
            raise WecomApiError(40014)
        if expires_at <= self.corp.now():
            raise WecomApiError(42001)

    def _check_app(self, request: Request, path: str) -> None:
        caller = request.client.host if request.client else ""
        if self.trusted_ips is not None and caller not in self.trusted_ips:
            raise WecomApiError(60020)
        if path.startswith("externalcontact/") and not self.customer_contact_api:
            raise WecomApiError(48002)

    def _count_call(self) -> None:
        minute = int(self.corp.now() // 60)
        with self._lock:
            window, count = self._window
            count = count + 1 if window == minute else 1
            self._window = (minute, count)
        if count > self.calls_per_minute:
            raise WecomApiError(45009)

    async def _cgi(self, request: Request) -> Response:
        path = _normalize(request.path_params["path"])
        query = dict(request.query_params)
        raw = await request.body()
        body: Any = None
        bad_json = False
        if path == "media/upload" and request.headers.get("content-type", "").startswith("multipart/form-data"):
            body = await self._media_part(request)
        elif raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body, bad_json = raw.decode("utf-8", "replace"), True
        fault = self._take_fault(path)
        if fault and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault and fault.http_status:
            self._record(request, path, query, body, None, fault.http_status)
            return PlainTextResponse(f"sandbox fault: HTTP {fault.http_status}", status_code=fault.http_status)
        try:
            if fault and fault.errcode is not None:
                raise WecomApiError(fault.errcode, fault.errmsg)
            if bad_json or (body is not None and not isinstance(body, dict)):
                raise WecomApiError(47001)
            args = body or {}
            if path == "gettoken":
                answer = self._gettoken(query)
            elif path == "webhook/send":
                with self.corp.lock:
                    answer = webhook_send(self.corp, query, args)
            else:
                handler = ENDPOINTS.get(path)
                if handler is None:
                    self._record(request, path, query, body, None, 404)
                    return PlainTextResponse("unknown api", status_code=404)
                self._check_token(query)
                self._check_app(request, path)
                self._count_call()
                if path in CONCURRENCY_LIMITED:
                    answer = await self._limited(path, handler, query, args)
                else:
                    with self.corp.lock:
                        answer = handler(self.corp, query, args)
            payload = {"errcode": 0, "errmsg": "ok", **answer}
        except WecomApiError as exc:
            payload = exc.body()
        self._record(request, path, query, body, payload["errcode"], 200)
        return JSONResponse(payload)

    async def _media_part(self, request: Request) -> dict:
        """The ``media`` part of a media/upload form, read the way WeCom documents it (filename, length, type)."""
        form = await request.form()
        part = form.get("media")
        if part is None or isinstance(part, str):
            return {}
        data = await part.read()
        return {"filename": part.filename, "content_type": part.content_type, "size": len(data)}

    async def _limited(self, path: str, handler, query: dict, body: dict) -> dict:
        with self._lock:
            inflight = self._inflight.get(path, 0) + 1
            if inflight > self.mark_tag_concurrency:
                raise WecomApiError(45033)
            self._inflight[path] = inflight
            self._peak[path] = max(self._peak.get(path, 0), inflight)
        try:
            if self.mark_tag_latency_s:
                await asyncio.sleep(self.mark_tag_latency_s)
            with self.corp.lock:
                return handler(self.corp, query, body)
        finally:
            with self._lock:
                self._inflight[path] -= 1

    # ------------------------------------------------------------------ /sandbox/ controls over HTTP

    async def _json(self, request: Request) -> dict:
        raw = await request.body()
        return json.loads(raw) if raw.strip() else {}

    async def _http_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_faults()
            return JSONResponse({"ok": True})
        spec = await self._json(request)
        self.inject(spec.pop("path"), **spec)
        return JSONResponse({"ok": True})

    async def _http_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_request_log()
            return JSONResponse({"ok": True})
        return JSONResponse({"requests": self.request_log(request.query_params.get("path"))})

    async def _http_tokens(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("expire", "revoke"):
            return JSONResponse({"error": f"unknown action {action}"}, status_code=404)
        getattr(self, f"{action}_tokens")()
        return JSONResponse({"ok": True})

    async def _http_clock(self, request: Request) -> Response:
        self.advance(float((await self._json(request)).get("seconds", 0)))
        return JSONResponse({"now": self.corp.now()})

    async def _http_state(self, request: Request) -> Response:
        return JSONResponse(self.state())

    async def _http_seed(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        seeders = {"department": self.seed_department, "user": self.seed_user,
                   "external_contact": self.seed_external_contact, "tag_group": self.seed_tag_group,
                   "group": self.seed_group, "oauth_code": self.oauth_code}
        if kind not in seeders:
            return JSONResponse({"error": f"unknown kind {kind}", "kinds": sorted(seeders)}, status_code=404)
        try:
            result = seeders[kind](**await self._json(request))
        except (TypeError, ValueError, KeyError, WecomApiError) as exc:
            return JSONResponse({"error": repr(exc)}, status_code=400)
        return JSONResponse({"result": result})

    async def _http_simulate(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in SIMULATIONS:
            return JSONResponse({"error": f"unknown action {action}", "actions": list(SIMULATIONS)}, status_code=404)
        kwargs = await self._json(request)
        try:
            result = await run_in_threadpool(getattr(self, action), **kwargs)
        except (TypeError, ValueError, KeyError, WecomApiError) as exc:
            return JSONResponse({"error": repr(exc)}, status_code=400)
        events = result if isinstance(result, list) else [result]
        return JSONResponse({"events": [e.to_dict() for e in events]})

    async def _http_verify(self, request: Request) -> Response:
        return JSONResponse({"ok": await run_in_threadpool(self.verify_url)})

    def _build_app(self) -> Starlette:
        return Starlette(routes=[
            Route("/cgi-bin/{path:path}", self._cgi, methods=["GET", "POST"]),
            Route("/sandbox/faults", self._http_faults, methods=["POST", "DELETE"]),
            Route("/sandbox/requests", self._http_requests, methods=["GET", "DELETE"]),
            Route("/sandbox/tokens/{action}", self._http_tokens, methods=["POST"]),
            Route("/sandbox/clock/advance", self._http_clock, methods=["POST"]),
            Route("/sandbox/state", self._http_state, methods=["GET"]),
            Route("/sandbox/seed/{kind}", self._http_seed, methods=["POST"]),
            Route("/sandbox/simulate/{action}", self._http_simulate, methods=["POST"]),
            Route("/sandbox/verify_url", self._http_verify, methods=["POST"]),
        ])

