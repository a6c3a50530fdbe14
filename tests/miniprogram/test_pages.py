"""The customer's mini-program (``miniprogram/``), its pages run by Tencent's miniprogram-simulate and j-component
under jest, against the live ``/mp`` API served here on a loopback port (the test PostgreSQL database) and the
sandboxes playing WeChat: ``wx.login`` and the phone-number button get their codes from the sandbox mini-program
API, and the papay jump lands on the sandbox WeChat Pay's signing page, which notifies the live API.

The walk itself is ``miniprogram/test/walk.test.js``; this test prepares the company (staff, an assignment rule,
a commission rule), runs ``npm ci`` from the committed lock file and then jest, and fails with jest's output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import httpx

from scrm.auth import issue_staff_token
from scrm.referral import tasks as referral_tasks
from tests.factories.backoffice import make_world
from tests.factories.referral import percent_rule
from tests.wecom.conftest import LiveService

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, (f"the mini-program's tests need {name} (Node.js 18 or newer with npm): install them, e.g. "
                  f"apt-get install nodejs npm")
    return path


def _npm_ci(npm: str) -> None:
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=MINIPROGRAM,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _release_commissions(stop: threading.Event) -> None:
    """What ``scrm scheduler`` does periodically: commissions past their cooling-off become withdrawable."""
    while not stop.wait(0.3):
        referral_tasks.release_withdrawable()


def test_a_customer_walks_through_the_mini_program_against_the_live_api(committed_db, sandbox_wxa, sandbox_wechatpay,
                                                                        settings_env):
    node, npm = _tool("node"), _tool("npm")
    _npm_ci(npm)
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0")
    world = make_world(committed_db)
    percent_rule(committed_db, "10", cap="2000")
    committed_db.commit()
    live = LiveService()
    settings_env(SCRM_WECHATPAY_NOTIFY_BASE=live.url)
    sandbox_wechatpay.notify_inline = True
    staff = {role: {"id": e.id, "token": issue_staff_token(e.id)}
             for role, e in (("sales", world.sales), ("finance", world.finance), ("supervisor", world.supervisor),
                             ("processor", world.processor), ("manager", world.manager))}
    # new mini-program customers go to the salesperson, as a company's assignment rule would deal them
    manager = {"Authorization": f"Bearer {staff['manager']['token']}"}
    rule = httpx.post(f"{live.url}/api/assignment/rules", headers=manager,
                      json={"name": "小程序客户", "priority": 1, "strategy": "round_robin", "conditions": {},
                            "team_employee_ids": [world.sales.id]})
    assert rule.status_code == 201, rule.text
    stop = threading.Event()
    ticker = threading.Thread(target=_release_commissions, args=(stop,), daemon=True)
    ticker.start()
    env = {**os.environ, "MP_LIVE": json.dumps({"api": live.url, "wxa": sandbox_wxa.base_url,
                                                "pay": sandbox_wechatpay.base_url, "staff": staff})}
    try:
        done = subprocess.run([node, "node_modules/jest/bin/jest.js", "--runInBand", "--ci"], cwd=MINIPROGRAM,
                              env=env, capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        ticker.join(5)
        live.stop()
    report = done.stderr
    failures = report.find("●")
    shown = report[failures:failures + 12000] if failures >= 0 else report[-12000:]
    assert done.returncode == 0, f"jest failed:\n{shown}"
    assert "Tests:" in done.stderr and " failed" not in done.stderr.split("Tests:")[1].splitlines()[0]
