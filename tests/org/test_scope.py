import pytest
from sqlalchemy import Integer, column, select, values

from scrm.org import service as org_service
from scrm.org.models import DataScope, Role
from tests.factories.org import new_employee


def everyone(org):
    return {e.id for e in (org.sales_a1, org.sales_a1x, org.sales_a2, org.sales_b1, org.supervisor_a1,
                           org.manager_a, org.finance, org.admin)}


def test_own_scope_sees_only_self(db, org):
    assert org_service.visible_employee_ids(db, org.sales_a1) == {org.sales_a1.id}


def test_department_scope_covers_the_department_and_its_sub_teams(db, org):
    assert org.supervisor_a1.scope == DataScope.department
    assert org_service.visible_employee_ids(db, org.supervisor_a1) == {
        org.sales_a1.id, org.sales_a1x.id, org.supervisor_a1.id, org.manager_a.id}


def test_department_scope_from_a_sub_team_does_not_reach_up(db, org):
    lead = new_employee(db, org.a1x, Role.supervisor)
    assert org_service.visible_employee_ids(db, lead) == {org.sales_a1x.id, lead.id}


def test_center_scope_covers_every_department_of_the_center(db, org):
    assert org.manager_a.scope == DataScope.center
    assert org_service.visible_employee_ids(db, org.manager_a) == {
        org.sales_a1.id, org.sales_a1x.id, org.sales_a2.id, org.supervisor_a1.id, org.manager_a.id}


def test_all_scope_is_none(db, org):
    assert org_service.visible_employee_ids(db, org.finance) is None
    assert org_service.visible_employee_ids(db, org.admin) is None


def test_scope_wider_than_role_default_is_honoured(db, org):
    org_service.set_role(db, org.sales_b1.id, Role.sales, DataScope.center)
    assert org_service.visible_employee_ids(db, org.sales_b1) == {org.sales_b1.id, org.finance.id}


def test_without_department_a_scoped_viewer_sees_only_self(db, org):
    floating = new_employee(db, None, Role.supervisor, scope=DataScope.center)
    assert org_service.visible_employee_ids(db, floating) == {floating.id}


def test_departed_colleagues_stay_visible(db, org):
    org_service.mark_departed(db, org.sales_a2.id)
    assert org.sales_a2.id in org_service.visible_employee_ids(db, org.manager_a)


@pytest.mark.parametrize("viewer_name", ["sales_a1", "supervisor_a1", "manager_a", "finance", "sales_a1x"])
def test_owner_filter_matches_visible_ids(db, org, viewer_name):
    viewer = getattr(org, viewer_name)
    owners = values(column("owner_id", Integer), name="owners").data(
        [(i,) for i in sorted(everyone(org))] + [(None,)])
    filtered = set(db.scalars(select(owners.c.owner_id).where(
        org_service.owner_filter(db, viewer, owners.c.owner_id))))
    expected = org_service.visible_employee_ids(db, viewer)
    # scope all sees everything, unowned rows included
    assert filtered == (everyone(org) | {None} if expected is None else expected)
    with_pool = set(db.scalars(select(owners.c.owner_id).where(
        org_service.owner_filter(db, viewer, owners.c.owner_id, include_unowned=True))))
    assert with_pool == filtered | {None}


def test_owner_filter_twice_in_one_statement(db, org):
    owners = values(column("a", Integer), column("b", Integer), name="pairs").data(
        [(org.sales_a1.id, org.sales_b1.id), (org.sales_a1x.id, org.sales_a1.id)])
    rows = db.execute(select(owners.c.a, owners.c.b).where(
        org_service.owner_filter(db, org.supervisor_a1, owners.c.a),
        org_service.owner_filter(db, org.supervisor_a1, owners.c.b))).all()
    assert rows == [(org.sales_a1x.id, org.sales_a1.id)]


def test_find_by_mobile_uses_the_keyed_hash(db, org):
    employee = new_employee(db, org.a1, mobile="13912345678")
    assert employee.mobile_hash != "13912345678"
    assert org_service.find_by_mobile(db, "+86 139-1234-5678").id == employee.id
    assert org_service.find_by_mobile(db, "13900000000") is None
