"""A backup restored into an empty database gives back the same data, readable with the same keys."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backoffice.ledger import service as ledger
from scrm.customers.models import Customer, Stage
from scrm.ops import backup as backup_mod
from tests.conftest import TEST_DB_URL
from tests.factories.customers import make_customer
from tests.factories.org import make_employee


@pytest.fixture
def empty_database():
    name = f"scrm_restore_{uuid.uuid4().hex[:10]}"
    admin = make_url(TEST_DB_URL).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield make_url(TEST_DB_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_backup_restores_into_an_empty_database_with_the_same_rows(committed_db, empty_database, tmp_path):
    sales = make_employee(committed_db)
    kept = [make_customer(committed_db, owner=sales, phone=f"1390000{i:04d}") for i in range(7)]
    committed_db.commit()
    archive = tmp_path / "scrm-backup.tar.gz"

    manifest = backup_mod.backup(TEST_DB_URL, archive)
    assert manifest["tables"]["customer"] == 7 and "tagger-v1.joblib" in manifest["models"]

    restored = backup_mod.restore(archive, empty_database, models_dir=tmp_path / "models")
    assert restored["tables"] == manifest["tables"]
    assert (tmp_path / "models" / "tagger-v1.joblib").stat().st_size > 0
    engine = create_engine(empty_database)
    with Session(engine) as s:
        phones = sorted(c.phone for c in s.scalars(select(Customer)))
    engine.dispose()
    assert phones == sorted(c.phone for c in kept)  # decrypted with the same key

    with pytest.raises(backup_mod.BackupError, match="not empty"):
        backup_mod.restore(archive, empty_database)


def _customer_counts(session) -> dict:
    rows = session.execute(select(Customer.stage, Customer.status, Customer.owner_id, func.count())
                           .group_by(Customer.stage, Customer.status, Customer.owner_id))
    return {(str(stage), str(status), owner): n for stage, status, owner, n in rows}


def test_a_restored_backup_gives_the_same_trial_balance_and_customer_counts(committed_db, empty_database, tmp_path):
    sales, other = make_employee(committed_db), make_employee(committed_db)
    for i in range(9):
        make_customer(committed_db, owner=sales if i % 3 else other, stage=[Stage.lead, Stage.signed][i % 2])
    # a deposit taken, a settlement closed with a discount and a rebate, then a refund reversed
    ledger.post(committed_db, [ledger.dr("bank", 500_00), ledger.cr("deposits_held", 500_00)], "deposit", 1)
    ledger.post(committed_db, [ledger.dr("deposits_held", 500_00), ledger.dr("customer_receivable", 2_300_00),
                               ledger.dr("fee_discounts", 200_00), ledger.cr("fee_revenue", 3_000_00)], "settlement", 1)
    ledger.post(committed_db, [ledger.dr("rebate_expense", 123_45), ledger.cr("cash", 123_45)], "rebate", 1)
    ledger.post(committed_db, [ledger.dr("cash", 1_000_00), ledger.cr("deposits_held", 1_000_00)], "deposit", 2)
    ledger.reverse(committed_db, "deposit", 2, "deposit_refund")
    committed_db.commit()
    before_balance = ledger.trial_balance(committed_db)
    before_counts = _customer_counts(committed_db)
    assert sum(r.debit_fen for r in before_balance) == sum(r.credit_fen for r in before_balance) == 5_623_45

    archive = tmp_path / "scrm-backup.tar.gz"
    backup_mod.backup(TEST_DB_URL, archive)
    backup_mod.restore(archive, empty_database)

    engine = create_engine(empty_database)
    with Session(engine) as restored:
        assert ledger.trial_balance(restored) == before_balance
        assert ledger.unbalanced_entries(restored) == []
        assert _customer_counts(restored) == before_counts
        assert restored.scalar(select(func.count()).select_from(Customer)) == 9
    engine.dispose()


def test_restore_refuses_an_archive_of_another_kind_of_database(tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    from scrm.migrations import upgrade

    upgrade(sqlite_url)
    archive = tmp_path / "embedded.tar.gz"
    assert backup_mod.backup(sqlite_url, archive)["dialect"] == "sqlite"
    with pytest.raises(backup_mod.BackupError, match="sqlite database, not postgresql"):
        backup_mod.restore(archive, TEST_DB_URL)
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    assert backup_mod.restore(archive, target)["tables"] == backup_mod.table_counts(sqlite_url)
