"""The 财务业绩 page: its figures equal the API's for the same filters (and so the journal's and the hand-counted
ones, tests/backoffice/reports/test_performance_filters.py); the Excel file holds what the page shows, cell for
cell; a centre manager's page shows their centre only; bad filters come back next to their field. The 费用与预算
and 支出类型 pages."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backoffice.orders.models import FunderType
from scrm.org.models import Center, DataScope, Department, Role
from tests.console.conftest import csrf_of
from tests.factories.org import auth, make_employee
from tests.factories.performance import Case, beijing, beijing_today, drive, expected

TODAY = beijing_today().isoformat()
PAGE = "/console/finance/performance"
PERIOD = f"date_from=2026-11-01&date_to={TODAY}"
TABLE = re.compile(r'<table class="num performance" data-group="(\w+)">(.*?)</table>', re.S)
ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh]>(.*?)</t[dh]>", re.S)


def page_tables(text: str) -> dict[str, list[list[str]]]:
    """Each table of the page by its grouping: the header row, then the rows, as the cells' text."""
    return {group: [[html.unescape(c).strip() for c in CELL.findall(row)] for row in ROW.findall(body)]
            for group, body in TABLE.findall(text)}


def _yuan(value: str) -> str:
    return f"{Decimal(value):,.2f}"


def api_texts(client, staff, query: str) -> list[list[str]]:
    """The API's rows for the same filters, written as the page writes them."""
    r = client.get(f"/api/backoffice/reports/performance?{query}", headers=auth(staff))
    assert r.status_code == 200, r.text
    body = r.json()

    def cells(row: dict, rank: str) -> list[str]:
        rate = "—" if row["success_rate"] is None else f"{row['success_rate'] * 100:.1f}%"
        return [rank, row["name"], str(row["signups"]), _yuan(row["signed_amount"]), str(row["disbursed_count"]),
                _yuan(row["disbursed_amount"]), _yuan(row["revenue"]), rate, row["average_days"] or "—"]

    return [cells(row, str(row["rank"])) for row in body["rows"]] + [cells(body["total"], "")]


@pytest.fixture
def cases(db, world):
    w = world
    return [drive(db, w, c) for c in (
        Case(w.sales, "credit", FunderType.bank, 20_000_000, beijing(2026, 11, 2), 18_000_000, date(2026, 11, 20),
             settle=True, discount_per_loan_fen=15_000, loans=2, rebate_fen=50_000),
        Case(w.sales, "house_mortgage", FunderType.microloan, 100_000_000, beijing(2026, 11, 5), 90_000_000,
             date(2026, 11, 25)),
        Case(w.sales, "credit", FunderType.consumer_finance, 5_000_000, beijing(2026, 11, 8)),
        Case(w.other_sales, "car_mortgage", FunderType.bank, 10_000_000, beijing(2026, 11, 10), 10_000_000,
             date(2026, 11, 28), settle=True),
    )]


def test_page_figures_equal_the_api_for_every_grouping_and_filter(db, sign_in, client, world, cases):
    w = world
    queries = [f"{PERIOD}&group_by={g}" for g in ("center", "department", "employee", "product", "funder_type")]
    queries += [f"{PERIOD}&group_by=employee&funder_type=bank", f"{PERIOD}&group_by=center&product_code=credit",
                f"{PERIOD}&group_by=product&employee_id={w.sales.id}"]
    for query in queries:
        group = re.search(r"group_by=(\w+)", query).group(1)
        page = sign_in(w.finance).get(f"{PAGE}?{query}")
        assert page.status_code == 200, page.text
        tables = page_tables(page.text)
        assert tables[group][1:] == api_texts(client, w.finance, query), query
        assert tables["funder_type"][1:] == api_texts(client, w.finance, re.sub(r"group_by=\w+", "group_by=funder_type",
                                                                                query)), query
        assert "<svg" in page.text
    # names, never codes
    page = sign_in(w.finance).get(f"{PAGE}?{PERIOD}&group_by=funder_type")
    names = [row[1] for row in page_tables(page.text)["funder_type"][1:-1]]
    assert names == ["银行", "小贷", "消金", "信保"] and "microloan" not in page.text.split("<main")[-1].split(
        "</form>")[-1]
    # and what the page shows is what was counted by hand from the orders
    totals = page_tables(page.text)["funder_type"][-1]
    by_hand = expected(cases, lambda c: "all")["all"]
    assert totals[2:7] == [str(by_hand["signups"]), _yuan(by_hand["signed_amount"]), str(by_hand["disbursed_count"]),
                           _yuan(by_hand["disbursed_amount"]), _yuan(by_hand["revenue"])]


