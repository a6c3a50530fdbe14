"""The accounting export over HTTP as finance uses it: the mapping, an export and its file, the repeated period's
409, the unmapped account's 422, other roles refused; and exports pressed at once on PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from backoffice.accounting.models import AccountingExport, ExportedVoucher
from backoffice.ledger.models import JournalEntry
from scrm.core import storage
from tests.backoffice.accounting.helpers import amount, entries_of, map_accounts, move_to, settled_order, vouchers
from tests.conftest import race
from tests.factories.backoffice import make_world
from tests.factories.org import auth
from tests.wecom.conftest import LiveService

BASE = "/api/backoffice/accounting"


def test_finance_maps_exports_downloads_and_is_warned_on_the_same_period(db, client, world):
    fin = auth(world.finance)
    map_accounts(db, world.finance, skip=("bank",))
    entries = entries_of(db, settled_order(db, world).id)
    move_to(db, entries, "2026-11-20")

    listed = {m["account"]: m for m in client.get(f"{BASE}/mappings", headers=fin).json()}
    assert listed["bank"]["code"] is None and listed["deposits_held"]["aux_customer"] is True
    refused = client.post(f"{BASE}/exports", headers=fin, json={"target": "kingdee_k3cloud", "month": "2026-11"})
    assert refused.status_code == 422 and "银行存款（bank）" in refused.json()["message"]

    put = client.put(f"{BASE}/mappings/bank", headers=fin, json={"code": "1002.01", "name": "银行存款-招商银行"})
    assert put.status_code == 200 and put.json()["code"] == "1002.01"
    made = client.post(f"{BASE}/exports", headers=fin, json={"target": "kingdee_k3cloud", "month": "2026-11"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["voucher_count"] == len(entries) and body["numbers"] == {"2026-11": [1, len(entries)]}

    file = client.get(body["download_url"], headers=fin)
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/vnd.openxmlformats")
    got = vouchers(file.content)
    assert len(got) == len(entries)
    assert all(sum(amount(x["借方金额"]) for x in v) == sum(amount(x["贷方金额"]) for x in v) for v in got.values())
    assert "1002.01" in {x["科目编码"] for v in got.values() for x in v}

    again = client.post(f"{BASE}/exports", headers=fin, json={"target": "kingdee_k3cloud", "month": "2026-11"})
    assert again.status_code == 409 and [e["id"] for e in again.json()["earlier"]] == [body["id"]]
    forced = client.post(f"{BASE}/exports", headers=fin,
                         json={"target": "kingdee_k3cloud", "month": "2026-11", "force": True})
    assert forced.status_code == 201 and forced.json()["reexport"] is True
    assert [e["id"] for e in client.get(f"{BASE}/exports", headers=fin).json()] == [forced.json()["id"], body["id"]]


def test_other_roles_are_refused(db, client, world):
    for who in (world.sales, world.processor, world.manager):
        assert client.get(f"{BASE}/mappings", headers=auth(who)).status_code == 403
        assert client.post(f"{BASE}/exports", headers=auth(who),
                           json={"target": "yonyou_u8", "month": "2026-11"}).status_code == 403
    bad = client.post(f"{BASE}/exports", headers=auth(world.finance), json={"target": "sap", "month": "2026-11"})
    assert bad.status_code == 422


@pytest.fixture
def served(committed_any) -> Iterator[str]:
    live = LiveService()
    try:
        yield live.url
    finally:
        live.stop()


def test_exports_pressed_at_once_never_share_a_voucher_number(committed_any, served):
    db = committed_any
    world = make_world(db)
    map_accounts(db, world.finance)
    for _ in range(2):
        move_to(db, entries_of(db, settled_order(db, world).id), "2026-11-12")
    n = db.scalar(select(func.count()).select_from(JournalEntry))
    db.commit()
    fin = auth(world.finance)

    plain = race(4, lambda i: httpx.post(f"{served}{BASE}/exports", headers=fin, timeout=60,
                                         json={"target": "yonyou_u8", "month": "2026-11"}))
    assert sorted(a.status_code for a in plain) == [201, 409, 409, 409], [(a.status_code, a.text[:200]) for a in plain]

    forced = race(4, lambda i: httpx.post(f"{served}{BASE}/exports", headers=fin, timeout=60,
                                          json={"target": "yonyou_u8", "month": "2026-11", "force": True}))
    assert [a.status_code for a in forced] == [201] * 4, [(a.status_code, a.text[:200]) for a in forced]
    ranges = sorted(a.json()["numbers"]["2026-11"] for a in forced)
    assert ranges == [[n * k + 1, n * (k + 1)] for k in range(1, 5)]
    numbers = list(db.scalars(select(ExportedVoucher.voucher_no).where(ExportedVoucher.target == "yonyou_u8")))
    assert sorted(numbers) == list(range(1, 5 * n + 1))
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 5
    db.commit()


def test_a_file_gone_from_storage_is_a_404_naming_the_export(db, client, world):
    map_accounts(db, world.finance)
    move_to(db, entries_of(db, settled_order(db, world).id), "2026-11-09")
    made = client.post(f"{BASE}/exports", headers=auth(world.finance), json={"target": "yonyou_u8", "month": "2026-11"})
    storage.delete([db.get(AccountingExport, made.json()["id"]).storage_key])

    gone = client.get(made.json()["download_url"], headers=auth(world.finance))

    assert gone.status_code == 404 and f"导出 #{made.json()['id']}" in gone.json()["message"]
    assert client.get(f"{BASE}/exports/999999/file", headers=auth(world.finance)).status_code == 404
