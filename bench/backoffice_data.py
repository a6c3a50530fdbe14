"""Bulk fixtures for the back-office benchmarks: employees in centers and departments, customers, orders in
every state, settlements with their parts and the journal entries they post, loaded with COPY."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import psycopg

FUNDERS = ["bank", "consumer_finance", "credit_insurance", "microloan", "other"]
PARTS = ("service_fee_fen", "discount_fen", "installment_fee_fen", "extra_fees_fen", "borrowing_principal_fen",
         "borrowing_interest_fen", "borrowing_cost_fen", "deposit_applied_fen", "appraisal_fen", "rebates_fen")


def _copy(cur, table: str, columns: list[str], rows) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(pg_url: str, orders: int, *, settled_share: float = 1.0, seed: int = 7,
             products: tuple[str, ...] = ("credit",), time_ordered: bool = False) -> None:
    """``orders`` orders; ``settled_share`` of them settled, the rest spread over the earlier states; order ``i``
    is of ``products[i % len(products)]``. The database's triggers keep their counts as the rows are copied in.

    ``time_ordered`` numbers the orders in the order they were signed, as a live database does (an order's id is
    taken when it is signed), so a period's orders sit together on disk; otherwise each order's signing time is
    drawn at random, the worst case for reading a period from the table."""
    rnd = random.Random(seed)
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _copy(cur, "center", ["id", "name"], [(c, f"中心{c}") for c in range(1, 5)])
        _copy(cur, "department", ["id", "name", "center_id", "deleted"],
              [(d, f"营销{d}部", (d - 1) // 5 + 1, False) for d in range(1, 21)])
        emp = [(e, f"员工{e}", f"bench{e}", (e - 1) % 20 + 1, "sales", "own", "active", now) for e in range(1, 201)]
        emp += [(201, "做单", "bench201", 1, "processor", "own", "active", now),
                (202, "财务", "bench202", 1, "finance", "all", "active", now)]
        _copy(cur, "employee", ["id", "name", "wecom_userid", "department_id", "role", "scope", "status", "created_at"],
              emp)
        stages = ["lead", "contacted", "appointment", "signed", "processing", "disbursed", "settled", "lost"]
        _copy(cur, "customer", ["id", "name", "owner_id", "source", "stage", "status", "custom_fields", "created_at",
                                "updated_at", "gender", "channel_id"],
              ((i, f"客户{i}", (i % 200) + 1, "manual", "settled" if i <= orders else rnd.choice(stages), "active",
                "{}", now - timedelta(days=rnd.randint(0, 365)), now, 0, None) for i in range(1, orders * 2 + 1)))
        order_rows, settlement_rows, entry_rows, line_rows = [], [], [], []
        line_id = 0
        moments = sorted(now - timedelta(days=rnd.randint(0, 365), minutes=rnd.randint(0, 1440))
                         for _ in range(orders)) if time_ordered else None
        for i in range(1, orders + 1):
            emp_id = (i % 200) + 1
            dept = (emp_id - 1) % 20 + 1
            signed_at = moments[i - 1] if moments else now - timedelta(days=rnd.randint(0, 365),
                                                                       minutes=rnd.randint(0, 1440))
            applied = rnd.randint(50_000, 1_000_000) * 100
            settled = rnd.random() < settled_share
            status = "settled" if settled else rnd.choice(["signed", "confirmed", "reviewed", "processing",
                                                           "disbursed", "refunded", "voided"])
            disbursed = status in ("disbursed", "settled")
            amount = applied * rnd.randint(80, 100) // 100 if disbursed else None
            closed_at = signed_at + timedelta(days=rnd.randint(5, 40)) if settled else None
            order_rows.append((i, f"HT{signed_at:%Y%m%d}-{i:06d}", i, f"客户{i}", "139****0000", emp_id, 201, dept,
                               (dept - 1) // 5 + 1, products[i % len(products)], rnd.choice(FUNDERS), applied, 300, 500_000, 0, status,
                               signed_at, amount, (signed_at + timedelta(days=3)).date() if disbursed else None,
                               "银行" if disbursed else None, closed_at))
            if settled:
                fee = amount * 3 // 100
                total = fee - fee // 20 + 20_000
                deposit = min(500_000, total)
                parts = dict.fromkeys(PARTS, 0) | {"service_fee_fen": fee, "discount_fen": fee // 20,
                                                   "extra_fees_fen": 20_000, "deposit_applied_fen": deposit,
                                                   "rebates_fen": fee // 10}
                settlement_rows.append((i, i, "closed", fee, "fixed", parts["discount_fen"], 0, "cash", total, deposit,
                                        total - deposit, json.dumps(parts), signed_at, closed_at))
                entry_rows.append((i, "settlement.closed", i, i, f"结单 {i}", closed_at))
                for account, d, c in (("deposits_held", deposit, 0), ("cash", total - deposit, 0),
                                      ("fee_discounts", parts["discount_fen"], 0), ("fee_revenue", 0, fee),
                                      ("other_fee_revenue", 0, 20_000), ("rebate_expense", parts["rebates_fen"], 0),
                                      ("bank", 0, parts["rebates_fen"])):
                    line_id += 1
                    line_rows.append((line_id, i, account, d, c))
        _copy(cur, "bo_order", ["id", "agreement_no", "customer_id", "customer_name", "customer_phone_masked",
                                "salesperson_id", "processor_id", "department_id", "center_id", "product_code",
                                "funder_type", "amount_applied_fen", "service_fee_rate_bp", "deposit_fen",
                                "other_fees_fen", "status", "signed_at", "disbursed_amount_fen", "disbursed_on",
                                "funder_name", "settled_at"], order_rows)
        _copy(cur, "bo_settlement", ["id", "order_id", "status", "service_fee_fen", "discount_kind", "discount_value",
                                     "installment_fee_fen", "payment_method", "total_charges_fen",
                                     "deposit_applied_fen", "amount_due_fen", "parts", "opened_at", "closed_at"],
              settlement_rows)
        _copy(cur, "journal_entry", ["id", "source_type", "source_id", "order_id", "memo", "posted_at"], entry_rows)
        _copy(cur, "journal_line", ["id", "entry_id", "account", "debit_fen", "credit_fen"], line_rows)
        for table in ("center", "department", "employee", "customer", "bo_order", "bo_settlement", "journal_entry",
                      "journal_line"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        cur.execute("ANALYZE")


def fresh_with_orders(db_name: str, orders: int, products: tuple[str, ...] = ("credit",),
                      time_ordered: bool = False) -> str:
    """A fresh database with ``orders`` generated orders, half of them settled, and this process's
    settings pointed at it (as a bench's app or service calls need); the month counts the triggers appended are
    then folded, as the scheduler does every minute."""
    import os
    import time

    from backoffice.reports import service as report_service
    from bench.common import PII_KEY, fresh_database
    from scrm.core.db import session_scope

    url = fresh_database(db_name)
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    t0 = time.perf_counter()
    generate(url, orders, settled_share=0.5, products=products, time_ordered=time_ordered)
    print(f"generated {orders:,} orders (half settled, with their journal entries) in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with session_scope() as session:
        folded = report_service.compact_order_months(session)
    print(f"folded {folded:,} month-count rows in {time.perf_counter() - t0:.1f} s")
    return url
