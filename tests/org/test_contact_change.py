"""change_contact callbacks: every change type, each applied twice to show a redelivery changes nothing."""

import pytest
from sqlalchemy import select

from scrm.core.errors import ValidationFailed
from scrm.core.events import OutboxEvent
from scrm.org import service as org_service
from scrm.org.models import Center, Department, Employee, EmployeeStatus, Role
from scrm.core.crypto import blind_index


def snapshot(db):
    db.flush()
    db.expire_all()
    departments = {d.id: d for d in db.scalars(select(Department))}
    centers = {c.id: c.name for c in db.scalars(select(Center))}
    return {
        "centers": sorted((c.wecom_id, c.name) for c in db.scalars(select(Center))),
        "departments": sorted(
            (d.wecom_id, d.name, d.wecom_parent_id, departments[d.parent_id].wecom_id if d.parent_id else None,
             centers.get(d.center_id), d.deleted) for d in departments.values()),
        "employees": sorted(
            (e.wecom_userid or "", e.name, departments[e.department_id].wecom_id if e.department_id else None,
             e.role.value, e.scope.value, e.status.value, e.mobile, e.wecom_status, e.departed_at is not None)
            for e in db.scalars(select(Employee))),
        "events": sorted((e.name, e.payload["employee_id"]) for e in db.scalars(select(OutboxEvent))),
    }


def apply_twice(db, change_type, fields):
    org_service.apply_contact_change(db, change_type, dict(fields))
    first = snapshot(db)
    org_service.apply_contact_change(db, change_type, dict(fields))
    assert snapshot(db) == first, f"{change_type} applied twice differs"
    return first


def dept(db, wecom_id):
    return db.scalar(select(Department).where(Department.wecom_id == wecom_id))


def user(db, userid):
    return org_service.find_by_wecom_userid(db, userid)


def center_name(db, wecom_id):
    d = dept(db, wecom_id)
    return db.get(Center, d.center_id).name if d.center_id else None


def build_tree(db):
    apply_twice(db, "create_party", {"Id": "2", "Name": "华东中心", "ParentId": "1", "Order": "1"})
    apply_twice(db, "create_party", {"Id": "3", "Name": "营销一部", "ParentId": "2"})
    apply_twice(db, "create_party", {"Id": "4", "Name": "华南中心", "ParentId": "1"})


def test_create_party_makes_centers_of_the_roots_children(db):
    build_tree(db)
    assert dept(db, 1).wecom_parent_id == 0 and dept(db, 1).center_id is None
    assert center_name(db, 2) == "华东中心"
    assert center_name(db, 3) == "华东中心"
    assert dept(db, 3).parent_id == dept(db, 2).id
    assert center_name(db, 4) == "华南中心"
    assert db.scalar(select(Center).where(Center.wecom_id == 2)).name == "华东中心"


def test_update_party_renames_and_moves(db):
    build_tree(db)
    apply_twice(db, "update_party", {"Id": "3", "ParentId": "4"})
    assert center_name(db, 3) == "华南中心" and dept(db, 3).name == "营销一部"
    apply_twice(db, "update_party", {"Id": "3", "Name": "营销三部"})
    assert dept(db, 3).name == "营销三部" and dept(db, 3).wecom_parent_id == 4
    apply_twice(db, "update_party", {"Id": "2", "Name": "华东大区"})
    assert db.scalar(select(Center).where(Center.wecom_id == 2)).name == "华东大区"


def test_delete_party_marks_deleted(db):
    build_tree(db)
    apply_twice(db, "delete_party", {"Id": "3"})
    assert dept(db, 3).deleted
    assert dept(db, 3).id not in {d.id for d in org_service.list_departments(db)}
    org_service.apply_contact_change(db, "delete_party", {"Id": "99"})  # never heard of: nothing to do


def test_create_user_defaults_to_sales_own_with_encrypted_mobile(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "zhangsan", "Name": "张三", "Department": "3,4",
                                    "MainDepartment": "3", "Mobile": "13800000001", "Status": "1"})
    zhangsan = user(db, "zhangsan")
    assert (zhangsan.role, zhangsan.scope.value, zhangsan.status) == (Role.sales, "own", EmployeeStatus.active)
    assert zhangsan.department_id == dept(db, 3).id
    assert zhangsan.mobile == "13800000001" and zhangsan.mobile_hash == blind_index("phone", "13800000001")
    assert zhangsan.wecom_status == 1
    assert org_service.find_by_mobile(db, "13800000001").id == zhangsan.id


