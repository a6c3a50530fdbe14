"""``scrm doctor`` and the admin's 系统自检 page: whether this installation's settings work, one line per check.

Every check talks to the real thing (the database, Redis, WeCom, the mini-program API, WeChat Pay, our own
public callback URL) with the settings given, and says what is wrong and what to do in plain words. Checks
run side by side, each within ``TIMEOUT_S``: a service that does not answer is reported, never waited on.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import redis
import requests
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.work.crypto import PrpCrypto

from scrm.core import crypto, jobs
from scrm.core.config import Settings, get_settings
from scrm.migrations import alembic_config
from scrm.miniprogram_api.wxa import WxaClient
from scrm.wechatpay import signing
from scrm.wecom import callback, jsapi
from scrm.wecom.client import WecomClient, WecomError

OK, WARN, FAIL = "ok", "warn", "fail"
TIMEOUT_S = 5.0
NETWORK_TIMEOUT = (3.0, 4.0)  # connect, read: inside the check's own limit
MIN_FREE_BYTES = 1024 ** 3
OLDEST_JOB_WARN_S = 300
CERT_WARN_DAYS = 30
WECOM_CONSOLE = "企业微信管理后台 (work.weixin.qq.com/wework_admin)"


@dataclass(frozen=True)
class Result:
    name: str  # the English key, e.g. "wecom.token"
    title: str  # what the console shows, e.g. "企业微信 access_token"
    status: str  # ok, warn or fail
    message: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def _ok(name: str, title: str, message: str) -> Result:
    return Result(name, title, OK, message)


def _warn(name: str, title: str, message: str, fix: str = "") -> Result:
    return Result(name, title, WARN, message, fix)


def _fail(name: str, title: str, message: str, fix: str = "") -> Result:
    return Result(name, title, FAIL, message, fix)


# ------------------------------------------------------------------------------------------------ database


def check_database(settings: Settings) -> list[Result]:
    name, title = "database", "数据库"
    url = settings.effective_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and not Path(parsed.database).exists():
            return [_fail(name, title, f"数据库文件 {parsed.database} 不存在 (no database file yet)",
                          "运行 `scrm migrate` 建库 (or `scrm serve`, which migrates the embedded database)")]
        connect_args: dict = {"timeout": TIMEOUT_S}
    else:
        connect_args = {"connect_timeout": int(TIMEOUT_S)}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:
        return [_fail(name, title, f"连不上数据库 (cannot connect): {_first_line(exc)}",
                      "检查 SCRM_DATABASE_URL 的主机、端口、用户名和密码，以及数据库服务是否在运行")]
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    shown = parsed.render_as_string(hide_password=True)
    if current == heads:
        return [_ok(name, title, f"可以连接，表结构是最新版本 (schema at head {', '.join(sorted(heads))}): {shown}")]
    if not current:
        return [_fail(name, title, "数据库还没有建表 (no migrations applied)", "运行 `scrm migrate`")]
    return [_fail(name, title, f"表结构不是最新版本 (at {', '.join(sorted(current))}, head is {', '.join(sorted(heads))})",
                  "运行 `scrm migrate`，然后重启 serve、worker 和 scheduler")]


# ------------------------------------------------------------------------------------------------ Redis, workers


def check_redis(settings: Settings) -> list[Result]:
    name, title = "redis", "Redis 与后台任务"
    if not settings.redis_url:
        message = "未配置 Redis：后台任务在 Web 进程内同步执行 (no SCRM_REDIS_URL: jobs run inline)"
        if settings.embedded:
            return [_ok(name, title, message)]
        return [_warn(name, title, message, "正式环境请设置 SCRM_REDIS_URL 并运行 `scrm worker` 和 `scrm scheduler`，"
                                            "否则回调处理会拖慢请求")]
    connection = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=NETWORK_TIMEOUT[0],
                                      socket_timeout=NETWORK_TIMEOUT[1])
    try:
        connection.ping()
        workers = Worker.all(connection=connection)
        depth = {q: Queue(q, connection=connection).count for q in jobs.QUEUES}
        oldest = _oldest_queued_s(connection)
    except redis.RedisError as exc:
        return [_fail(name, title, f"连不上 Redis (cannot reach Redis): {_first_line(exc)}",
                      "检查 SCRM_REDIS_URL 和 Redis 服务是否在运行")]
    finally:
        connection.close()
    results = [_ok(name, title, "Redis 可以连接 (reachable)")]
    queued = ", ".join(f"{q} {n}" for q, n in depth.items())
    age = f"，最早的任务已等待 {oldest:.0f} 秒 (oldest queued {oldest:.0f}s)" if oldest is not None else ""
    if not workers:
        results.append(_fail("workers", "后台任务进程", f"没有在运行的 worker (no RQ worker registered); 队列 {queued}{age}",
                             "运行 `scrm worker`（用 systemd 或 supervisor 常驻），回调和定时任务才会被处理"))
    elif oldest is not None and oldest > OLDEST_JOB_WARN_S:
        results.append(_warn("workers", "后台任务进程", f"{len(workers)} 个 worker，但任务积压 (backlog): 队列 {queued}{age}",
                             "增加 `scrm worker` 进程，或查看 worker 日志是否卡住"))
    else:
        results.append(_ok("workers", "后台任务进程", f"{len(workers)} 个 worker 在运行 (workers alive); 队列 {queued}{age}"))
    return results


def _oldest_queued_s(connection) -> float | None:
    now = datetime.now(timezone.utc)
    ages = []
    for name in jobs.QUEUES:
        ids = Queue(name, connection=connection).get_job_ids(0, 1)
        job = Job.fetch(ids[0], connection=connection) if ids else None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=timezone.utc)
            ages.append((now - enqueued).total_seconds())
    return max(ages) if ages else None


# ------------------------------------------------------------------------------------------------ WeCom

# WeCom's global errcodes (developer.work.weixin.qq.com/document/path/90313) in plain words, with the fix
WECOM_ERRCODES: dict[int, tuple[str, str]] = {
    40013: ("企业ID不正确 (invalid corpid)",
            f"在{WECOM_CONSOLE} → 我的企业 → 企业信息 → 企业ID，复制到 SCRM_WECOM_CORP_ID"),
    40001: ("Secret 不正确，或不是这个应用的 Secret (invalid secret / another app's secret)",
            f"在{WECOM_CONSOLE} → 应用管理 → 自建应用 → 本应用 → Secret 查看，复制到 SCRM_WECOM_SECRET"
            "（每个应用的 Secret 不同；重置后旧的立即失效）"),
    60020: ("本服务器的出口 IP 不在应用的企业可信IP中 (server IP not in the app's trusted IPs)",
            f"在{WECOM_CONSOLE} → 应用管理 → 自建应用 → 本应用 → 开发者接口 → 企业可信IP，添加本服务器的公网出口IP"
            "（需先设置可信域名或接收消息服务器URL）"),
    48002: ("应用没有调用这个接口的权限 (API forbidden: the app lacks the permission)",
            f"在{WECOM_CONSOLE} → 客户与上下游 → 客户联系 → API → 可调用接口的应用，加入本应用；"
            "并确认应用的可见范围包含使用客户联系的成员"),
    42001: ("access_token 已过期 (token expired)", "稍后重试；若反复出现，检查服务器时间和多个进程是否共用 Redis"),
    40014: ("access_token 无效 (invalid token)", "Secret 可能刚被重置：更新 SCRM_WECOM_SECRET 后重启所有 scrm 进程"),
    41001: ("缺少 access_token (token missing)", "检查 SCRM_WECOM_API_BASE 是否指向企业微信的 API"),
    45009: ("接口调用超过频率限制 (rate limit)", "稍后重试；降低 SCRM_WECOM_CALLS_PER_MINUTE"),
    -1: ("企业微信系统繁忙 (system busy)", "稍后重试"),
}


def _explain(exc: WecomError, table: dict[int, tuple[str, str]], fallback_fix: str) -> tuple[str, str]:
    if exc.errcode in table:
        message, fix = table[exc.errcode]
        return f"{message} [errcode {exc.errcode}]", fix
    if exc.errcode is not None:
        return f"errcode {exc.errcode}: {(exc.errmsg or '').split(', hint:')[0]}", \
            f"查询错误码: https://open.work.weixin.qq.com/devtool/query?e={exc.errcode}"
    return f"连不上 (no answer): {exc}", fallback_fix


class _ProbeClient(WecomClient):
    """A client of its own (its own token store, nothing shared with the running service) whose calls are
    probes, not business: they are not written to the call log."""

    def _record(self, *args, **kwargs) -> None:
        return None


class _ProbeWxaClient(WxaClient):
    def _record(self, *args, **kwargs) -> None:
        return None


def check_wecom(settings: Settings) -> list[Result]:
    name, title = "wecom.token", "企业微信 access_token"
    if not settings.wecom_configured:
        return [_fail(name, title, "未配置企业微信 (SCRM_WECOM_CORP_ID / SCRM_WECOM_SECRET not set)",
                      f"设置 SCRM_WECOM_CORP_ID（{WECOM_CONSOLE} → 我的企业 → 企业ID）和 SCRM_WECOM_SECRET"
                      "（应用管理 → 自建应用 → Secret）")]
    client = _ProbeClient(settings.wecom_corp_id, settings.wecom_secret, api_base=settings.wecom_api_base,
                          storage=MemoryStorage(), timeout=NETWORK_TIMEOUT)
    network_fix = f"检查本服务器能否访问 {settings.wecom_api_base}（防火墙、代理、DNS）"
    try:
        client.fetch_access_token()
    except WecomError as exc:
        return [_fail(name, title, *_explain(exc, WECOM_ERRCODES, network_fix))]
    results = [_ok(name, title, f"企业ID和 Secret 正确，已取得 access_token (corp {settings.wecom_corp_id})")]
    contact, contact_title = "wecom.customer_contact", "企业微信 客户联系权限"
    try:
        members = client.external_contact.get_follow_user_list().get("follow_user") or []
    except WecomError as exc:
        message, fix = _explain(exc, WECOM_ERRCODES, network_fix)
        if exc.errcode == 48002:
            message = "应用没有客户联系权限 (the app lacks the customer-contact permission) [errcode 48002]"
        results.append(_fail(contact, contact_title, message, fix))
        return results
    if not members:
        results.append(_warn(contact, contact_title, "应用有客户联系权限，但还没有成员开通客户联系 (no member has 客户联系)",
                             f"在{WECOM_CONSOLE} → 客户与上下游 → 客户联系 → 权限配置，给销售成员开通"))
    else:
        results.append(_ok(contact, contact_title, f"可以调用客户联系接口，{len(members)} 名成员已开通 (members)"))
    return results


def check_jsapi(settings: Settings) -> list[Result]:
    """The chat sidebar's JS-SDK needs both tickets: the corp's (wx.config) and the app's (wx.agentConfig)."""
    name, title = "wecom.jsapi", "企业微信 JS-SDK 签名 (侧边栏)"
    if not settings.wecom_configured:
        return [_fail(name, title, "未配置企业微信，侧边栏无法签名 (WeCom not configured)",
                      "先按「企业微信 access_token」一行配置企业ID和 Secret")]
    if not settings.wecom_agent_id:
        return [_fail(name, title, "未设置应用 AgentId (SCRM_WECOM_AGENT_ID not set)，wx.agentConfig 需要它",
                      f"在{WECOM_CONSOLE} → 应用管理 → 自建应用 → 本应用 → AgentId，复制到 SCRM_WECOM_AGENT_ID")]
    client = _ProbeClient(settings.wecom_corp_id, settings.wecom_secret, api_base=settings.wecom_api_base,
                          storage=MemoryStorage(), timeout=NETWORK_TIMEOUT)
    network_fix = f"检查本服务器能否访问 {settings.wecom_api_base}（防火墙、代理、DNS）"
    got = []
    for kind, label in ((jsapi.CORP, "企业 jsapi_ticket"), (jsapi.AGENT, "应用 jsapi_ticket (agent_config)")):
        endpoint, query = jsapi.TICKET_ENDPOINTS[kind]
        try:
            answer = client.get(endpoint, params=dict(query))
        except WecomError as exc:
            message, fix = _explain(exc, WECOM_ERRCODES, network_fix)
            return [_fail(name, title, f"取不到{label}: {message}", fix)]
        if not answer.get("ticket"):
            return [_fail(name, title, f"企业微信返回的{label}为空 (no ticket in the answer)", network_fix)]
        got.append(f"{label} 有效 {answer.get('expires_in', '?')} 秒")
    return [_ok(name, title, "；".join(got) + "。侧边栏页面的域名还需在应用的「网页授权及JS-SDK」中设为可信域名")]


