"""The WeCom API client: wechatpy's ``WeChatClient`` pointed at ``settings.wecom_api_base``.

- The access token lives in Redis (wechatpy's ``RedisStorage``) when ``SCRM_REDIS_URL`` is set, else in
  a process-wide store. On 40014/42001 one process refreshes it under a Redis lock (SET NX PX) while the
  others wait; whoever gets the lock first checks whether the token was already renewed, because a
  refresh storm trips WeCom's 45033.
- 45009/45033/-1, HTTP 5xx and timeouts are retried with exponential backoff and jitter
  (``wecom_retry_attempts`` attempts, ``wecom_retry_base_s``), then ``WecomError`` is raised.
- Calls are paced under ``wecom_calls_per_minute`` across processes (a Redis fixed window) and
  mark_tag runs at most 5 at a time (a Redis semaphore); both fall back to in-process state without Redis.
- Every call is a ``WecomCall`` row written in its own short transaction, so a business rollback keeps it.
- Mutating calls may carry an idempotency key (``idempotency_key=`` on any API method, or
  ``with client.idempotent(key):``); a key that already succeeded returns the stored answer without a call.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import json
import logging
import queue
import random
import re
import threading
import time
import uuid
from typing import Any, Iterator

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.work import WeChatClient

from scrm.core.config import get_settings
from scrm.core.db import get_engine, session_scope
from scrm.core.errors import ExternalServiceError
from scrm.core.jobs import get_redis
from scrm.wecom import api_ext
from scrm.wecom.models import WecomCall

log = logging.getLogger(__name__)

RETRYABLE_ERRCODES = {-1, 45009, 45033}  # system busy, per-minute quota, concurrency
TOKEN_ERRCODES = {40014, 42001}  # invalid, expired access_token
# Answers no retry can change (全局错误码 https://developer.work.weixin.qq.com/document/path/90313): 40003 无效的UserID,
# 40096 不合法的外部联系人userid, 60111 UserID不存在, 84061 不存在外部联系人的关系 (the person is not, or no longer,
# a customer of that member)
PERMANENT_ERRCODES = frozenset({40003, 40096, 60111, 84061})
CONCURRENCY_LIMITS = {"externalcontact/mark_tag": 5}
REQUEST_TIMEOUT = (5.0, 20.0)  # connect, read
MAX_BACKOFF_S = 30.0
TOKEN_LOCK_TTL_MS = 60_000  # outlives a gettoken that retries; a crashed holder frees it within a minute
TOKEN_WAIT_S = 75.0
SLOT_LEASE_S = 60.0
SLOT_WAIT_S = 120.0
REDIS_PREFIX = "scrm:wecom"


class WecomError(ExternalServiceError):
    """A WeCom call that failed for good: a non-retryable errcode, or retries exhausted."""

    code = "wecom_error"

    @property
    def permanent(self) -> bool:
        """WeCom's answer will not change on a later try (``PERMANENT_ERRCODES``)."""
        return self.errcode in PERMANENT_ERRCODES

    def __init__(self, message: str, *, endpoint: str | None = None, errcode: int | None = None,
                 errmsg: str | None = None, attempts: int = 0, response: Any = None):
        super().__init__(message, wecom_errcode=errcode)
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = errmsg
        self.attempts = attempts
        self.response = response


# ---------------------------------------------------------------- process-wide fallbacks (no Redis)


