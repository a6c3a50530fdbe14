"""The 凭证导出 page: finance maps accounts, exports a month, is warned when the month was exported before and
can export again on purpose, downloads the file; a salesperson is refused."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from backoffice.accounting.models import AccountingExport, AccountMapping
from tests.backoffice.accounting.helpers import entries_of, map_accounts, move_to, settled_order, vouchers
from tests.console.conftest import csrf_of

PAGE = "/console/finance/accounting"


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_finance_maps_exports_is_warned_and_downloads(db, sign_in, world):
    client = sign_in(world.finance)
    page = client.get(PAGE)
    assert page.status_code == 200 and "科目对照" in page.text and "凭证导出" in page.text
    token = csrf_of(page.text)
    saved = client.post(f"{PAGE}/mappings", data={"csrf_token": token, "code_bank": "1002", "name_bank": "银行存款",
                                                  "aux_customer_bank": "on"}, follow_redirects=False)
    assert saved.status_code == 303
    bank = db.get(AccountMapping, "bank")
    assert (bank.code, bank.aux_customer, bank.aux_department) == ("1002", True, False)

    map_accounts(db, world.finance, skip=("fee_revenue",))
    move_to(db, entries_of(db, settled_order(db, world).id), "2026-11-08")
    form = {"csrf_token": token, "target": "yonyou_u8", "month": "2026-11"}
    refused = client.post(f"{PAGE}/exports", data=form)
    assert refused.status_code == 422 and "服务费收入（fee_revenue）" in refused.text
    assert _count(db, AccountingExport) == 0

    map_accounts(db, world.finance)
    made = client.post(f"{PAGE}/exports", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    listing = client.get(made.headers["location"])
    link = re.search(r'href="(/console/finance/accounting/exports/(\d+)/file)"', listing.text)
    assert "凭证已导出" in listing.text and link
    file = client.get(link.group(1))
    assert file.status_code == 200 and len(vouchers(file.content, "凭证编号")) > 0

    warned = client.post(f"{PAGE}/exports", data=form)
    assert warned.status_code == 409 and f"导出 #{link.group(2)}" in warned.text and "仍然导出" in warned.text
    assert _count(db, AccountingExport) == 1
    forced = client.post(f"{PAGE}/exports", data={**form, "force": "1"}, follow_redirects=False)
    assert forced.status_code == 303 and _count(db, AccountingExport) == 2
    assert "重新导出" in client.get(PAGE).text


def test_a_salesperson_is_refused_the_page_and_its_actions(db, sign_in, world):
    client = sign_in(world.sales)
    token = csrf_of(client.get("/console/reimbursements/new").text)
    assert client.get(PAGE).status_code == 403
    assert "凭证导出" not in client.get("/console/").text
    refused = client.post(f"{PAGE}/mappings", data={"csrf_token": token, "code_bank": "1002"})
    assert refused.status_code == 403 and "没有权限" in refused.text and _count(db, AccountMapping) == 0
    assert client.get(f"{PAGE}/exports/1/file").status_code == 403