# ------------------------------------------------------------------------------------------------ callback URL


def check_callback(settings: Settings) -> list[Result]:
    name, title = "wecom.callback", "企业微信 回调URL"
    missing = [env for env, value in (("SCRM_WECOM_TOKEN", settings.wecom_token),
                                      ("SCRM_WECOM_AES_KEY", settings.wecom_aes_key),
                                      ("SCRM_WECOM_CORP_ID", settings.wecom_corp_id)) if not value]
    if missing:
        return [_fail(name, title, f"未配置回调 ({', '.join(missing)} not set)",
                      f"在{WECOM_CONSOLE} → 应用管理 → 本应用 → 接收消息 → 设置API接收：随机获取 Token 和 EncodingAESKey，"
                      "填入 SCRM_WECOM_TOKEN 和 SCRM_WECOM_AES_KEY")]
    if not settings.wecom_callback_url:
        return [_fail(name, title, "未设置公网回调地址 (SCRM_WECOM_CALLBACK_URL not set)",
                      "设置 SCRM_WECOM_CALLBACK_URL 为接收消息设置里填写的 URL，例如 https://scrm.example.com/wecom/callback")]
    try:
        keys = callback.CallbackKeys.build(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id, 0)
    except ValueError:
        return [_fail(name, title, "SCRM_WECOM_AES_KEY 不是 43 位的 EncodingAESKey",
                      "从接收消息设置里复制完整的 EncodingAESKey（43 个字符）")]
    echo = secrets.token_hex(12)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    echostr = PrpCrypto(keys.aes_key).encrypt(echo, keys.corp_id).decode()
    query = {"msg_signature": callback.signature(keys.token, timestamp, nonce, echostr), "timestamp": timestamp,
             "nonce": nonce, "echostr": echostr}
    url = settings.wecom_callback_url
    try:
        answer = requests.get(url, params=query, timeout=NETWORK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return [_fail(name, title, f"访问不到 {url} (cannot reach): {type(exc).__name__}",
                      "检查域名解析、HTTPS 证书、防火墙和反向代理是否把 /wecom/callback 转到 scrm serve")]
    if answer.status_code == 200 and answer.text.strip() == echo:
        return [_ok(name, title, f"{url} 通过了企业微信的URL验证 (answered the signed URL check)")]
    reason = answer.text.strip()[:80]
    fixes = {
        "bad signature": "该地址上的服务使用的 Token 与本机 SCRM_WECOM_TOKEN 不同：两边都设置成接收消息设置里的 Token",
        "wrong receiver id": "该地址上的服务的 SCRM_WECOM_CORP_ID 与本机不同：两边都设置成本企业的企业ID",
        "cannot decrypt": "该地址上的服务的 SCRM_WECOM_AES_KEY 与本机不同：两边都设置成接收消息设置里的 EncodingAESKey",
        "timestamp outside the replay window": "该地址上的服务器时间不准：开启 NTP 校时",
    }
    if answer.status_code in (400, 403) and reason in fixes:
        return [_fail(name, title, f"{url} 拒绝了验证请求 (refused: {reason}, HTTP {answer.status_code})", fixes[reason])]
    if answer.status_code == 503:
        return [_fail(name, title, f"{url} 上的服务没有配置企业微信 (HTTP 503: {reason})",
                      "在该服务的环境里设置 SCRM_WECOM_TOKEN、SCRM_WECOM_AES_KEY、SCRM_WECOM_CORP_ID 并重启")]
    return [_fail(name, title, f"{url} 没有回显验证串 (HTTP {answer.status_code}: {reason or 'empty'})",
                  "确认该 URL 指向 scrm serve 的 /wecom/callback（反向代理的路径和重定向）")]


# ------------------------------------------------------------------------------------------------ mini-program

WXA_ERRCODES: dict[int, tuple[str, str]] = {
    40013: ("小程序 AppID 不正确 (invalid appid)", "在 mp.weixin.qq.com → 开发管理 → 开发设置 复制 AppID 到 SCRM_WXA_APPID"),
    40125: ("小程序 AppSecret 不正确 (invalid appsecret)",
            "在 mp.weixin.qq.com → 开发管理 → 开发设置 重置或复制 AppSecret 到 SCRM_WXA_SECRET"),
    40001: ("小程序 AppSecret 不正确 (invalid credential)",
            "在 mp.weixin.qq.com → 开发管理 → 开发设置 重置或复制 AppSecret 到 SCRM_WXA_SECRET"),
    40164: ("本服务器的 IP 不在小程序的 IP 白名单中 (IP not whitelisted)",
            "在 mp.weixin.qq.com → 开发管理 → 开发设置 → IP白名单，添加本服务器的公网出口IP"),
    -1: ("微信系统繁忙 (system busy)", "稍后重试"),
}


def check_miniprogram(settings: Settings) -> list[Result]:
    name, title = "miniprogram", "小程序"
    if not settings.wxa_configured:
        return [_warn(name, title, "未配置小程序 (SCRM_WXA_APPID / SCRM_WXA_SECRET not set)：客户登录和推荐码不可用",
                      "设置 SCRM_WXA_APPID 和 SCRM_WXA_SECRET（mp.weixin.qq.com → 开发管理 → 开发设置）")]
    client = _ProbeWxaClient(settings.wxa_appid, settings.wxa_secret, api_base=settings.wxa_api_base,
                             storage=MemoryStorage(), timeout=NETWORK_TIMEOUT)
    try:
        client.fetch_access_token()
    except WecomError as exc:
        return [_fail(name, title, *_explain(exc, WXA_ERRCODES, f"检查本服务器能否访问 {settings.wxa_api_base}"))]
    return [_ok(name, title, f"AppID 和 AppSecret 正确，已取得 access_token ({settings.wxa_appid})")]


# ------------------------------------------------------------------------------------------------ WeChat Pay


def check_wechatpay(settings: Settings) -> list[Result]:
    name, title = "wechatpay", "微信支付 (委托代扣)"
    if not (settings.wechatpay_mch_id and settings.wechatpay_api_key):
        return [_warn(name, title, "未配置微信支付 (SCRM_WECHATPAY_MCH_ID / SCRM_WECHATPAY_API_KEY not set)：代扣和付款不可用",
                      "设置商户号 SCRM_WECHATPAY_MCH_ID 和 APIv2 密钥 SCRM_WECHATPAY_API_KEY")]
    key_fix = "在 pay.weixin.qq.com → 账户中心 → API安全 → 设置APIv2密钥（32 位），填入 SCRM_WECHATPAY_API_KEY"
    if len(settings.wechatpay_api_key) != 32:
        return [_fail(name, title, f"API 密钥长度是 {len(settings.wechatpay_api_key)}，应为 32 (API key must be 32 characters)",
                      key_fix)]
    results = [_probe_wechatpay(settings, name, title, key_fix)]
    missing = [env for env, value in (("SCRM_WECHATPAY_APPID", settings.wechatpay_appid),
                                      ("SCRM_WECHATPAY_PAPAY_PLAN_ID", settings.wechatpay_papay_plan_id)) if not value]
    if missing:
        results.append(_warn("wechatpay.papay", "微信支付 代扣模板", f"{', '.join(missing)} 未设置：无法签约代扣",
                             "在商户平台 → 产品中心 → 委托代扣 查看模板ID，设置 SCRM_WECHATPAY_PAPAY_PLAN_ID 和 AppID"))
    if settings.wechatpay_cert_path:
        results.append(_check_certificate(settings))
    return results


def _probe_wechatpay(settings: Settings, name: str, title: str, key_fix: str) -> Result:
    """Ask for a deduction order that cannot exist: WeChat Pay checks the signature first, so "no such order"
    means the merchant number and key are right."""
    fields = {"appid": settings.wechatpay_appid, "mch_id": settings.wechatpay_mch_id,
              "out_trade_no": "doctor" + secrets.token_hex(8), "nonce_str": secrets.token_hex(16)}
    url = settings.wechatpay_api_base.rstrip("/") + "/pay/paporderquery"
    try:
        answer = requests.post(url, data=signing.to_xml(fields, settings.wechatpay_api_key).encode(),
                               timeout=NETWORK_TIMEOUT)
        data = signing.parse_xml(answer.content)
    except requests.RequestException as exc:
        return _fail(name, title, f"连不上微信支付 (cannot reach {url}): {type(exc).__name__}",
                     "检查本服务器能否访问 SCRM_WECHATPAY_API_BASE")
    except (signing.BadSignature, signing.RefusedXml):
        return _fail(name, title, f"{url} 的回答不是微信支付的 XML (HTTP {answer.status_code})",
                     "检查 SCRM_WECHATPAY_API_BASE")
    if data.get("return_code") != "SUCCESS":
        message = data.get("return_msg") or "FAIL"
        fix = key_fix if "签名" in message else "检查商户号 SCRM_WECHATPAY_MCH_ID 和 AppID SCRM_WECHATPAY_APPID 是否匹配"
        return _fail(name, title, f"微信支付拒绝了请求 (refused): {message}", fix)
    if data.get("result_code") == "SUCCESS" or data.get("err_code") == "ORDERNOTEXIST":
        return _ok(name, title, f"商户号和 API 密钥正确 (merchant {settings.wechatpay_mch_id}, key accepted)")
    return _warn(name, title, f"商户号和密钥正确，但查询返回 {data.get('err_code')}: {data.get('err_code_des', '')}",
                 "确认商户已开通委托代扣产品")


def _check_certificate(settings: Settings) -> Result:
    name, title = "wechatpay.certificate", "微信支付 API 证书"
    path = Path(settings.wechatpay_cert_path)
    fix = "从商户平台 → 账户中心 → API安全 → 申请API证书，下载 apiclient_cert.pem，设置 SCRM_WECHATPAY_CERT_PATH"
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except OSError as exc:
        return _fail(name, title, f"读不到证书 {path} (cannot read): {exc.strerror}", fix)
    except ValueError:
        return _fail(name, title, f"{path} 不是 PEM 格式的证书 (not a PEM certificate)", fix)
    expires = cert.not_valid_after_utc
    left = expires - datetime.now(timezone.utc)
    if left.total_seconds() <= 0:
        return _fail(name, title, f"证书已于 {expires:%Y-%m-%d} 过期 (expired)", "在商户平台更换 API 证书，" + fix)
    if settings.wechatpay_cert_key_path:
        try:
            key = serialization.load_pem_private_key(Path(settings.wechatpay_cert_key_path).read_bytes(), None)
        except (OSError, ValueError, TypeError) as exc:
            return _fail(name, title, f"读不到证书私钥 {settings.wechatpay_cert_key_path}: {_first_line(exc)}",
                         "设置 SCRM_WECHATPAY_CERT_KEY_PATH 为 apiclient_key.pem（未加密）")
        if key.public_key().public_numbers() != cert.public_key().public_numbers():
            return _fail(name, title, "证书私钥与证书不匹配 (the key is not the certificate's)",
                         "apiclient_key.pem 和 apiclient_cert.pem 必须来自同一次申请")
    if left.days < CERT_WARN_DAYS:
        return _warn(name, title, f"证书将于 {expires:%Y-%m-%d} 过期，还剩 {left.days} 天 (expires soon)",
                     "在商户平台更换 API 证书")
    return _ok(name, title, f"证书可读，有效期至 {expires:%Y-%m-%d} (valid)")


# ------------------------------------------------------------------------------------------------ PII key, disk


def check_pii_key(settings: Settings) -> list[Result]:
    """The round trip runs with the keys this process has loaded (``scrm.core.crypto``), which are the ones
    the service uses; ``settings`` says where they came from."""
    name, title = "pii_key", "个人信息加密密钥"
    problem = settings.startup_problem()
    if problem and "PII" in problem:
        return [_fail(name, title, problem.split(":")[0], problem)]
    key_file = settings.data_dir / "pii.key"
    embedded_fix = ("正式使用前：设置 SCRM_PII_KEY（`scrm pii new-key` 生成，或用该文件的内容），"
                    "并把它保存在数据库备份之外：丢了密钥，手机号和证件号就无法读取")
    if not settings.pii_key and not key_file.exists():
        return [_warn(name, title, f"首次启动时会在数据目录生成密钥文件 {key_file} (the embedded key file)", embedded_fix)]
    try:
        if crypto.decrypt(crypto.encrypt("doctor")) != "doctor":
            raise ValueError("round trip changed the text")
    except Exception as exc:
        return [_fail(name, title, f"加密/解密失败 (round trip failed): {_first_line(exc)}",
                      "检查 SCRM_PII_KEY 和 SCRM_PII_OLD_KEYS（base64 的 32 字节，`scrm pii new-key` 生成）")]
    if not settings.pii_key:
        return [_warn(name, title, f"使用数据目录里的密钥文件 {key_file} (the embedded key file)", embedded_fix)]
    return [_ok(name, title, f"密钥可用，加密/解密正常 (key {crypto.current_key_id()})")]


def check_disk(settings: Settings) -> list[Result]:
    name, title = "disk", "磁盘空间"
    where = settings.data_dir.resolve()
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if where.exists() and not os.access(where, os.W_OK):
        return [_fail(name, title, f"数据目录 {where} 不可写 (not writable)",
                      "把数据目录的所有者改成运行 scrm 的用户，或修改 SCRM_DATA_DIR")]
    free = shutil.disk_usage(probe).free
    shown = f"{free / 1024 ** 3:.1f} GiB"
    if free < MIN_FREE_BYTES:
        return [_warn(name, title, f"{where} 所在磁盘只剩 {shown} (under 1 GiB free)",
                      "清理磁盘或把 SCRM_DATA_DIR 移到更大的磁盘；文件和 SQLite 数据库都写在这里")]
    return [_ok(name, title, f"{where} 所在磁盘剩余 {shown} (free)")]


# ------------------------------------------------------------------------------------------------ running them


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


CHECKS: tuple[tuple[str, str, Callable[[Settings], list[Result]]], ...] = (
    ("database", "数据库", check_database),
    ("redis", "Redis 与后台任务", check_redis),
    ("wecom.token", "企业微信", check_wecom),
    ("wecom.jsapi", "企业微信 JS-SDK 签名", check_jsapi),
    ("wecom.callback", "企业微信 回调URL", check_callback),
    ("miniprogram", "小程序", check_miniprogram),
    ("wechatpay", "微信支付", check_wechatpay),
    ("pii_key", "个人信息加密密钥", check_pii_key),
    ("disk", "磁盘空间", check_disk),
)


def run(settings: Settings | None = None, timeout_s: float = TIMEOUT_S) -> list[Result]:
    """Every check, side by side; one that has not finished within ``timeout_s`` is a failure that says so
    (its thread is left to finish on its own)."""
    settings = settings or get_settings()
    outcomes: dict[int, list[Result]] = {}

    def work(index: int, name: str, title: str, check: Callable[[Settings], list[Result]]) -> None:
        try:
            outcomes[index] = check(settings)
        except Exception as exc:  # a check that breaks is a finding, not a crash of the page
            outcomes[index] = [_fail(name, title, f"检查出错 (check failed): {type(exc).__name__}: {_first_line(exc)}")]

    threads = [threading.Thread(target=work, args=(i, *spec), daemon=True, name=f"doctor-{spec[0]}")
               for i, spec in enumerate(CHECKS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    results: list[Result] = []
    for index, (name, title, _) in enumerate(CHECKS):
        results.extend(outcomes.get(index) or [
            _fail(name, title, f"{timeout_s:.0f} 秒内没有结果 (no answer within {timeout_s:.0f}s)",
                  "该服务没有响应：检查网络和对应的服务是否在运行")])
    return results


def failed(results: list[Result]) -> bool:
    return any(r.status == FAIL for r in results)
