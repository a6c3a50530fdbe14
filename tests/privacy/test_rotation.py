"""Rotating the personal-data key: the service keeps reading and finding during the rotation, and
afterwards everything is under the new key alone."""

from __future__ import annotations

from sqlalchemy import String, select, type_coerce

from loan_scrm.models import metadata
from scrm.core import crypto
from scrm.core.db import get_engine
from scrm.customers import service as customer_service
from scrm.customers.models import Customer
from scrm.org import service as org_service
from scrm.privacy import rotation
from tests.conftest import TEST_PII_KEY
from tests.factories.customers import make_customer
from tests.factories.org import make_employee

NEW_KEY = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleTA="
PHONE, ID_NO, MOBILE = "13912345678", "11010519491231002X", "13700001111"


def stored_token(session, column, row_id) -> str:
    return session.scalar(select(type_coerce(column, String)).where(column.table.c.id == row_id))


def test_rotation_keeps_reading_and_finding_and_ends_under_the_new_key(committed_db, settings_env):
    db = committed_db
    employee = make_employee(db, mobile=MOBILE, mobile_hash=org_service.mobile_hash(MOBILE))
    customer = make_customer(db, owner=employee, phone=PHONE, id_no=ID_NO, id_no_hash=customer_service.id_no_hash(ID_NO))
    db.commit()
    old_kid = stored_token(db, Customer.__table__.c.phone, customer.id).split(":")[0]

    settings_env(SCRM_PII_KEY=NEW_KEY, SCRM_PII_OLD_KEYS=TEST_PII_KEY)  # every process restarted with both keys
    db.expire_all()
    assert customer_service.find_by_phone(db, PHONE).id == customer.id  # found by its old-key hash
    assert db.get(Customer, customer.id).id_no == ID_NO
    assert org_service.find_by_mobile(db, MOBILE).id == employee.id
    assert rotation.remaining(get_engine(), metadata)["customer"] == 1

    rewritten = rotation.rotate(get_engine(), metadata, batch_size=1)
    assert rewritten["customer"] == 1 and rewritten["employee"] >= 1
    assert sum(rotation.remaining(get_engine(), metadata).values()) == 0
    assert rotation.rotate(get_engine(), metadata) == {name: 0 for name in rewritten}  # a rerun has nothing to do

    settings_env(SCRM_PII_KEY=NEW_KEY, SCRM_PII_OLD_KEYS="")  # the old key is gone
    db.expire_all()
    token = stored_token(db, Customer.__table__.c.phone, customer.id)
    assert not token.startswith(old_kid + ":") and PHONE not in token
    again = customer_service.find_by_phone(db, PHONE)
    assert again.id == customer.id and again.phone == PHONE and again.id_no == ID_NO
    assert again.phone_hash == crypto.blind_index("phone", PHONE)
    assert org_service.find_by_mobile(db, MOBILE).id == employee.id
