"""Exporting the journal as 凭证 for 金蝶 and 用友: one balanced voucher per entry with the mapped codes, numbered
per month from 1 and on after earlier exports, a repeated period warned about, unmapped accounts refused."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from backoffice.accounting import service as accounting
from backoffice.accounting.models import AccountingExport
from backoffice.accounting.schemas import ExportIn, MappingIn
from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.models import CostType
from scrm.core.errors import Conflict, Forbidden, ValidationFailed
from tests.backoffice.accounting.helpers import (CODES, amount, entries_of, map_accounts, move_to, settled_order,
                                                 vouchers)


def test_one_balanced_voucher_per_entry_with_the_mapped_codes(db, world):
    map_accounts(db, world.finance)
    a, b = settled_order(db, world), settled_order(db, world)
    entries = entries_of(db, a.id) + entries_of(db, b.id)
    move_to(db, entries, "2026-11-03")

    record = accounting.export(db, world.finance, ExportIn(target="kingdee_k3cloud", month="2026-11"))

    got = vouchers(accounting.file_of(record))
    assert sorted(got) == list(range(1, len(entries) + 1)) and record.voucher_count == len(entries)
    assert record.numbers == {"2026-11": [1, len(entries)]}
    for number, lines in got.items():
        assert {line["凭证字"] for line in lines} == {"记"}
        assert sum(amount(line["借方金额"]) for line in lines) == sum(amount(line["贷方金额"]) for line in lines) > 0
        assert {line["科目编码"] for line in lines} <= set(CODES.values())
    # the settlement's voucher: the fee on 5001.01 with the salesperson's department and the salesperson
    closing = next(lines for lines in got.values() if any(line["科目编码"] == "5001.01" for line in lines))
    fee = next(line for line in closing if line["科目编码"] == "5001.01")
    assert amount(fee["贷方金额"]) > 0 and "部门|" in fee["核算维度"] and f"职员|{world.sales.id}|" in fee["核算维度"]
    deposit = next(line for lines in got.values() for line in lines if line["科目编码"] == "2203")
    assert f"客户|{a.customer_id}|" in deposit["核算维度"]


def test_numbers_restart_each_month_and_continue_after_earlier_exports(db, world):
    map_accounts(db, world.finance)
    early, late, december = settled_order(db, world), settled_order(db, world), settled_order(db, world)
    move_to(db, entries_of(db, early.id), "2026-11-05")
    move_to(db, entries_of(db, late.id), "2026-11-25")
    move_to(db, entries_of(db, december.id), "2026-12-02")
    n = len(entries_of(db, early.id))

    first = accounting.export(db, world.finance, ExportIn(target="yonyou_u8", date_from="2026-11-01",
                                                          date_to="2026-11-15"))
    rest = accounting.export(db, world.finance, ExportIn(target="yonyou_u8", date_from="2026-11-16",
                                                         date_to="2026-12-31"))

    assert sorted(vouchers(accounting.file_of(first), "凭证编号")) == list(range(1, n + 1))
    assert rest.numbers == {"2026-11": [n + 1, 2 * n], "2026-12": [1, n]}
    got = vouchers(accounting.file_of(rest), "凭证编号")
    assert sorted(got) == list(range(1, 2 * n + 1))  # November's n+1..2n and December's 1..n
    assert {line["制单日期"].date().isoformat() for line in got[1]} == {"2026-12-02"}
    assert {line["制单日期"].date().isoformat() for line in got[n + 1]} == {"2026-11-25"}
    # another target numbers on its own
    other = accounting.export(db, world.finance, ExportIn(target="kingdee_kis", month="2026-11"))
    assert other.numbers == {"2026-11": [1, 2 * n]}


def test_every_format_has_its_template_columns(db, world):
    map_accounts(db, world.finance)
    move_to(db, entries_of(db, settled_order(db, world).id), "2026-10-10")
    heads = {}
    for target in ("kingdee_k3cloud", "kingdee_kis", "yonyou_u8", "yonyou_tplus"):
        content = accounting.file_of(accounting.export(db, world.finance, ExportIn(target=target, month="2026-10")))
        heads[target] = [c.value for c in next(load_workbook(io.BytesIO(content)).active.iter_rows(max_row=1))]
    assert heads["kingdee_k3cloud"][:3] == ["凭证日期", "凭证字", "凭证号"] and "核算维度" in heads["kingdee_k3cloud"]
    assert heads["kingdee_kis"][:3] == ["日期", "凭证字", "凭证号"] and "科目代码" in heads["kingdee_kis"]
    assert heads["yonyou_u8"][:3] == ["制单日期", "凭证类别", "凭证编号"]
    assert heads["yonyou_u8"][-3:] == ["部门", "个人", "客户"]
    assert heads["yonyou_tplus"][-1] == "往来单位"


def test_the_same_period_again_warns_listing_the_earlier_export_unless_forced(db, world):
    map_accounts(db, world.finance)
    entries = entries_of(db, settled_order(db, world).id)
    move_to(db, entries, "2026-11-10")
    first = accounting.export(db, world.finance, ExportIn(target="yonyou_tplus", month="2026-11"))

    with pytest.raises(Conflict) as exc:
        accounting.export(db, world.finance, ExportIn(target="yonyou_tplus", month="2026-11"))
    assert exc.value.status_code == 409 and f"#{first.id}" in exc.value.message
    assert [e["id"] for e in exc.value.extra["earlier"]] == [first.id]
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 1

    again = accounting.export(db, world.finance, ExportIn(target="yonyou_tplus", month="2026-11", force=True))
    assert again.reexport and again.reexport_of == [first.id]
    n = len(entries)
    assert again.numbers == {"2026-11": [n + 1, 2 * n]}


def test_unmapped_accounts_refuse_the_export_naming_each(db, world):
    map_accounts(db, world.finance, skip=("fee_revenue", "deposits_held"))
    move_to(db, entries_of(db, settled_order(db, world).id), "2026-11-10")

    with pytest.raises(ValidationFailed) as exc:
        accounting.export(db, world.finance, ExportIn(target="kingdee_k3cloud", month="2026-11"))

    assert "预收定金（deposits_held）" in exc.value.message and "服务费收入（fee_revenue）" in exc.value.message
    assert exc.value.extra["unmapped"] == ["deposits_held", "fee_revenue"]
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 0


def test_only_finance_exports_and_an_empty_period_is_refused(db, world):
    map_accounts(db, world.finance)
    with pytest.raises(Forbidden):
        accounting.export(db, world.sales, ExportIn(target="yonyou_u8", month="2026-11"))
    with pytest.raises(ValidationFailed, match="没有记账分录"):
        accounting.export(db, world.finance, ExportIn(target="yonyou_u8", month="2020-01"))
    with pytest.raises(ValidationFailed, match="结束日期早于开始日期"):
        accounting.export(db, world.finance, ExportIn(target="yonyou_u8", date_from="2026-11-02",
                                                      date_to="2026-11-01"))


def test_an_entry_without_the_auxiliary_item_its_account_needs_is_refused_by_name(db, world):
    map_accounts(db, world.finance)
    accounting.set_mapping(db, world.finance, "reimbursement_expense",
                           MappingIn(code="5602.01", name="做单报销", aux_employee=True))
    customer = world.customer(db)
    claim = reimbursement_service.submit(db, world.sales, reimbursement_service.Claim(
        customer_id=customer.id, cost_type=CostType.processing, category="交通", amount_fen=8_650,
        spent_on=date(2026, 11, 2)))  # on no order: no salesperson to name as 职员
    reimbursement_service.confirm(db, world.finance, claim)
    reimbursement_service.pay(db, world.finance, claim, "cash")
    entry = db.scalar(select(JournalEntry).where(JournalEntry.source_type == "reimbursement.paid"))
    move_to(db, [entry], "2026-11-03")

    with pytest.raises(ValidationFailed) as exc:
        accounting.export(db, world.finance, ExportIn(target="yonyou_u8", month="2026-11"))

    assert f"分录 #{entry.id}" in exc.value.message and "做单报销缺少职员" in exc.value.message
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 0


def test_a_voucher_that_does_not_balance_is_refused_and_nothing_is_recorded(db, world):
    """The ledger refuses an unbalanced entry; a line changed behind its back (a restore, a hand edit) is caught
    before the file is written."""
    map_accounts(db, world.finance)
    entries = entries_of(db, settled_order(db, world).id)
    move_to(db, entries, "2026-11-04")
    line = db.scalars(select(JournalLine).where(JournalLine.entry_id == entries[0].id)).first()
    db.execute(update(JournalLine).where(JournalLine.id == line.id).values(
        debit_fen=JournalLine.debit_fen + (1 if line.debit_fen else 0),
        credit_fen=JournalLine.credit_fen + (0 if line.debit_fen else 1)))

    with pytest.raises(ValidationFailed) as exc:
        accounting.export(db, world.finance, ExportIn(target="kingdee_k3cloud", month="2026-11"))

    assert f"分录 #{entries[0].id} 借贷不平衡" in exc.value.message
    assert db.scalar(select(func.count()).select_from(AccountingExport)) == 0