def test_the_excel_file_holds_what_the_page_shows(db, sign_in, world, cases):
    w = world
    query = f"{PERIOD}&group_by=employee&product_code=credit"
    client = sign_in(w.finance)
    shown = page_tables(client.get(f"{PAGE}?{query}").text)
    file = client.get(f"{PAGE}.xlsx?{query}")
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(file.content))
    assert book.sheetnames == ["按员工", "资方类型排名", "筛选条件"]
    for sheet, group in (("按员工", "employee"), ("资方类型排名", "funder_type")):
        rows = list(book[sheet].iter_rows())
        assert [c.value for c in rows[0]] == shown[group][0]
        as_shown = []
        for row in rows[1:]:
            text = []
            for i, cell in enumerate(row):
                v = cell.value
                if v is None:
                    text.append("—" if i >= 2 else "")
                elif cell.number_format == "#,##0.00":
                    text.append(f"{v:,.2f}")
                elif cell.number_format == "0.0%":
                    text.append(f"{v * 100:.1f}%")
                elif cell.number_format == "0.0":
                    text.append(f"{v:.1f}")
                else:
                    text.append(str(v))
            as_shown.append(text)
        assert as_shown == shown[group][1:], sheet
    filters = {r[0].value: r[1].value for r in book["筛选条件"].iter_rows(min_row=2)}
    assert filters["产品"] == "信用贷" and filters["统计维度"] == "员工" and filters["导出人"] == w.finance.name


def test_a_centre_manager_sees_their_centre_only(db, sign_in, world, cases):
    w = world
    head = make_employee(db, role=Role.manager, department=db.get(Department, w.dept_id))
    head.scope = DataScope.center
    db.flush()
    mine = db.get(Center, db.get(Department, w.dept_id).center_id)
    theirs = db.get(Center, db.get(Department, w.other_sales.department_id).center_id)
    client = sign_in(head)
    page = client.get(f"{PAGE}?{PERIOD}&group_by=center")
    assert page.status_code == 200
    rows = page_tables(page.text)["center"]
    assert [r[1] for r in rows[1:]] == [mine.name, "合计"] and theirs.name not in page.text
    assert client.get(f"{PAGE}?{PERIOD}&center_id={theirs.id}").status_code == 403
    assert client.get(f"{PAGE}.xlsx?{PERIOD}&center_id={theirs.id}").status_code == 403
    book = load_workbook(io.BytesIO(client.get(f"{PAGE}.xlsx?{PERIOD}&group_by=center").content))
    assert [r[1].value for r in book["按中心"].iter_rows(min_row=2)] == [mine.name, "合计"]


def test_bad_filters_come_back_next_to_their_field_and_a_salesperson_is_refused(sign_in, world):
    w = world
    client = sign_in(w.finance)
    bad = client.get(f"{PAGE}?date_from=2026-12-01&date_to=2026-11-01")
    assert bad.status_code == 422 and 'id="err-date_to"' in bad.text
    bad = client.get(f"{PAGE}?center_id=abc&funder_type=pawnshop")
    assert bad.status_code == 422 and 'id="err-center_id"' in bad.text and 'id="err-funder_type"' in bad.text
    bad = client.get(f"{PAGE}?center_id=999999")
    assert bad.status_code == 422 and 'id="err-center_id"' in bad.text
    assert client.get(f"{PAGE}.xlsx?funder_type=pawnshop").status_code == 422
    bad = client.get(f"{PAGE}?date_from=9999-01-01&date_to=9999-12-31")
    assert bad.status_code == 422 and 'id="err-date_from"' in bad.text
    assert sign_in(w.sales).get(PAGE).status_code == 403
    assert "财务业绩" in sign_in(w.manager).get("/console/").text


