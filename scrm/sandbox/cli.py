"""``scrm sandbox ...``: stand-ins for WeCom and WeChat Pay on loopback."""

from __future__ import annotations

import signal
import time
from datetime import datetime

import typer

from scrm.core.clock import BEIJING
from scrm.core.config import SANDBOX_BANKPAY, SANDBOX_WECHATPAY, SANDBOX_WECOM, SANDBOX_WXA
from scrm.sandbox.wechatpay import SandboxWechatPay
from scrm.sandbox.wecom import SandboxWecom
from scrm.sandbox.wecom.company import seed_company
from scrm.sandbox.wecom.demo import seed_demo
from scrm.sandbox.wxa import SandboxWxa

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Sandbox servers that stand in for WeCom, WeChat Pay and the mini-program API.")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve_until_stopped(sandbox, name: str) -> None:
    """Block until Ctrl-C or SIGTERM, then stop ``sandbox``."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        typer.echo(f"{name} stopped")


@app.callback()
def sandbox() -> None:
    """Sandbox servers that stand in for WeCom, WeChat Pay and the mini-program API on loopback."""


@app.command()
def wecom(
    port: int = typer.Option(8099, help="Port on 127.0.0.1 (0 picks a free one)."),
    callback_url: str = typer.Option("", help="Where to POST callbacks, e.g. http://127.0.0.1:8000/wecom/callback."),
    seed: bool = typer.Option(True, help="Start with a demo company: departments, staff, tags, customers, a group."),
    verify: bool = typer.Option(False, help="Do WeCom's URL handshake against --callback-url first."),
    token_ttl: int = typer.Option(7200, help="Seconds an access_token lives."),
    calls_per_minute: int = typer.Option(10000, help="The corp's API budget a minute (45009 beyond)."),
    company: int = typer.Option(0, help="Also a company already on WeCom: this many customers (e.g. 20000)."),
    followers: int = typer.Option(50, help="The company's salespeople with customer contact (with --company)."),
) -> None:
    """Run the sandbox WeCom until Ctrl-C; prints the settings that point the service at it."""
    sandbox = SandboxWecom(callback_url=callback_url or None, token_ttl_s=token_ttl,
                           calls_per_minute=calls_per_minute)
    base = sandbox.start(port)
    if seed:
        made = seed_demo(sandbox)
        typer.echo(f"seeded a demo company: {len(made['customers'])} customers, group {made['chat_id']}")
    if company:
        made_company = seed_company(sandbox, company, followers)
        typer.echo(f"seeded a company on WeCom: {made_company.customers} customers over {made_company.followers} "
                   f"followers ({made_company.shared} followed by several), {len(made_company.chats)} groups")
    typer.echo(f"sandbox WeCom at {base}  (controls: {sandbox.control_url}/sandbox/...)")
    typer.echo(f"SCRM_WECOM_API_BASE={base}")
    typer.echo(f"SCRM_WECOM_CORP_ID={SANDBOX_WECOM['corp_id']}")
    typer.echo(f"SCRM_WECOM_SECRET={SANDBOX_WECOM['secret']}")
    typer.echo(f"SCRM_WECOM_AGENT_ID={SANDBOX_WECOM['agent_id']}")
    typer.echo(f"SCRM_WECOM_TOKEN={SANDBOX_WECOM['token']}")
    typer.echo(f"SCRM_WECOM_AES_KEY={SANDBOX_WECOM['aes_key']}")
    if callback_url and verify:
        typer.echo(f"callback URL handshake: {'ok' if sandbox.verify_url() else 'FAILED'}")
    typer.echo(f"simulate a customer adding zhangsan: curl -X POST {sandbox.control_url}/sandbox/simulate/"
               "contact_added -H 'content-type: application/json' -d '{\"userid\": \"zhangsan\"}'")
    _serve_until_stopped(sandbox, "sandbox WeCom")


@app.command()
def wxa(
    port: int = typer.Option(8098, help="Port on 127.0.0.1 (0 picks a free one)."),
    token_ttl: int = typer.Option(7200, help="Seconds an access_token lives."),
) -> None:
    """Run the sandbox mini-program server API until Ctrl-C; prints the settings that point the service at it."""
    sandbox = SandboxWxa(token_ttl_s=token_ttl)
    base = sandbox.start(port)
    typer.echo(f"sandbox mini-program API at {base}")
    typer.echo(f"SCRM_WXA_API_BASE={base}")
    typer.echo(f"SCRM_WXA_APPID={SANDBOX_WXA['appid']}")
    typer.echo(f"SCRM_WXA_SECRET={SANDBOX_WXA['secret']}")
    _serve_until_stopped(sandbox, "sandbox mini-program API")


@app.command()
def wechatpay(
    port: int = typer.Option(8097, help="Port on 127.0.0.1 (0 picks a free one)."),
    beijing_time: str = typer.Option("", help="Start the sandbox clock at this Beijing time, e.g. 2026-12-01T10:00."),
) -> None:
    """Run the sandbox WeChat Pay (papay, orders, bills, transfers) and bank agreement API until Ctrl-C."""


    sandbox = SandboxWechatPay(**SANDBOX_WECHATPAY)
    base = sandbox.start(port)
    if beijing_time:
        sandbox.set_clock(datetime.fromisoformat(beijing_time).replace(tzinfo=BEIJING))
    typer.echo(f"sandbox WeChat Pay at {base}  (bank agreement API: {sandbox.bank_base_url}; "
               f"controls: {base}sandbox/...)")
    typer.echo(f"SCRM_WECHATPAY_API_BASE={base}")
    typer.echo(f"SCRM_WECHATPAY_APPID={SANDBOX_WECHATPAY['appid']}")
    typer.echo(f"SCRM_WECHATPAY_MCH_ID={SANDBOX_WECHATPAY['mch_id']}")
    typer.echo(f"SCRM_WECHATPAY_API_KEY={SANDBOX_WECHATPAY['api_key']}")
    typer.echo(f"SCRM_WECHATPAY_PAPAY_PLAN_ID={SANDBOX_WECHATPAY['plan_id']}")
    typer.echo(f"SCRM_WECHATPAY_CLOCK_OFFSET_S={int(sandbox.clock_offset_s)}")
    typer.echo(f"SCRM_BANKPAY_API_BASE={sandbox.bank_base_url}")
    typer.echo(f"SCRM_BANKPAY_MERCHANT_ID={SANDBOX_BANKPAY['merchant_id']}")
    typer.echo(f"SCRM_BANKPAY_KEY={SANDBOX_BANKPAY['key']}")
    typer.echo(f"the last SMS code sent to a phone: curl '{base}sandbox/sms?phone=13800138000'")
    _serve_until_stopped(sandbox, "sandbox WeChat Pay")
