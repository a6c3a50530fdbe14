"""The accounting export: journal entries of a period written as 凭证 import files for 金蝶 and 用友, one voucher
per entry, numbered per month and target, with the mapping finance keeps from our accounts to theirs."""

from __future__ import annotations

import hashlib
import io
import uuid
from calendar import monthrange
from collections import defaultdict
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice.accounting.formats import FORMATS, Aux, Voucher, VoucherLine
from backoffice.accounting.labels import AUX_NAMES, TARGET_NAMES
from backoffice.accounting.models import AccountingExport, AccountMapping, ExportedVoucher, VoucherCounter
from backoffice.accounting.schemas import ExportIn, MappingIn
from backoffice.common.loading import get_or_404
from backoffice.ledger.chart import CHART
from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders.models import Order
from scrm.core import storage
from scrm.core.clock import BEIJING, beijing_day_start
from scrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from scrm.core.money import from_fen
from scrm.core.spreadsheet import text_row
from scrm.org import service as org_service
from scrm.org.models import Department, Employee, Role

MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
SUMMARY_LIMIT = 60  # U8 takes 60 characters of 摘要


def ensure_finance(actor: Employee) -> None:
    if actor.role not in (Role.finance, Role.admin):
        raise Forbidden("只有财务可以设置科目对照和导出凭证")


# ---------------------------------------------------------------------------------------------
# the mapping


def mappings(session: Session) -> list[tuple[str, AccountMapping | None]]:
    """Every account of our chart with its mapping (None where finance has not mapped it yet)."""
    kept = {m.account: m for m in session.scalars(select(AccountMapping))}
    return [(code, kept.get(code)) for code in CHART]


def set_mapping(session: Session, actor: Employee, account: str, data: MappingIn) -> AccountMapping:
    """Map one of our accounts to the accounting software's code and name, with its auxiliary items."""
    ensure_finance(actor)
    if account not in CHART:
        raise ValidationFailed(f"科目 {account} 不在科目表中", field="account")
    mapping = session.get(AccountMapping, account) or AccountMapping(account=account)
    for key, value in data.model_dump().items():
        setattr(mapping, key, value)
    mapping.updated_by_id = actor.id
    session.add(mapping)
    session.flush()
    return mapping


# ---------------------------------------------------------------------------------------------
# the period and the entries in it


def period_of(data: ExportIn) -> tuple[date, date]:
    if data.month and (data.date_from or data.date_to):
        raise ValidationFailed("请填写月份，或者填写起止日期，不要同时填写", field="month")
    if data.month:
        year, month = map(int, data.month.split("-"))
        return date(year, month, 1), date(year, month, monthrange(year, month)[1])
    if not data.date_from or not data.date_to:
        raise ValidationFailed("请填写导出的月份，或者起止日期", field="month")
    if not all(EARLIEST <= d <= LATEST for d in (data.date_from, data.date_to)):
        raise ValidationFailed(f"日期须在 {EARLIEST} 至 {LATEST} 之间", field="date_from")
    if data.date_to < data.date_from:
        raise ValidationFailed("结束日期早于开始日期", field="date_to")
    if (data.date_to - data.date_from).days >= MAX_DAYS:
        raise ValidationFailed(f"一次最多导出 {MAX_DAYS} 天", field="date_to")
    return data.date_from, data.date_to


def entries_in(session: Session, date_from: date, date_to: date) -> list[JournalEntry]:
    session.flush()
    return list(session.scalars(select(JournalEntry).where(
        JournalEntry.posted_at >= beijing_day_start(date_from), JournalEntry.posted_at < beijing_day_start(date_to, 1))
        .order_by(JournalEntry.posted_at, JournalEntry.id)))


def _lines_by_entry(session: Session, entry_ids: list[int]) -> dict[int, list[JournalLine]]:
    out: dict[int, list[JournalLine]] = defaultdict(list)
    for i in range(0, len(entry_ids), 1000):
        for line in session.scalars(select(JournalLine).where(JournalLine.entry_id.in_(entry_ids[i:i + 1000]))
                                    .order_by(JournalLine.entry_id, JournalLine.id)):
            out[line.entry_id].append(line)
    return out