def test_budget_form_and_expense_types_pages(db, sign_in, world):
    w = world
    center = db.get(Department, w.dept_id).center_id
    client = sign_in(w.manager)
    page = client.get("/console/finance/expenses?month_from=2026-11&month_to=2026-11")
    assert page.status_code == 200 and "设置预算" in page.text
    token = csrf_of(page.text)
    saved = client.post("/console/finance/expenses/budgets", data={"csrf_token": token, "center_id": center,
                                                                   "month": "2026-11", "amount": "两千"},
                        follow_redirects=False)
    assert saved.status_code == 422 and 'id="err-budget_amount"' in saved.text
    saved = client.post("/console/finance/expenses/budgets", data={"csrf_token": token, "center_id": center,
                                                                   "month": "2026-11", "amount": "2000"},
                        follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"]).text
    assert "费用预算已保存" in shown and "2,000.00" in shown and "0.0%" in shown
    assert "设置预算" not in sign_in(w.finance).get("/console/finance/expenses").text

    client = sign_in(w.finance)
    page = client.get("/console/finance/expense-types")
    assert "评估费" in page.text and "返点" in page.text
    token = csrf_of(page.text)
    made = client.post("/console/finance/expense-types", data={"csrf_token": token, "name": "下户费",
                                                               "account": "appraisal_expense"}, follow_redirects=False)
    assert made.status_code == 303
    assert "下户费" in client.get("/console/finance/expense-types").text
    assert sign_in(w.manager).get("/console/finance/expense-types").status_code == 403


def test_the_settlement_page_takes_a_per_count_discount_and_a_payee_on_a_reimbursement(db, sign_in, world):
    from backoffice.settlements import service as settlement_service
    from tests.factories.backoffice import disbursed

    w = world
    order, s = disbursed(db, w)  # service fee 5,400.00
    client = sign_in(w.finance)
    url = f"/console/finance/settlements/{s.id}"
    page = client.get(url)
    assert "按笔数（元/笔）" in page.text and 'id="f-loan_count"' in page.text
    form = {"csrf_token": csrf_of(page.text), "service_fee": "5400", "discount_kind": "per_count",
            "discount_value": "150", "loan_count": "2", "installment_fee": "", "payment_method": "cash"}
    saved = client.post(f"{url}/charges", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    db.expire_all()
    assert settlement_service.totals(db, s).discount_fen == 30_000
    bad = client.post(f"{url}/charges", data=form | {"loan_count": "两"})
    assert bad.status_code == 422 and 'id="err-loan_count"' in bad.text

    sales = sign_in(w.sales)
    new = sales.get("/console/reimbursements/new")
    claim = {"csrf_token": csrf_of(new.text), "customer_id": order.customer_id, "cost_type": "processing",
             "category": "交通", "amount": "20", "spent_on": "2026-11-20", "payee_name": "王五",
             "payee_account": "6222 0000 1111 2222", "payee_bank": "建设银行"}
    assert sales.post("/console/reimbursements", data=claim, follow_redirects=False).status_code == 303
    listing = sign_in(w.finance).get("/console/reimbursements").text
    assert "王五 **** 2222" in listing and "6222000011112222" not in listing and "6222 0000" not in listing
    sales = sign_in(w.sales)
    token = csrf_of(sales.get("/console/reimbursements/new").text)
    refused = sales.post("/console/reimbursements", data=claim | {"payee_account": "abc", "csrf_token": token})
    assert refused.status_code == 422 and 'id="err-payee_account"' in refused.text