class _MemoryStorage(MemoryStorage):
    """wechatpy's MemoryStorage ignores ``ttl``; a token must disappear when it is due for renewal."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value, expires_at = self._data.get(key, (default, None))
            if expires_at is not None and expires_at <= time.time():
                self._data.pop(key, None)
                return default
            return value

    def set(self, key, value, ttl=None):
        if value is None:
            return
        with self._lock:
            self._data[key] = (value, time.time() + ttl if ttl else None)

    def delete(self, key):
        with self._lock:
            self._data.pop(key, None)


_local_lock = threading.Lock()
_memory_storage = _MemoryStorage()
_token_locks: dict[str, threading.Lock] = {}
_semaphores: dict[str, threading.BoundedSemaphore] = {}
_windows: dict[str, tuple[int, int]] = {}
_clients: dict[tuple, "WecomClient"] = {}


def _named_lock(table: dict, name: str, factory) -> Any:
    with _local_lock:
        if name not in table:
            table[name] = factory()
        return table[name]


def reset() -> None:
    """Forget cached clients, tokens and in-process limiter state (tests, settings changes)."""
    global _memory_storage
    with _local_lock:
        _clients.clear()
        _token_locks.clear()
        _semaphores.clear()
        _windows.clear()
        _memory_storage = _MemoryStorage()


# ---------------------------------------------------------------- Redis scripts

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_ACQUIRE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""
_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


# ---------------------------------------------------------------- idempotency scope

class _Scope:
    def __init__(self, key: str):
        self.key = key
        self.calls = 0

    def next_key(self) -> str:
        # several calls inside one scope get key, key:2, key:3 … in order, the same on every rerun
        self.calls += 1
        return self.key if self.calls == 1 else f"{self.key}:{self.calls}"


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("wecom_idempotency", default=None)


class _ApiProxy:
    """Lets every API method take ``idempotency_key=`` without changing wechatpy's signatures."""

    def __init__(self, api: BaseWeChatAPI, client: "WecomClient"):
        self._api = api
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._api, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
            if idempotency_key is None:
                return attr(*args, **kwargs)
            with self._client.idempotent(idempotency_key):
                return attr(*args, **kwargs)

        return call


# ---------------------------------------------------------------- the client

_MOBILE_KEYS = re.compile(r"mobile|phone|telephone", re.I)


def _redact(value: Any, key: str = "") -> Any:
    """Tokens and phone numbers stay out of the call log (personal data is encrypted at rest elsewhere)."""
    if key in ("access_token", "session_key", "ticket"):  # a JS-SDK ticket signs pages for our domain
        return "***"
    if isinstance(value, dict):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if isinstance(value, str) and _MOBILE_KEYS.search(key) and len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return value


def _short(errmsg: str | None) -> str:
    return (errmsg or "").split(", hint:")[0]


