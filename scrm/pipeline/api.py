"""The sales pipeline: its stages (managers and admins edit them, anyone signed in reads them), the board and moving a
customer (staff who can see the customer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.customers.labels import STAGE_NAMES
from scrm.org.labels import ROLE_NAMES
from scrm.pipeline import labels, schemas
from scrm.pipeline import service as pipeline_service

router = APIRouter(prefix="/api/pipeline", tags=["pipeline"], responses=ERROR_RESPONSES)
customers_router = APIRouter(prefix="/api/customers", tags=["pipeline"], responses=ERROR_RESPONSES)

Id = Annotated[int, Path(ge=1)]

MOVE_REFUSED = {409: {"description": "The customer is already there, or misses the stage's entry requirements: "
                                     "`missing` lists each with a `code` and a Chinese `message`",
                      "content": {"application/json": {"example": {
                          "error": "requirements_missing", "field": "stage_id", "stage_id": 5,
                          "message": "进入「风控复审」的条件未满足：资料不全，缺少：征信报告；资质评分 45 分，低于 60 分",
                          "missing": [{"code": "materials_complete", "message": "资料不全，缺少：征信报告",
                                       "materials": ["credit_report"]},
                                      {"code": "min_score", "message": "资质评分 45 分，低于 60 分", "score": 45,
                                       "required": 60}]}}}}}


@router.get("/labels")
def pipeline_labels(staff: CurrentStaff) -> dict:
    """The owner kinds, roles, entry requirements and lifecycle stages a stage may use, with their Chinese names."""
    return {"owner_kinds": {k.value: v for k, v in labels.OWNER_KIND_NAMES.items()},
            "roles": {k.value: v for k, v in ROLE_NAMES.items()}, "requirements": labels.REQUIREMENT_NAMES,
            "lifecycle_stages": {k.value: v for k, v in STAGE_NAMES.items()}}


@router.get("/stages", response_model=list[schemas.StageOut])
def list_stages(staff: CurrentStaff, session: SessionDep) -> list[dict]:
    """Every stage in board order."""
    return [pipeline_service.stage_view(session, s) for s in pipeline_service.list_stages(session)]


@router.post("/stages", response_model=schemas.StageOut, status_code=201)
def create_stage(body: schemas.StageIn, staff: ManagerStaff, session: SessionDep) -> dict:
    """Add a stage at `position` (1-based; last when left out). A name or key already used is a 409; an owner of kind
    `role` needs `owner_role`, of kind `employee` an active `owner_employee_id`; `min_score` needs a `value`."""
    return pipeline_service.stage_view(session, pipeline_service.create_stage(session, staff, body))


@router.patch("/stages/{stage_id}", response_model=schemas.StageOut)
def update_stage(stage_id: Id, body: schemas.StagePatch, staff: ManagerStaff, session: SessionDep) -> dict:
    """Change a stage; a new `position` reorders the stages. Customers already in it stay."""
    return pipeline_service.stage_view(session, pipeline_service.update_stage(session, staff, stage_id, body))


@router.delete("/stages/{stage_id}", status_code=204)
def delete_stage(stage_id: Id, staff: ManagerStaff, session: SessionDep) -> Response:
    """Remove a stage. One that holds customers is a 409 naming how many (`held`)."""
    pipeline_service.delete_stage(session, staff, stage_id)
    return Response(status_code=204)


@router.get("/board", response_model=schemas.BoardOut)
def board(staff: CurrentStaff, session: SessionDep, owner_id: Annotated[int | None, Query(ge=1)] = None,
          per_column: Annotated[int, Query(ge=1, le=100)] = pipeline_service.BOARD_CUSTOMERS) -> dict:
    """A column per stage with its count and the customers longest in it first, over the active customers in the
    caller's scope (as `GET /api/customers?status=active`); lost customers (已流失) are counted in `lost`."""
    return pipeline_service.board(session, staff, owner_id=owner_id, per_column=per_column)


@customers_router.post("/{customer_id}/pipeline/move", response_model=schemas.MovedOut,
                       responses=MOVE_REFUSED)
def move(customer_id: Id, body: schemas.MoveIn, staff: CurrentStaff, session: SessionDep) -> dict:
    """Move the customer to a stage. Its entry requirements are checked: a 409 (`requirements_missing`) lists each
    missing one. A stage standing for another lifecycle stage changes the customer's stage too."""
    placed = pipeline_service.move(session, staff, customer_id, body)
    return {"customer_id": customer_id, "stage": pipeline_service.stage_view(session, placed.stage),
            "entered_at": placed.entered_at}


@customers_router.get("/{customer_id}/pipeline/history", response_model=schemas.HistoryOut)
def history(customer_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    """The customer's current stage, every stay (who moved them, or which event) and the hours in each stage."""
    return pipeline_service.history(session, staff, customer_id)
