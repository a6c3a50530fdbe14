"""The mini-program server API client: wechatpy's ``WeChatWxa`` on the WeCom client's machinery.

``WecomClient`` already shares the access token through Redis, refreshes it under a lock, retries
with backoff and records every call; the mini-program API differs only in how the token is fetched
(``cgi-bin/token`` with ``client_credential``), in that ``sns/jscode2session`` takes the app secret
instead of a token, and in answering 40001 for a stale token. wechatpy 2.0's ``WeChatWxa`` has every
call used here (``code_to_session``, ``get_phone_number``, ``get_wxa_code_unlimited``).
"""

from __future__ import annotations

from wechatpy.client.api import WeChatWxa

from scrm.core.config import get_settings
from scrm.wecom.client import WecomClient, WecomError, shared_client


class WxaClient(WecomClient):
    SERVICE = "WeChat mini-program API"
    TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
    TOKENLESS = frozenset({"sns/jscode2session"})
    wxa = WeChatWxa()

    def __init__(self, appid: str, secret: str, **kwargs):
        super().__init__(appid, secret, **kwargs)
        self.appid = appid

    def _request(self, method, url_or_endpoint, **kwargs):
        # WeChatWxa names the real host; every call goes to the configured base (the sandbox in tests)
        kwargs.pop("api_base_url", None)
        return super()._request(method, url_or_endpoint, **kwargs)

    def _fetch_token(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        result = self._call("GET", "cgi-bin/token", self.API_BASE_URL + "cgi-bin/token", params, None,
                            self.timeout, None, auth=False, extra={})
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], max(1, expires_in - min(300, expires_in // 5)))
        return result["access_token"]


def get_wxa_client() -> WxaClient:
    """The client for the configured mini-program (one per settings, shared by a process's threads)."""
    settings = get_settings()
    if not settings.wxa_configured:
        raise WecomError("the mini-program API is not configured: set SCRM_WXA_APPID and SCRM_WXA_SECRET")
    return shared_client(WxaClient, settings.wxa_appid, settings.wxa_secret, settings.wxa_api_base)
