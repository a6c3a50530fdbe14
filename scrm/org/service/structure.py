"""Centers and departments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.errors import Conflict, NotFound, ValidationFailed
from scrm.org.models import Center, Department, Employee
from scrm.org.service.common import UNSET, _clean_name, _subtree, _visible_departments, get_center, get_department


def _center_name_taken(session: Session, name: str, exclude_id: int | None = None) -> bool:
    query = select(Center.id).where(Center.name == name)
    if exclude_id is not None:
        query = query.where(Center.id != exclude_id)
    return session.scalar(query) is not None


def create_center(session: Session, name: str) -> Center:
    """A new center (中心)."""
    name = _clean_name(name, what="center name")
    if _center_name_taken(session, name):
        raise Conflict(f"a center named {name!r} already exists", field="name")
    center = Center(name=name)
    session.add(center)
    session.flush()
    return center


def update_center(session: Session, center_id: int, *, name: str = UNSET) -> Center:
    center = get_center(session, center_id)
    if name is not UNSET:
        if center.wecom_id is not None:
            raise Conflict("this center mirrors a WeCom department; rename it in WeCom", field="name")
        name = _clean_name(name, what="center name")
        if _center_name_taken(session, name, exclude_id=center.id):
            raise Conflict(f"a center named {name!r} already exists", field="name")
        center.name = name
    session.flush()
    return center


def list_centers(session: Session, viewer: Employee | None = None) -> list[Center]:
    query = select(Center).order_by(Center.name)
    if viewer is not None:
        departments = _visible_departments(session, viewer)
        if departments is not None:
            query = query.where(Center.id.in_(select(Department.center_id).where(Department.id.in_(departments))))
    return list(session.scalars(query))


def _sibling_name_taken(session: Session, name: str, center_id: int | None, parent_id: int | None,
                        exclude_id: int | None = None) -> bool:
    query = select(Department.id).where(
        Department.name == name, Department.deleted.is_(False),
        Department.center_id.is_(None) if center_id is None else Department.center_id == center_id,
        Department.parent_id.is_(None) if parent_id is None else Department.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    return session.scalar(query) is not None


def create_department(session: Session, name: str, center_id: int | None = None,
                      parent_id: int | None = None) -> Department:
    """A new department (营销部门) in a center, optionally under another department of the same center."""
    name = _clean_name(name, what="department name")
    if parent_id is not None:
        parent = get_department(session, parent_id, field_name="parent_id")
        if center_id is None:
            center_id = parent.center_id
        elif center_id != parent.center_id:
            raise ValidationFailed("a department must be in the same center as its parent", field="center_id")
    if center_id is not None:
        get_center(session, center_id, field_name="center_id")
    if _sibling_name_taken(session, name, center_id, parent_id):
        raise Conflict(f"there is already a department named {name!r} here", field="name")
    department = Department(name=name, center_id=center_id, parent_id=parent_id)
    session.add(department)
    session.flush()
    return department


def update_department(session: Session, department_id: int, *, name: str = UNSET, center_id: int | None = UNSET,
                      parent_id: int | None = UNSET) -> Department:
    """Rename or move a department; moving it to another center moves everything below it too."""
    department = get_department(session, department_id)
    if department.wecom_id is not None:
        raise Conflict("this department mirrors WeCom; change it in WeCom")
    new_name = department.name if name is UNSET else _clean_name(name, what="department name")
    new_parent = department.parent_id if parent_id is UNSET else parent_id
    new_center = department.center_id if center_id is UNSET else center_id
    if new_parent is not None:
        parent = get_department(session, new_parent, field_name="parent_id")
        if new_parent in set(session.scalars(_subtree(department.id))):
            raise ValidationFailed("a department cannot be placed under itself or its own sub-department",
                                   field="parent_id")
        if center_id is UNSET:
            new_center = parent.center_id
        elif new_center != parent.center_id:
            raise ValidationFailed("a department must be in the same center as its parent", field="center_id")
    if new_center is not None:
        get_center(session, new_center, field_name="center_id")
    if _sibling_name_taken(session, new_name, new_center, new_parent, exclude_id=department.id):
        raise Conflict(f"there is already a department named {new_name!r} here", field="name")
    department.name, department.parent_id = new_name, new_parent
    if new_center != department.center_id:
        for sub in session.scalars(select(Department).where(Department.id.in_(_subtree(department.id)))):
            sub.center_id = new_center
    session.flush()
    return department


def list_departments(session: Session, viewer: Employee | None = None, *, center_id: int | None = None,
                     include_deleted: bool = False) -> list[Department]:
    query = select(Department).order_by(Department.center_id, Department.name, Department.id)
    if not include_deleted:
        query = query.where(Department.deleted.is_(False))
    if center_id is not None:
        query = query.where(Department.center_id == center_id)
    if viewer is not None:
        departments = _visible_departments(session, viewer)
        if departments is not None:
            query = query.where(Department.id.in_(departments))
    return list(session.scalars(query))


def find_department(session: Session, ref: str) -> Department:
    """A department by id or by exact name (the CLI's ``--department``)."""
    ref = ref.strip()
    if ref.isdigit():
        return get_department(session, int(ref), field_name="department_id")
    matches = list(session.scalars(select(Department).where(Department.name == ref, Department.deleted.is_(False))))
    if not matches:
        raise NotFound(f"no department named {ref!r}", field="department_id")
    if len(matches) > 1:
        ids = ", ".join(str(d.id) for d in matches)
        raise ValidationFailed(f"several departments are named {ref!r} (ids {ids}); give the id", field="department_id")
    return matches[0]
