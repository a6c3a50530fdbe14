import pytest
from argon2 import PasswordHasher

from scrm.core.errors import Unauthorized, ValidationFailed
from scrm.org import service as org_service
from scrm.org.models import Role
from tests.factories.org import new_employee


def test_hash_is_argon2id_and_verifies(db):
    employee = new_employee(db, password="correct horse")
    assert employee.password_hash.startswith("$argon2id$")
    assert "correct horse" not in employee.password_hash
    assert org_service.verify_password(employee, "correct horse")
    assert not org_service.verify_password(employee, "correct horsE")


@pytest.mark.pure
@pytest.mark.parametrize("password, message", [
    ("short", "at least 8"),
    ("x" * 129, "at most 128"),
    ("aaaaaaaaab", "too simple"),
])
def test_password_policy_names_the_field(password, message):
    with pytest.raises(ValidationFailed) as err:
        org_service.hash_password(password)
    assert err.value.field == "password"
    assert message in err.value.message


def test_authenticate_success_is_case_insensitive_on_username(db):
    employee = new_employee(db, password="s3cret-pass", username="Li.Si")
    assert employee.username == "li.si"
    assert org_service.authenticate(db, "LI.SI ", "s3cret-pass").id == employee.id


def test_authenticate_failures_say_the_same_thing(db):
    new_employee(db, password="s3cret-pass", username="wangwu")
    new_employee(db, username="nopass")
    messages = set()
    for username, password in [("wangwu", "wrong-pass"), ("nobody", "s3cret-pass"), ("nopass", "whatever1")]:
        with pytest.raises(Unauthorized) as err:
            org_service.authenticate(db, username, password)
        messages.add(err.value.message)
    assert messages == {"wrong username or password"}


def test_departed_employee_cannot_authenticate(db):
    employee = new_employee(db, password="s3cret-pass")
    org_service.mark_departed(db, employee.id)
    with pytest.raises(Unauthorized, match="no longer active"):
        org_service.authenticate(db, employee.username, "s3cret-pass")


def test_hash_is_upgraded_when_parameters_change(db):
    employee = new_employee(db, username="zhaoliu")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    employee.password_hash = weak.hash("old-params-pw")
    db.flush()
    assert org_service.authenticate(db, "zhaoliu", "old-params-pw").id == employee.id
    db.expire_all()
    stored = org_service.get_employee(db, employee.id).password_hash
    assert stored != weak.hash("old-params-pw")
    assert not PasswordHasher().check_needs_rehash(stored)
    assert org_service.authenticate(db, "zhaoliu", "old-params-pw").password_hash == stored


def test_wrong_password_does_not_touch_the_hash(db):
    employee = new_employee(db, username="qianqi")
    employee.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("old-params-pw")
    before = employee.password_hash
    with pytest.raises(Unauthorized):
        org_service.authenticate(db, "qianqi", "not-the-password")
    assert employee.password_hash == before


def test_change_own_password(db):
    employee = new_employee(db, password="first-pass1", role=Role.finance)
    with pytest.raises(ValidationFailed) as err:
        org_service.change_own_password(db, employee, "wrong-pass1", "second-pass2")
    assert err.value.field == "current_password"
    with pytest.raises(ValidationFailed) as err:
        org_service.change_own_password(db, employee, "first-pass1", "short")
    assert err.value.field == "new_password"
    org_service.change_own_password(db, employee, "first-pass1", "second-pass2")
    assert org_service.authenticate(db, employee.username, "second-pass2").id == employee.id
