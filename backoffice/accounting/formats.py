"""The voucher import templates of the accounting software, one row per voucher line.

Column headers follow each product's Excel voucher import as publicly documented:

- 金蝶云星空 (K/3 Cloud) 凭证引入: 凭证日期, 凭证字, 凭证号, 分录号, 摘要, 科目编码, 科目名称, 借方金额, 贷方金额 and
  核算维度 (the K/3 标准凭证 layout: FDATE, FGROUP, FNUM, FENTRYID, FEXP, FACCTID, FDEBIT, FCREDIT, with each
  核算项目 as 类别, 编码, 名称 — "K3凭证标准格式凭证库结构说明", 365seal.com/y/58nr15DZpd.html).
- 金蝶 KIS 标准版 引入凭证, Excel source: 日期, 凭证字, 凭证号, 附单据数, 摘要, 科目代码, 科目名称, 借方金额, 贷方金额,
  币别, 汇率, 制单人 (seridoat.com, "金蝶KIS标准版引入凭证功能详解"); the 核算项目 columns 客户, 部门, 职员 as in
  金蝶's Excel voucher template (客户, 供应商, 职员, 项目, 部门 …).
- 用友 U8 凭证导入 (总账工具 凭证引入): 制单日期, 凭证类别字, 凭证号 ([制单日期+凭证类别字+凭证号] marks one
  voucher), 附单据数, 摘要, 科目编码, 借方金额, 贷方金额, then 部门编码, 个人编码, 客户编码 (100ksw.com,
  "用友U8凭证导入工具的使用方法"), written here as 凭证类别, 凭证编号, 部门, 个人, 客户 with codes.
- 用友 T+ 凭证导入: 凭证日期, 凭证字, 凭证号, 附单据数, 摘要, 科目编码, 科目名称, 借方金额, 贷方金额, with the
  辅助核算 部门, 个人, 往来单位 (T+ keeps customers as 往来单位).

An auxiliary item is written as ``编码 名称`` in its own column, or in K/3 Cloud's one 核算维度 column as
``客户|编码|名称`` joined by ``;``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable

from backoffice.accounting.labels import AUX_NAMES, VOUCHER_WORD


@dataclass(frozen=True)
class Aux:
    kind: str  # customer, department, employee
    code: str
    name: str


@dataclass(frozen=True)
class VoucherLine:
    summary: str
    code: str
    name: str
    debit: Decimal
    credit: Decimal
    aux: tuple[Aux, ...] = ()


@dataclass(frozen=True)
class Voucher:
    entry_id: int
    day: date
    number: int
    lines: list[VoucherLine] = field(default_factory=list)


def _aux(line: VoucherLine, kind: str) -> str:
    return next((f"{a.code} {a.name}" for a in line.aux if a.kind == kind), "")


def _dimensions(line: VoucherLine) -> str:
    return ";".join(f"{AUX_NAMES[a.kind]}|{a.code}|{a.name}" for a in line.aux)


@dataclass(frozen=True)
class Format:
    sheet: str
    columns: list[str]
    row: Callable[[Voucher, int, VoucherLine, str], list]


def _k3cloud(v: Voucher, i: int, line: VoucherLine, by: str) -> list:
    return [v.day, VOUCHER_WORD, v.number, i, line.summary, line.code, line.name, line.debit, line.credit,
            _dimensions(line)]


def _kis(v: Voucher, i: int, line: VoucherLine, by: str) -> list:
    return [v.day, VOUCHER_WORD, v.number, 0, line.summary, line.code, line.name, line.debit, line.credit, "人民币", 1,
            by, _aux(line, "customer"), _aux(line, "department"), _aux(line, "employee")]


def _u8(v: Voucher, i: int, line: VoucherLine, by: str) -> list:
    return [v.day, VOUCHER_WORD, v.number, 0, line.summary, line.code, line.debit, line.credit,
            _aux(line, "department"), _aux(line, "employee"), _aux(line, "customer")]


def _tplus(v: Voucher, i: int, line: VoucherLine, by: str) -> list:
    return [v.day, VOUCHER_WORD, v.number, 0, line.summary, line.code, line.name, line.debit, line.credit,
            _aux(line, "department"), _aux(line, "employee"), _aux(line, "customer")]


FORMATS: dict[str, Format] = {
    "kingdee_k3cloud": Format("凭证", [
        "凭证日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "核算维度"], _k3cloud),
    "kingdee_kis": Format("凭证", [
        "日期", "凭证字", "凭证号", "附单据数", "摘要", "科目代码", "科目名称", "借方金额", "贷方金额", "币别", "汇率",
        "制单人", "客户", "部门", "职员"], _kis),
    "yonyou_u8": Format("凭证", [
        "制单日期", "凭证类别", "凭证编号", "附单据数", "摘要", "科目编码", "借方金额", "贷方金额", "部门", "个人", "客户"], _u8),
    "yonyou_tplus": Format("凭证", [
        "凭证日期", "凭证字", "凭证号", "附单据数", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "部门", "个人",
        "往来单位"], _tplus),
}
# where each format keeps the voucher number and the amounts, for whoever reads a file back
NUMBER_COLUMN = {"kingdee_k3cloud": "凭证号", "kingdee_kis": "凭证号", "yonyou_u8": "凭证编号", "yonyou_tplus": "凭证号"}
CODE_COLUMN = {"kingdee_kis": "科目代码"}
