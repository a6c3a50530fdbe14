"""Settings, read from the environment with the prefix ``SCRM_``.

With nothing set the service runs on the embedded default: a SQLite file under ``SCRM_DATA_DIR``,
jobs inline, and the built-in sandbox WeCom standing in for the real one.
"""

import base64
import binascii
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRM_", env_file=None, extra="ignore")

    data_dir: Path = Path(".scrm")
    database_url: str = ""
    redis_url: str = ""
    log_json: bool = False
    log_level: str = "INFO"

    # Personal data: a base64 32-byte master key ("scrm pii new-key" prints one). Older keys stay
    # readable during rotation: SCRM_PII_OLD_KEYS is a comma-separated list.
    pii_key: str = ""
    pii_old_keys: str = ""
    secret_key: str = ""
    staff_token_ttl_s: int = 12 * 3600
    customer_token_ttl_s: int = 2 * 3600

    wecom_corp_id: str = ""
    wecom_secret: str = ""
    wecom_agent_id: int = 0
    wecom_token: str = ""
    wecom_aes_key: str = ""
    wecom_api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    wecom_replay_window_s: int = 300
    # the public URL entered in the WeCom app's 接收消息 settings; ``scrm doctor`` sends it WeCom's URL check
    wecom_callback_url: str = ""
    # WeCom allows 10,000 calls a minute per company; stay under it with headroom.
    wecom_calls_per_minute: int = 9000
    wecom_retry_attempts: int = 5
    wecom_retry_base_s: float = 0.5
    # pages of WeCom's customer list the import reads a minute: WeCom allows one API 150,000 calls an hour per
    # company (2,500 a minute sustained), and the import must leave room for the callbacks' own calls; 0: no pause
    wecom_import_pages_per_minute: int = 1200

    # The WeChat mini-program (小程序) server API; the sandbox stands in for it in tests and the demo.
    wxa_appid: str = ""
    wxa_secret: str = ""
    wxa_api_base: str = "https://api.weixin.qq.com/"
    privacy_terms_version: str = "2026-11"

    # Referral (客户拉客户): attribution, commission and withdrawal limits; amounts in fen.
    referral_window_days: int = 30
    referral_depth: int = Field(1, ge=1, le=2)  # deeper chains would be multi-level marketing
    referral_max_fee_share_percent: Decimal = Decimal("30")
    referral_cooling_off_hours: int = 7 * 24
    referral_withdraw_min_fen: int = 1000
    referral_withdraw_daily_limit_fen: int = 500000
    referral_payout_client_ip: str = "127.0.0.1"  # spbill_create_ip of WeChat Pay transfers: this server's address
    # tiers, follow-up SOP and the bot (times are in ``timezone``)
    timezone: str = "Asia/Shanghai"
    risk_reviewer_employee_id: int = 0  # who gets the risk-review task of a blocked customer (0: the pool)
    group_member_limit: int = 200  # WeCom's customer-group size; a tier's group this full rolls over
    sop_repayment_lead_days: int = 3
    sop_reloan_after_months: int = 3
    sop_lead_sla_hours: int = 24
    sop_missed_after_hours: int = 24
    bot_morning_hour: int = 9
    bot_team_webhook_url: str = ""  # a group robot (群机器人) webhook for team-wide notices
    # WeChat Pay v2 (papay 委托代扣, 企业付款到零钱). The notify base is where WeChat Pay reaches us
    # (``<base>/pay/notify/papay``); the clock offset moves the papay window check (sandboxes, tests).
    wechatpay_appid: str = ""
    wechatpay_mch_id: str = ""
    wechatpay_api_key: str = ""
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com/"
    wechatpay_papay_plan_id: str = ""
    wechatpay_notify_base: str = "http://127.0.0.1:8000"
    wechatpay_timeout_s: float = 10.0
    wechatpay_clock_offset_s: int = 0
    # the merchant's API certificate and its private key (apiclient_cert.pem, apiclient_key.pem), when installed
    wechatpay_cert_path: str = ""
    wechatpay_cert_key_path: str = ""
    # bank-card agreement payment (协议支付)
    bankpay_api_base: str = ""
    bankpay_merchant_id: str = ""
    bankpay_key: str = ""
    # direct debit: attempts per debit; how long a timed-out order the provider does not know stays unknown
    debit_max_attempts: int = 3
    debit_unknown_grace_s: int = 300
    # a settlement left to direct debit is overdue when its amount due is still owed this many days after closing
    settlement_due_days: int = 3

    # request bodies: every route is bounded before anything parses the body; the WeCom callback and the
    # payment notifications (small signed XML or JSON) are bounded tighter
    max_body: int = 1024 * 1024
    notify_max_body: int = 64 * 1024
    callback_max_body: int = 64 * 1024
    inbox_stale_after_s: int = 60

    # Attachments (征信报告, 银行流水, ID and deed photos), encrypted before they are stored. With no bucket
    # they are kept under ``data_dir/files``; with one, in S3-compatible object storage (Tencent COS,
    # Aliyun OSS, MinIO): the endpoint is the service's URL, the region its region name.
    files_s3_endpoint: str = ""
    files_s3_bucket: str = ""
    files_s3_access_key: str = ""
    files_s3_secret_key: str = ""
    files_s3_region: str = ""
    # "path" for MinIO without a domain; Aliyun OSS wants "virtual"; "auto" lets boto3 choose
    files_s3_addressing_style: str = "auto"
    files_max_bytes: int = Field(20 * 1024 * 1024, ge=1)

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'scrm.db').resolve()}"

    def startup_problem(self) -> str | None:
        """Why a process cannot start with these settings, or None. The embedded default keeps its
        personal-data key in the data directory; with a database URL it must come from the environment,
        or the first request that touches a phone number would fail."""
        if not self.pii_key:
            if self.embedded:
                return None
            return ("SCRM_PII_KEY is required when SCRM_DATABASE_URL is set: make one with `scrm pii new-key` "
                    "and set it in the environment of every scrm process (serve, worker, scheduler); keep a copy "
                    "safe, personal data cannot be read without it")
        try:
            key = base64.b64decode(self.pii_key.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            return "SCRM_PII_KEY must be 32 bytes, base64-encoded: make one with `scrm pii new-key`"
        if not self.embedded and not self.secret_key.strip():
            # each machine would sign staff tokens with a secret of its own: a token issued by one web
            # process would be refused by the next
            return ("SCRM_SECRET_KEY is required when SCRM_DATABASE_URL is set, the same long random value in every "
                    "scrm process: it signs staff and customer tokens")
        return None

    @property
    def wecom_configured(self) -> bool:
        return bool(self.wecom_corp_id and self.wecom_secret)

    @property
    def wxa_configured(self) -> bool:
        return bool(self.wxa_appid and self.wxa_secret)


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()


SANDBOX_WECOM = dict(
    corp_id="ww5ce1c2e0sandbox",
    secret="sandbox-secret-0123456789",
    agent_id=1000002,
    token="SandboxToken42",
    aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
"""Credentials shared by the sandbox WeCom and the service when they run together (demo, tests)."""


SANDBOX_WXA = dict(appid="wx5a1dbox0miniprog", secret="sandbox-wxa-secret-0123456789ab")
"""Credentials shared by the sandbox mini-program API and the service when they run together."""

SANDBOX_WECHATPAY = dict(
    appid="wx8sandboxpay00001",
    mch_id="1900000109",
    api_key="sandboxWechatPayApiKey0123456789",
    plan_id="12535",
)
SANDBOX_BANKPAY = dict(merchant_id="BANK-M-0001", key="sandbox-bank-agreement-key-0001")
"""Credentials shared by the WeChat Pay / bank agreement sandbox and the service (demo, tests)."""
