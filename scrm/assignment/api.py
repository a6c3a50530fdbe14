"""Assignment rules (managers), the pool of unassigned leads (supervisors and up) and customers entered by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from scrm.assignment import schemas
from scrm.assignment import service as assignment_service
from scrm.auth import ManagerStaff, SessionDep, SupervisorStaff, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.core.params import INTEGER_MAX
from scrm.customers import api as customer_api
from scrm.customers import schemas as customer_schemas
from scrm.customers import service as customer_service
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/assignment", tags=["assignment"], responses=ERROR_RESPONSES)
# a customer entered by hand is assigned as it is created
customers_router = APIRouter(prefix="/api/customers", tags=["customers"], responses=ERROR_RESPONSES)

# who may enter a customer by hand
CreatorStaff = Annotated[Employee, Depends(require_roles(Role.sales, Role.supervisor, Role.manager))]


@router.get("/rules", response_model=list[schemas.RuleOut])
def list_rules(staff: SupervisorStaff, session: SessionDep) -> list[schemas.RuleOut]:
    """Rules in the order they are tried (priority, then id)."""
    return [schemas.RuleOut.model_validate(r) for r in assignment_service.list_rules(session)]


@router.post("/rules", response_model=schemas.RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: schemas.RuleCreate, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """Add a rule. The first active rule (by priority) whose conditions match a lead and that has a member
    below the cap gets it: `round_robin` takes turns, `least_loaded` picks the member with the fewest open
    leads, `fixed` the first member in the list with room."""
    return schemas.RuleOut.model_validate(assignment_service.create_rule(session, staff, body))


@router.patch("/rules/{rule_id}", response_model=schemas.RuleOut)
def update_rule(rule_id: Annotated[int, Path(ge=1)], body: schemas.RuleUpdate, staff: ManagerStaff,
                session: SessionDep) -> schemas.RuleOut:
    """Change a rule; only the fields sent change."""
    return schemas.RuleOut.model_validate(assignment_service.update_rule(session, staff, rule_id, body))


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: Annotated[int, Path(ge=1)], staff: ManagerStaff, session: SessionDep) -> None:
    """Remove a rule (customers it assigned keep their owners)."""
    assignment_service.delete_rule(session, rule_id)


@router.get("/pool", response_model=customer_schemas.CustomerPage)
def pool(staff: SupervisorStaff, session: SessionDep, page: Annotated[int, Query(ge=1, le=INTEGER_MAX)] = 1,
         page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> customer_schemas.CustomerPage:
    """Leads nobody owns yet (no rule matched, or every member was at cap), oldest first."""
    found = customer_service.search(session, staff, unassigned=True, sort="created_at", page=page,
                                    page_size=page_size)
    return customer_schemas.CustomerPage(items=customer_api._out(session, found.rows), total=found.total,
                                         total_estimated=found.estimated, page=page, page_size=page_size)


@router.post("/customers/{customer_id}/assign", response_model=schemas.AssignOut)
def assign_customer(customer_id: Annotated[int, Path(ge=1)], body: schemas.AssignIn, staff: SupervisorStaff,
                    session: SessionDep) -> schemas.AssignOut:
    """Give a lead to `employee_id` (within your scope), or run the rules on it when left out.
    `owner_id` null in the answer: no rule had room, the lead stays in the pool."""
    customer = customer_service.get_visible(session, staff, customer_id)
    if body.employee_id is not None:
        employee = assignment_service.assign_to(session, staff, customer, body.employee_id)
    else:
        employee = assignment_service.assign(session, customer)
    return schemas.AssignOut(customer_id=customer.id, owner_id=employee.id if employee else None,
                             owner_name=employee.name if employee else None)


@customers_router.post("", response_model=customer_schemas.CustomerDetail, status_code=status.HTTP_201_CREATED)
def create_customer(body: customer_schemas.CustomerCreate, staff: CreatorStaff,
                    session: SessionDep) -> customer_schemas.CustomerDetail:
    """Enter a customer by hand. A salesperson becomes its owner; for others `owner_id` names one, or the
    assignment rules pick one (or it waits in the pool).

    409 when the phone number already belongs to a customer; the message names who follows it.
    Custom fields are checked against the loan product's form; each bad field is listed in `errors`."""
    customer = assignment_service.enter_customer(session, staff, **body.model_dump())
    return customer_api._detail(session, customer)