def _aux_by_order(session: Session, order_ids: set[int]) -> dict[int, dict[str, Aux]]:
    """客户, 部门 and 职员 (the salesperson) of each order, coded with our own numbers."""
    if not order_ids:
        return {}
    orders = list(session.execute(select(Order.id, Order.customer_id, Order.customer_name, Order.department_id,
                                         Order.salesperson_id).where(Order.id.in_(order_ids))))
    departments = dict(session.execute(select(Department.id, Department.name).where(
        Department.id.in_({o.department_id for o in orders if o.department_id}))).all())
    staff = org_service.employee_names(session, {o.salesperson_id for o in orders})
    out: dict[int, dict[str, Aux]] = {}
    for o in orders:
        aux = {"customer": Aux("customer", str(o.customer_id), o.customer_name),
               "employee": Aux("employee", str(o.salesperson_id), staff.get(o.salesperson_id, ""))}
        if o.department_id:
            aux["department"] = Aux("department", str(o.department_id), departments.get(o.department_id, ""))
        out[o.id] = aux
    return out


def unmapped_accounts(session: Session, accounts: set[str]) -> list[str]:
    mapped = set(session.scalars(select(AccountMapping.account).where(AccountMapping.account.in_(accounts))))
    return sorted(accounts - mapped, key=list(CHART).index)


# ---------------------------------------------------------------------------------------------
# the export


def _bump(session: Session, target: str, month: str, count: int) -> int:
    """Take ``count`` numbers for the month (0 only locks it); returns the first. The upsert's row lock
    (PostgreSQL) or the one writer's lock (SQLite) makes a concurrent export wait, then continue after these."""
    table = VoucherCounter.__table__
    ins = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = ins(table).values(target=target, month=month, last=count)
    stmt = stmt.on_conflict_do_update(index_elements=["target", "month"], set_={"last": table.c.last + count})
    last = session.execute(stmt.returning(table.c.last)).scalar_one()
    return last - count + 1


def earlier_exports(session: Session, target: str, entry_ids: list[int]) -> list[AccountingExport]:
    """Exports to ``target`` that already wrote any of these entries."""
    ids: set[int] = set()
    for i in range(0, len(entry_ids), 1000):
        ids |= set(session.scalars(select(ExportedVoucher.export_id).distinct().where(
            ExportedVoucher.target == target, ExportedVoucher.entry_id.in_(entry_ids[i:i + 1000]))))
    if not ids:
        return []
    return list(session.scalars(select(AccountingExport).where(AccountingExport.id.in_(ids))
                                .order_by(AccountingExport.id)))


def describe(session: Session, exports: list[AccountingExport]) -> list[dict]:
    names = org_service.employee_names(session, {e.created_by_id for e in exports})
    return [{"id": e.id, "period": f"{e.date_from} 至 {e.date_to}", "voucher_count": e.voucher_count,
             "created_by": names.get(e.created_by_id, ""), "created_at": e.created_at.astimezone(BEIJING)
             .strftime("%Y-%m-%d %H:%M"), "reexport": e.reexport} for e in exports]


def _vouchers(session: Session, entries: list[JournalEntry], numbers: dict[int, int]) -> list[Voucher]:
    lines = _lines_by_entry(session, [e.id for e in entries])
    maps = {m.account: m for m in session.scalars(select(AccountMapping))}
    aux_of = _aux_by_order(session, {e.order_id for e in entries if e.order_id})
    vouchers, missing = [], []
    for entry in entries:
        summary = (entry.memo or entry.source_type)[:SUMMARY_LIMIT]
        out = []
        for line in lines[entry.id]:
            m = maps[line.account]
            wanted = [k for k in ("customer", "department", "employee") if getattr(m, f"aux_{k}")]
            have = aux_of.get(entry.order_id or 0, {})
            missing += [f"分录 #{entry.id}（{summary}）的{CHART[line.account].name}缺少{AUX_NAMES[k]}" for k in wanted
                        if k not in have]
            out.append(VoucherLine(summary, m.code, m.name, from_fen(line.debit_fen), from_fen(line.credit_fen),
                                   tuple(have[k] for k in wanted if k in have)))
        debit = sum(line.debit_fen for line in lines[entry.id])
        credit = sum(line.credit_fen for line in lines[entry.id])
        if debit != credit or not out:
            raise ValidationFailed(f"分录 #{entry.id} 借贷不平衡（借方 {from_fen(debit)}，贷方 {from_fen(credit)}），"
                                   "没有导出", field="period", entry_id=entry.id)
        vouchers.append(Voucher(entry.id, entry.posted_at.astimezone(BEIJING).date(), numbers[entry.id], out))
    if missing:
        raise ValidationFailed("以下凭证缺少辅助核算，没有导出：" + "；".join(missing[:20]), field="period",
                               missing=missing)
    return vouchers