class WecomClient(WeChatClient):
    SERVICE = "WeCom"
    TOKEN_ERRCODES = TOKEN_ERRCODES
    TOKENLESS: frozenset[str] = frozenset()  # endpoints called without an access_token
    contact_detail = api_ext.WeChatContactDetail()
    customers = api_ext.WeChatCustomerList()
    transfer = api_ext.WeChatCustomerTransfer()
    group_msg = api_ext.WeChatGroupMsg()
    join_way = api_ext.WeChatGroupJoinWay()
    auth = api_ext.WeChatAuth()
    template_card = api_ext.WeChatTemplateCard()

    def __init__(self, corp_id: str, secret: str, *, api_base: str, storage, redis=None,
                 timeout: Any = REQUEST_TIMEOUT):
        super().__init__(corp_id, secret, session=storage, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base if api_base.endswith("/") else api_base + "/"
        self.redis = redis
        self._http.mount("http://", HTTPAdapter(pool_maxsize=32))
        self._http.mount("https://", HTTPAdapter(pool_maxsize=32))
        # scan the class, not the instance: reading the instance's properties would fetch a token
        for name, _ in inspect.getmembers(type(self), lambda o: isinstance(o, BaseWeChatAPI)):
            setattr(self, name, _ApiProxy(self.__dict__[name], self))

    # ------------------------------------------------------------ idempotency

    @contextlib.contextmanager
    def idempotent(self, key: str) -> Iterator[None]:
        """Calls inside run at most once successfully per key (``key``, ``key:2`` … for several calls)."""
        if len(key) > 110:
            raise ValueError("idempotency keys are at most 110 characters")
        token = _scope.set(_Scope(key))
        try:
            yield
        finally:
            _scope.reset(token)

    # ------------------------------------------------------------ the access token

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self._refresh_token(stale=None)

    def fetch_access_token(self) -> dict:
        """Renew the token, unless another process already has (see ``_refresh_token``)."""
        return {"access_token": self._refresh_token(stale=self.session.get(self.access_token_key))}

    def _refresh_token(self, stale: str | None) -> str:
        """Return a token newer than ``stale``: somebody else's if they already renewed it, else fetch one.
        Only one process (Redis) or thread (no Redis) fetches at a time; the rest wait for its result."""
        key = self.access_token_key
        if self.redis is None:
            with _named_lock(_token_locks, key, threading.Lock):
                current = self.session.get(key)
                return current if current and current != stale else self._fetch_token()
        lock_key = f"{REDIS_PREFIX}:token-lock:{key}"
        deadline = time.monotonic() + TOKEN_WAIT_S
        while True:
            current = self.session.get(key)
            if current and current != stale:
                return current
            me = uuid.uuid4().hex
            if self.redis.set(lock_key, me, nx=True, px=TOKEN_LOCK_TTL_MS):
                try:
                    current = self.session.get(key)
                    return current if current and current != stale else self._fetch_token()
                finally:
                    self.redis.eval(_RELEASE, 1, lock_key, me)
            if time.monotonic() > deadline:
                raise WecomError("timed out waiting for another process to renew the WeCom access token",
                                 endpoint="gettoken")
            time.sleep(0.02 + random.random() * 0.03)

    def _fetch_token(self) -> str:
        url = self.API_BASE_URL + "gettoken"
        result = self._call("GET", "gettoken", url, {"corpid": self.corp_id, "corpsecret": self.secret}, None,
                            self.timeout, None, auth=False, extra={})
        expires_in = int(result.get("expires_in") or 7200)
        # renew a little early so no call goes out with a token about to lapse
        ttl = max(1, expires_in - min(300, expires_in // 5))
        self.session.set(self.access_token_key, result["access_token"], ttl)
        return result["access_token"]

    # ------------------------------------------------------------ every request goes through here

    def _request(self, method, url_or_endpoint, **kwargs):
        base = kwargs.pop("api_base_url", None) or self.API_BASE_URL
        if url_or_endpoint.startswith(("http://", "https://")):
            url = url_or_endpoint
            endpoint = url[len(self.API_BASE_URL):] if url.startswith(self.API_BASE_URL) else url
        else:
            url, endpoint = base + url_or_endpoint, url_or_endpoint
        endpoint = endpoint.split("?")[0]
        params = dict(kwargs.pop("params", None) or {})
        data = kwargs.pop("data", None)
        result_processor = kwargs.pop("result_processor", None)
        timeout = kwargs.pop("timeout", None) or self.timeout
        scope = _scope.get()
        key = scope.next_key() if scope is not None else None
        result = self._call(method.upper(), endpoint, url, params, data, timeout, key,
                            auth=endpoint not in self.TOKENLESS, extra=kwargs)
        return result_processor(result) if result_processor and isinstance(result, dict) else result

    def _call(self, method: str, endpoint: str, url: str, params: dict, data: Any, timeout: Any,
              key: str | None, *, auth: bool, extra: dict) -> Any:
        if key is not None:
            stored = _stored_answer(key)
            if stored is not None:
                return stored
        body = json.dumps(data, ensure_ascii=False).encode("utf-8") if isinstance(data, dict) else data
        shown_query = {k: v for k, v in params.items() if k not in ("access_token", "corpsecret", "secret")}
        request = {"method": method, "query": shown_query, "body": data if isinstance(data, (dict, list)) else None}
        settings = get_settings()
        max_attempts = max(1, settings.wecom_retry_attempts)
        started = time.monotonic()
        attempts = failures = refreshes = 0
        token: str | None = None
        while True:
            query = dict(params)
            if auth and "access_token" not in params:
                token = token or self.access_token
                query["access_token"] = token
            attempts += 1
            errcode: int | None = None
            answer: Any = None
            try:
                self._pace()
                with self._slot(endpoint):
                    res = self._http.request(method, url, params=query, data=body, timeout=timeout, **extra)
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem, retry = f"{type(exc).__name__}: {exc}"[:255], True
            else:
                if res.status_code >= 500:
                    problem, retry = f"HTTP {res.status_code}", True
                elif res.status_code >= 400:
                    problem, retry = f"HTTP {res.status_code}", False
                else:
                    try:
                        answer = json.loads(res.content.decode("utf-8", "ignore"), strict=False)
                    except ValueError:
                        # not JSON (a media download): hand back the response itself
                        self._record(endpoint, request, None, "non-JSON answer", None, attempts, started, key)
                        return res
                    errcode = int(answer.get("errcode", 0)) if isinstance(answer, dict) else 0
                    if errcode == 0:
                        self._record(endpoint, request, 0, "ok", answer, attempts, started, key)
                        return answer
                    if auth and errcode in self.TOKEN_ERRCODES and refreshes < 2:
                        refreshes += 1
                        token = self._refresh_token(stale=token)
                        continue
                    problem, retry = f"errcode {errcode} ({_short(answer.get('errmsg'))})", \
                        errcode in RETRYABLE_ERRCODES
            if retry:
                failures += 1
                if failures < max_attempts:
                    delay = self._backoff(failures, settings.wecom_retry_base_s)
                    log.warning("%s %s: %s; retry %d/%d in %.2fs", self.SERVICE, endpoint, problem, failures,
                                max_attempts - 1, delay)
                    time.sleep(delay)
                    continue
                problem = f"{problem}; gave up after {attempts} attempts"
            errmsg = answer.get("errmsg") if isinstance(answer, dict) else problem
            self._record(endpoint, request, errcode, errmsg, answer, attempts, started, key)
            raise WecomError(f"{self.SERVICE} {endpoint} failed: {problem}", endpoint=endpoint, errcode=errcode,
                             errmsg=errmsg, attempts=attempts, response=answer)

    @staticmethod
    def _backoff(failures: int, base: float) -> float:
        ceiling = min(MAX_BACKOFF_S, base * 2 ** (failures - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    # ------------------------------------------------------------ pacing and concurrency

    def _pace(self) -> None:
        """Wait for the next minute when this minute's budget (all processes together) is spent."""
        limit = get_settings().wecom_calls_per_minute
        if limit <= 0:
            return
        while True:
            now = time.time()
            window = int(now // 60)
            name = f"{REDIS_PREFIX}:rate:{self.corp_id}:{window}"
            if self.redis is not None:
                count = int(self.redis.eval(_WINDOW, 1, name, 120))
            else:
                with _local_lock:
                    previous, count = _windows.get(self.corp_id, (window, 0))
                    count = count + 1 if previous == window else 1
                    _windows[self.corp_id] = (window, count)
            if count <= limit:
                return
            pause = (window + 1) * 60 - now + random.uniform(0, 0.5)
            log.warning("WeCom call budget of %d/minute spent; waiting %.1fs", limit, pause)
            time.sleep(pause)

    @contextlib.contextmanager
    def _slot(self, endpoint: str) -> Iterator[None]:
        limit = CONCURRENCY_LIMITS.get(endpoint)
        if not limit:
            yield
            return
        name = f"{REDIS_PREFIX}:slots:{self.corp_id}:{endpoint}"
        if self.redis is None:
            semaphore = _named_lock(_semaphores, name, lambda: threading.BoundedSemaphore(limit))
            if not semaphore.acquire(timeout=SLOT_WAIT_S):
                raise requests.Timeout(f"no free {endpoint} slot")
            try:
                yield
            finally:
                semaphore.release()
            return
        me = uuid.uuid4().hex
        deadline = time.monotonic() + SLOT_WAIT_S
        # a holder that dies frees its slot when the lease runs out
        while not self.redis.eval(_ACQUIRE_SLOT, 1, name, time.time(), limit, time.time() + SLOT_LEASE_S, me,
                                  int(SLOT_LEASE_S * 2000)):
            if time.monotonic() > deadline:
                raise requests.Timeout(f"no free {endpoint} slot")
            time.sleep(0.01 + random.random() * 0.02)
        try:
            yield
        finally:
            self.redis.zrem(name, me)

    # ------------------------------------------------------------ the call log

    def _record(self, endpoint: str, request: dict, errcode: int | None, errmsg: str | None, answer: Any,
                attempts: int, started: float, key: str | None) -> None:
        values = dict(endpoint=endpoint[:120], idempotency_key=key, request=_redact(request), errcode=errcode,
                      errmsg=(errmsg or "")[:255] or None,
                      response=_redact(answer) if isinstance(answer, dict) else None, attempts=attempts,
                      duration_ms=int((time.monotonic() - started) * 1000))
        _call_log.write(values)


class CallLog:
    """Writes call records in a transaction of their own, so a business rollback keeps them.

    SQLite allows one writer at a time: a record written while the caller's own transaction holds
    the write lock would wait for that very transaction. There, records go through a background
    thread, and lookups also see the ones not yet written.
    """

    def __init__(self, model: type = WecomCall) -> None:
        self.model = model  # the call-log table
        self._queue: queue.Queue = queue.Queue()
        self._pending: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def write(self, values: dict) -> None:
        if get_engine().dialect.name != "sqlite":
            self._store(values)
            return
        with self._lock:
            if values.get("idempotency_key"):
                self._pending[values["idempotency_key"]] = values
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, daemon=True, name="wecom-call-log")
                self._thread.start()
        self._queue.put(values)

    def pending_answer(self, key: str) -> dict | None:
        with self._lock:
            values = self._pending.get(key)
        if values is not None and values["errcode"] == 0:
            return dict(values["response"] or {"errcode": 0, "errmsg": "ok"})
        return None

    def _drain(self) -> None:
        while True:
            values = self._queue.get()
            try:
                self._store(values)
                with self._lock:
                    if values.get("idempotency_key") and self._pending.get(values["idempotency_key"]) is values:
                        del self._pending[values["idempotency_key"]]
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until the records written so far are stored (SQLite's background writer; at once elsewhere)."""
        self._queue.join()

    def _store(self, values: dict) -> None:
        model = self.model
        key = values.get("idempotency_key")
        try:
            with session_scope() as session:
                row = None
                if key is not None:
                    row = session.scalars(select(model).where(model.idempotency_key == key)).first()
                if row is None:
                    row = model()
                    session.add(row)
                for name, value in values.items():
                    setattr(row, name, value)
        except Exception:  # the call has happened; losing its log line must not make the caller retry it
            log.exception("could not record the call to %s", values["endpoint"])


_call_log = CallLog()

ERASED = {"erased": "客户个人信息已删除"}


def erase_mentions(session: Session, model: Any, values: list[str]) -> int:
    """Blank the request and answer of every logged call (in ``model``'s table) that mentions one of ``values``,
    a customer's WeCom or WeChat ids, at their erasure; what was called, when and how it ended stay. A key or
    reference made from an id is replaced too. Returns how many calls were blanked."""
    if not values:
        return 0
    texts = [c for c in (getattr(model, "idempotency_key", None), getattr(model, "ref", None)) if c is not None]
    mentions = [cast(c, Text).contains(v, autoescape=True) for v in values
                for c in (model.request, model.response, *texts)]
    rows = session.scalars(select(model).where(or_(*mentions))).all()
    for row in rows:
        row.request, row.response = dict(ERASED), (dict(ERASED) if row.response is not None else None)
        if getattr(row, "idempotency_key", None) and any(v in row.idempotency_key for v in values):
            row.idempotency_key = f"erased:{row.id}"
        if getattr(row, "ref", None) and any(v in row.ref for v in values):
            row.ref = None
    session.flush()
    return len(rows)


def _stored_answer(key: str) -> dict | None:
    pending = _call_log.pending_answer(key)
    if pending is not None:
        return pending
    try:
        with session_scope(read_only=True) as session:
            row = session.scalars(select(WecomCall).where(WecomCall.idempotency_key == key,
                                                          WecomCall.errcode == 0)).first()
            return dict(row.response or {"errcode": 0, "errmsg": "ok"}) if row is not None else None
    except Exception:
        log.exception("could not look up idempotency key %s; calling WeCom", key)
        return None


def flush_call_log() -> None:
    _call_log.flush()


def shared_client(cls: type[WecomClient], app_id: str, secret: str, api_base: str) -> WecomClient:
    """One client per class, app and settings, shared by the threads of a process; the token in Redis
    when ``SCRM_REDIS_URL`` is set, so every process shares it too."""
    settings = get_settings()
    key = (cls.__name__, api_base, app_id, secret, settings.redis_url)
    with _local_lock:
        client = _clients.get(key)
    if client is not None:
        return client
    if settings.redis_url:
        redis = get_redis()
        storage = RedisStorage(redis, prefix=REDIS_PREFIX)
    else:
        redis, storage = None, _memory_storage
    client = cls(app_id, secret, api_base=api_base, storage=storage, redis=redis)
    with _local_lock:
        return _clients.setdefault(key, client)


def get_client() -> WecomClient:
    """The client for the configured corp (one per settings, shared by the threads of a process)."""
    settings = get_settings()
    if not settings.wecom_configured:
        raise WecomError("WeCom is not configured: set SCRM_WECOM_CORP_ID and SCRM_WECOM_SECRET")
    return shared_client(WecomClient, settings.wecom_corp_id, settings.wecom_secret, settings.wecom_api_base)