def test_create_user_with_only_the_post_2022_fields(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "lisi", "Department": "7"})
    lisi = user(db, "lisi")
    assert lisi.name == "lisi"  # until a sync brings the name
    assert dept(db, 7).name == "WeCom department 7" and dept(db, 7).center_id is None
    apply_twice(db, "create_party", {"Id": "7", "ParentId": "2"})
    assert center_name(db, 7) == "华东中心"
    apply_twice(db, "update_party", {"Id": "7", "Name": "营销七部", "ParentId": "2"})
    assert dept(db, 7).name == "营销七部"


def test_update_user_changes_only_what_is_sent(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "wangwu", "Name": "王五", "Department": "3",
                                    "Mobile": "13800000002", "Status": "1"})
    employee_id = user(db, "wangwu").id
    org_service.set_role(db, employee_id, Role.supervisor)
    apply_twice(db, "update_user", {"UserID": "wangwu", "Department": "4", "MainDepartment": "4"})
    wangwu = user(db, "wangwu")
    assert wangwu.department_id == dept(db, 4).id
    assert (wangwu.name, wangwu.mobile, wangwu.role) == ("王五", "13800000002", Role.supervisor)
    apply_twice(db, "update_user", {"UserID": "wangwu", "Status": "2"})
    assert user(db, "wangwu").wecom_status == 2 and user(db, "wangwu").status == EmployeeStatus.active


def test_update_user_with_new_userid_renames(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "zhaoliu", "Name": "赵六", "Department": "3"})
    employee_id = user(db, "zhaoliu").id
    apply_twice(db, "update_user", {"UserID": "zhaoliu", "NewUserID": "zhao.liu", "Name": "赵六六"})
    assert user(db, "zhaoliu") is None
    renamed = user(db, "zhao.liu")
    assert renamed.id == employee_id and renamed.name == "赵六六"


def test_delete_user_marks_departed_and_emits_once(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "sunqi", "Name": "孙七", "Department": "3"})
    state = apply_twice(db, "delete_user", {"UserID": "sunqi"})
    assert user(db, "sunqi").status == EmployeeStatus.departed
    assert state["events"] == [("employee.departed", user(db, "sunqi").id)]
    event = db.scalar(select(OutboxEvent))
    assert event.payload["source"] == "wecom" and event.payload["wecom_userid"] == "sunqi"
    org_service.apply_contact_change(db, "delete_user", {"UserID": "nobody"})


def test_member_who_left_is_departed_and_rejoin_reactivates(db):
    build_tree(db)
    apply_twice(db, "create_user", {"UserID": "zhouba", "Name": "周八", "Department": "3"})
    apply_twice(db, "update_user", {"UserID": "zhouba", "Status": "5"})
    assert user(db, "zhouba").status == EmployeeStatus.departed
    apply_twice(db, "update_user", {"UserID": "zhouba", "Name": "周八八", "Status": "1"})
    assert user(db, "zhouba").status == EmployeeStatus.departed  # only create_user brings someone back
    apply_twice(db, "create_user", {"UserID": "zhouba", "Name": "周八", "Department": "4", "Status": "1"})
    zhouba = user(db, "zhouba")
    assert zhouba.status == EmployeeStatus.active and zhouba.departed_at is None


def test_create_user_links_a_hand_made_employee_by_mobile(db):
    build_tree(db)
    manual = org_service.create_employee(db, name="吴九", mobile="13800000009", username="wujiu")
    apply_twice(db, "create_user", {"UserID": "wujiu", "Name": "吴九", "Department": "3", "Mobile": "13800000009"})
    assert user(db, "wujiu").id == manual.id and user(db, "wujiu").username == "wujiu"


def test_unknown_change_type_is_ignored_and_missing_keys_are_named(db):
    assert org_service.apply_contact_change(db, "update_tag", {"TagId": "1"}) is None
    with pytest.raises(ValidationFailed) as err:
        org_service.apply_contact_change(db, "create_user", {"Name": "无名"})
    assert err.value.field == "UserID"
    with pytest.raises(ValidationFailed):
        org_service.apply_contact_change(db, "create_party", {"Name": "无号"})