def _workbook(target: str, vouchers: list[Voucher], by: str) -> bytes:
    fmt = FORMATS[target]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(fmt.sheet)
    ws.append(fmt.columns)
    for v in vouchers:
        for i, line in enumerate(v.lines, start=1):
            ws.append([_typed(ws, value) for value in text_row(ws, fmt.row(v, i, line, by))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _typed(ws, value):
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def export(session: Session, actor: Employee, data: ExportIn) -> AccountingExport:
    """Write the period's journal entries as vouchers for ``data.target`` and record the export. Refused when an
    account is unmapped or a voucher does not balance; a period already exported to the target is a 409 listing
    the earlier exports unless ``force``."""
    ensure_finance(actor)
    date_from, date_to = period_of(data)
    entries = entries_in(session, date_from, date_to)
    if not entries:
        raise ValidationFailed(f"{date_from} 至 {date_to} 没有记账分录，无需导出", field="month")
    accounts = set(session.scalars(select(JournalLine.account).distinct().where(
        JournalLine.entry_id.in_([e.id for e in entries]))))
    unmapped = unmapped_accounts(session, accounts)
    if unmapped:
        names = "、".join(f"{CHART[a].name}（{a}）" for a in unmapped)
        raise ValidationFailed(f"以下科目还没有设置对应的财务软件科目，请先在科目对照中设置：{names}", field="mapping",
                               unmapped=unmapped)
    by_month: dict[str, list[JournalEntry]] = defaultdict(list)
    for entry in entries:
        by_month[f"{entry.posted_at.astimezone(BEIJING):%Y-%m}"].append(entry)
    for month in sorted(by_month):  # one order of locks, so two exports never wait on each other in a cycle
        _bump(session, data.target, month, 0)
    # read only once the months are locked: an export of the same entries that just committed is seen here
    earlier = earlier_exports(session, data.target, [e.id for e in entries])
    if earlier and not data.force:
        raise Conflict(f"{TARGET_NAMES[data.target]}的这段期间已经导出过（导出 "
                       + "、".join(f"#{e.id}" for e in earlier) + "），再次导入会重复记账；确需重新导出请选择“仍然导出”",
                       earlier=describe(session, earlier))
    numbers: dict[int, int] = {}
    ranges: dict[str, list[int]] = {}
    for month in sorted(by_month):
        first = _bump(session, data.target, month, len(by_month[month]))
        ranges[month] = [first, first + len(by_month[month]) - 1]
        numbers.update({e.id: first + i for i, e in enumerate(by_month[month])})
    vouchers = _vouchers(session, entries, numbers)
    content = _workbook(data.target, vouchers, actor.name)
    key = f"accounting/{uuid.uuid4().hex}.xlsx"
    key_id = storage.save(session, key, content)
    record = AccountingExport(
        target=data.target, date_from=date_from, date_to=date_to, voucher_count=len(vouchers), numbers=ranges,
        reexport=bool(earlier), reexport_of=[e.id for e in earlier], created_by_id=actor.id, storage_key=key,
        key_id=key_id, size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
        filename=f"vouchers-{data.target}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")
    session.add(record)
    session.flush()
    session.add_all([ExportedVoucher(export_id=record.id, target=data.target, entry_id=v.entry_id,
                                     month=f"{v.day:%Y-%m}", voucher_no=v.number) for v in vouchers])
    session.flush()
    return record


def list_exports(session: Session, *, limit: int = 100) -> list[AccountingExport]:
    session.flush()
    return list(session.scalars(select(AccountingExport).order_by(AccountingExport.id.desc()).limit(limit)))


def get_export(session: Session, actor: Employee, export_id: int) -> AccountingExport:
    ensure_finance(actor)
    return get_or_404(session, AccountingExport, export_id, "凭证导出记录")


def file_of(export_: AccountingExport) -> bytes:
    """The recorded file, as it was written."""
    try:
        return storage.load(export_.storage_key)
    except storage.FileMissing:
        raise NotFound(f"导出 #{export_.id} 的文件已不在文件存储中，请重新导出") from None
